"""Documents: an index holding the columns of the visibility rule, for counting a person's documents

Revision ID: 20261206_0009
Revises: 20261125_0008
Create Date: 2026-12-06 21:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '20261206_0009'
down_revision = '20261125_0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index('ix_documents_visibility',
                              ['deleted_at', 'access_level', 'access_body_id', 'uploader_id'], unique=False)


def downgrade():
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index('ix_documents_visibility')
