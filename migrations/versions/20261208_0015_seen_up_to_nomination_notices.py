"""My AOCP: each person's "seen up to" time (what is new since the last visit) and the notification kind that
tells a focal person ASEC approved or refused their nomination

Revision ID: 20261208_0015
Revises: 20261207_0014
Create Date: 2026-12-08 00:15:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '20261208_0015'
down_revision = '20261207_0014'
branch_labels = None
depends_on = None

OLD_KINDS = ('meeting_invited', 'agenda_published', 'papers_due', 'minutes_circulated', 'action_assigned',
             'action_overdue', 'document_shared', 'report_due', 'report_missing', 'report_submitted',
             'report_reviewed')
NEW_KINDS = OLD_KINDS + ('nomination_decided',)
TABLES = ('notifications', 'notification_preferences', 'notification_role_defaults')
# Going down deletes these tables' rows of the new kind, which the older check constraint refuses.
DOWNGRADE_DISCARDS = TABLES


def _kinds(kinds: tuple[str, ...]) -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_kind'), type_='check')
            batch_op.create_check_constraint(op.f(f'ck_{table}_kind'), sa.text(f"kind IN {kinds}"))


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seen_up_to', sa.DateTime(), nullable=True))
    _kinds(NEW_KINDS)


def downgrade():
    op.execute(sa.text("DELETE FROM notifications WHERE kind = 'nomination_decided'"))
    op.execute(sa.text("DELETE FROM notification_preferences WHERE kind = 'nomination_decided'"))
    op.execute(sa.text("DELETE FROM notification_role_defaults WHERE kind = 'nomination_decided'"))
    _kinds(OLD_KINDS)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('seen_up_to')
