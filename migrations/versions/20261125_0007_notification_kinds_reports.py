"""Notification kinds for progress reports: due, missing, submitted, reviewed

Revision ID: 20261125_0007
Revises: 20261125_0006
Create Date: 2026-11-25 10:45:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '20261125_0007'
down_revision = '20261125_0006'
branch_labels = None
depends_on = None

OLD_KINDS = ('meeting_invited', 'agenda_published', 'papers_due', 'minutes_circulated', 'action_assigned',
             'action_overdue', 'document_shared')
NEW_KINDS = OLD_KINDS + ('report_due', 'report_missing', 'report_submitted', 'report_reviewed')
TABLES = ('notifications', 'notification_preferences', 'notification_role_defaults')
# Going down deletes these tables' rows of the report kinds, which the older check constraint refuses.
DOWNGRADE_DISCARDS = TABLES


def _kinds(kinds: tuple[str, ...]) -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_kind'), type_='check')
            batch_op.create_check_constraint(op.f(f'ck_{table}_kind'), sa.text(f"kind IN {kinds}"))


def upgrade():
    _kinds(NEW_KINDS)


def downgrade():
    added = tuple(k for k in NEW_KINDS if k not in OLD_KINDS)
    for table in TABLES:
        op.execute(sa.text(f"DELETE FROM {table} WHERE kind IN {added}"))
    _kinds(OLD_KINDS)
