"""The meeting timetable: each day's end time, agenda item kinds (item, break, session heading), days and fixed
start times, when the agenda last changed, and a frozen copy of the agenda each time it is published

Revision ID: 20261208_0018
Revises: 20261208_0017
Create Date: 2026-12-08 01:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '20261208_0018'
down_revision = '20261208_0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('end_time', sa.String(length=5), server_default='17:00', nullable=False))
        batch_op.add_column(sa.Column('agenda_changed_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), server_default='item', nullable=False))
        batch_op.add_column(sa.Column('day', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('fixed_start', sa.String(length=5), nullable=True))
        batch_op.create_check_constraint(op.f('ck_agenda_items_kind'), "kind IN ('item', 'break', 'session')")
    op.create_table(
        'agenda_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('items', sa.JSON(), nullable=False),
        sa.Column('published_by_id', sa.Integer(), nullable=True),
        sa.Column('published_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_agenda_versions_meeting_id_meetings'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['published_by_id'], ['users.id'],
                                name=op.f('fk_agenda_versions_published_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_versions')),
        sa.UniqueConstraint('meeting_id', 'number', name='uq_agenda_versions_meeting_number'),
    )
    with op.batch_alter_table('agenda_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agenda_versions_meeting_id'), ['meeting_id'], unique=False)


def downgrade():
    with op.batch_alter_table('agenda_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agenda_versions_meeting_id'))
    op.drop_table('agenda_versions')
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_agenda_items_kind'), type_='check')
        batch_op.drop_column('fixed_start')
        batch_op.drop_column('day')
        batch_op.drop_column('kind')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_column('agenda_changed_at')
        batch_op.drop_column('end_time')
