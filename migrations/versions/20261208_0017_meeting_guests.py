"""Meetings: guests and resource persons (a participant's role), the papers shared with them, and when a
participant last replied (readiness shows each delegation's last change)

Existing participants are members of the meeting's body; existing papers are not shared with guests.

Revision ID: 20261208_0017
Revises: 20261208_0016
Create Date: 2026-12-08 01:16:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '20261208_0017'
down_revision = '20261208_0016'
branch_labels = None
depends_on = None

# Going down deletes the guests' participations, which older code would take for body members.
DOWNGRADE_DISCARDS = ('participants',)
ROLES = ('member', 'guest', 'resource_person', 'secretariat')


def upgrade():
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('role', sa.String(length=16), server_default='member', nullable=False))
        batch_op.add_column(sa.Column('replied_at', sa.DateTime(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_participants_role'), sa.text(f"role IN {ROLES}"))
    with op.batch_alter_table('agenda_papers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('for_guests', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    op.execute(sa.text("DELETE FROM participants WHERE role <> 'member'"))
    with op.batch_alter_table('agenda_papers', schema=None) as batch_op:
        batch_op.drop_column('for_guests')
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_participants_role'), type_='check')
        batch_op.drop_column('replied_at')
        batch_op.drop_column('role')
