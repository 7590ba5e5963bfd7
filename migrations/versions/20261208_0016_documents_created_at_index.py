"""What is new since a person's last visit reads only the documents made after it: an index on their creation time

Revision ID: 20261208_0016
Revises: 20261208_0015
Create Date: 2026-12-08 01:30:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '20261208_0016'
down_revision = '20261208_0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_documents_live_created', 'documents', ['deleted_at', 'created_at'], unique=False)


def downgrade():
    op.drop_index('ix_documents_live_created', table_name='documents')
