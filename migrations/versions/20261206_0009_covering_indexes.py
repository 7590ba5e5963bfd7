"""Covering indexes: documents' visibility rule (counting a person's documents) and accepted report revisions
(the plan dashboard's rates)

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
    _revisions_index(REVISION_COLUMNS + REVISION_EXTRA)


def downgrade():
    _revisions_index(REVISION_COLUMNS)
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index('ix_documents_visibility')


REVISION_COLUMNS = ['action_line_id', 'state', 'created_at']
REVISION_EXTRA = ['year', 'quarter', 'line_status', 'report_id']


def _revisions_index(columns: list[str]) -> None:
    with op.batch_alter_table('report_revisions', schema=None) as batch_op:
        batch_op.drop_index('ix_report_revisions_line_state')
        batch_op.create_index('ix_report_revisions_line_state', columns, unique=False)
