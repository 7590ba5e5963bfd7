"""Sign-in pauses per account and client address, instead of per account

Five wrong passwords used to pause an account for everyone, so anybody could keep any account (an administrator's
too) shut. Failures now pause only the address they came from, for that account, longer each time; users keeps the
account-wide count, which slows failed attempts and tells the holder, but shuts nobody out.

Revision ID: 20261207_0012
Revises: 20261207_0011
Create Date: 2026-12-07 12:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '20261207_0012'
down_revision = '20261207_0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sign_in_throttles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('client', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failed_at', sa.DateTime(), nullable=True),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.Column('lockouts', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sign_in_throttles_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_throttles')),
    sa.UniqueConstraint('user_id', 'client', name='uq_sign_in_throttles_user_client')
    )
    # The old per-account pauses end: they are what shut people out.
    op.execute(sa.text("UPDATE users SET locked_until = NULL"))


def downgrade():
    op.drop_table('sign_in_throttles')
