"""Plans: a flag by which ASEC shares a plan's structure and published rates with partners (observers)

Progress reports, their review history and the packs stay with ASEAN whatever the flag says. Existing plans
start unshared.

Revision ID: 20261207_0014
Revises: 20261207_0013
Create Date: 2026-12-07 00:14:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '20261207_0014'
down_revision = '20261207_0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shared_with_partners', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.drop_column('shared_with_partners')
