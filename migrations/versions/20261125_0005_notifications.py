"""Notifications, the email queue, preferences, body mutes, role defaults; users' time zone

Revision ID: 20261125_0005
Revises: 20261125_0004
Create Date: 2026-11-25 09:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '20261125_0005'
down_revision = '20261125_0004'
branch_labels = None
depends_on = None

KINDS = ('meeting_invited', 'agenda_published', 'papers_due', 'minutes_circulated', 'action_assigned',
         'action_overdue', 'document_shared')
CHANNELS = ('off', 'in_app', 'email_now', 'daily_digest')
DELIVERED = ('in_app', 'email_now', 'daily_digest')
ROLES = ('asec_admin', 'asec_staff', 'focal_person', 'delegate', 'observer')


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), server_default='Asia/Jakarta',
                                      nullable=False))

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('object_type', sa.String(length=32), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('restricted', sa.Boolean(), nullable=False),
    sa.Column('event_at', sa.DateTime(), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.Column('digested_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint(f"kind IN {KINDS}", name=op.f('ck_notifications_kind')),
    sa.CheckConstraint(f"channel IN {DELIVERED}", name=op.f('ck_notifications_channel')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_notifications_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recipient_id'], ['users.id'], name=op.f('fk_notifications_recipient_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_recipient_read', ['recipient_id', 'read_at'], unique=False)
        batch_op.create_index('ix_notifications_digest', ['channel', 'digested_at'], unique=False)
        batch_op.create_index('ix_notifications_object', ['object_type', 'object_id', 'kind'], unique=False)

    op.create_table('email_queue',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=True),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('queued', 'sent', 'failed')", name=op.f('ck_email_queue_status')),
    sa.ForeignKeyConstraint(['recipient_id'], ['users.id'], name=op.f('fk_email_queue_recipient_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_queue'))
    )
    with op.batch_alter_table('email_queue', schema=None) as batch_op:
        batch_op.create_index('ix_email_queue_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_email_queue_recipient_id'), ['recipient_id'], unique=False)

    op.create_table('notification_preferences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.CheckConstraint(f"kind IN {KINDS}", name=op.f('ck_notification_preferences_kind')),
    sa.CheckConstraint(f"channel IN {CHANNELS}", name=op.f('ck_notification_preferences_channel')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_preferences_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_preferences')),
    sa.UniqueConstraint('user_id', 'kind', name='uq_notification_preferences_user_kind')
    )

    op.create_table('notification_mutes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_notification_mutes_body_id_bodies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_mutes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_mutes')),
    sa.UniqueConstraint('user_id', 'body_id', name='uq_notification_mutes_user_body')
    )
    with op.batch_alter_table('notification_mutes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_mutes_body_id'), ['body_id'], unique=False)

    op.create_table('notification_role_defaults',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint(f"role IN {ROLES}", name=op.f('ck_notification_role_defaults_role')),
    sa.CheckConstraint(f"kind IN {KINDS}", name=op.f('ck_notification_role_defaults_kind')),
    sa.CheckConstraint(f"channel IN {CHANNELS}", name=op.f('ck_notification_role_defaults_channel')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_notification_role_defaults_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_role_defaults')),
    sa.UniqueConstraint('role', 'kind', name='uq_notification_role_defaults_role_kind')
    )


def downgrade():
    op.drop_table('notification_role_defaults')
    with op.batch_alter_table('notification_mutes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_mutes_body_id'))
    op.drop_table('notification_mutes')
    op.drop_table('notification_preferences')
    with op.batch_alter_table('email_queue', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_queue_recipient_id'))
        batch_op.drop_index('ix_email_queue_due')
    op.drop_table('email_queue')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_object')
        batch_op.drop_index('ix_notifications_digest')
        batch_op.drop_index('ix_notifications_recipient_read')
    op.drop_table('notifications')
    # A plain DROP COLUMN (SQLite 3.35+ and PostgreSQL): rebuilding the users table would cascade deletes.
    op.drop_column('users', 'timezone')
