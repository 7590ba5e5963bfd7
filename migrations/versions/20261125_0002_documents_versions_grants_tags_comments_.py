"""Documents, versions, grants, tags, comments and search

Revision ID: 20261125_0002
Revises: 20261125_0001
Create Date: 2026-11-25 06:46:14.329418

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '20261125_0002'
down_revision = '20261125_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('doc_type', sa.String(length=32), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=True),
    sa.Column('action_line', sa.String(length=16), nullable=False),
    sa.Column('access_level', sa.String(length=16), nullable=False),
    sa.Column('access_body_id', sa.Integer(), nullable=True),
    sa.Column('uploader_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('deleted_by_id', sa.Integer(), nullable=True),
    sa.Column('version_count', sa.Integer(), nullable=False),
    sa.CheckConstraint("access_level != 'body' OR access_body_id IS NOT NULL", name=op.f('ck_documents_body_level_has_body')),
    sa.CheckConstraint("access_level IN ('everyone', 'asean', 'body', 'named')", name=op.f('ck_documents_access_level')),
    sa.CheckConstraint("doc_type IN ('meeting_paper', 'country_report', 'study', 'capacity_building', 'template', 'other')", name=op.f('ck_documents_doc_type')),
    sa.ForeignKeyConstraint(['access_body_id'], ['bodies.id'], name=op.f('fk_documents_access_body_id_bodies')),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_documents_body_id_bodies')),
    sa.ForeignKeyConstraint(['deleted_by_id'], ['users.id'], name=op.f('fk_documents_deleted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_documents_org_id_organisations')),
    sa.ForeignKeyConstraint(['uploader_id'], ['users.id'], name=op.f('fk_documents_uploader_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents'))
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_documents_access_body_id'), ['access_body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_action_line'), ['action_line'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_body_id'), ['body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_doc_type'), ['doc_type'], unique=False)
        batch_op.create_index('ix_documents_listing', ['deleted_at', 'updated_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_uploader_id'), ['uploader_id'], unique=False)

    op.create_table('document_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_document_comments_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_document_comments_document_id_documents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_comments'))
    )
    with op.batch_alter_table('document_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_comments_document_id'), ['document_id'], unique=False)

    op.create_table('document_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(org_id IS NULL) != (user_id IS NULL)', name=op.f('ck_document_grants_one_grantee')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_document_grants_document_id_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_document_grants_org_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_document_grants_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_grants')),
    sa.UniqueConstraint('document_id', 'org_id', 'user_id', name='uq_document_grants_grantee')
    )
    with op.batch_alter_table('document_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_grants_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_grants_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_grants_user_id'), ['user_id'], unique=False)

    op.create_table('document_tags',
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_document_tags_document_id_documents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('document_id', 'name', name=op.f('pk_document_tags'))
    )
    with op.batch_alter_table('document_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_tags_name'), ['name'], unique=False)

    op.create_table('document_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('storage_key', sa.String(length=64), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=127), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_document_versions_document_id_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_document_versions_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_versions')),
    sa.UniqueConstraint('document_id', 'number', name='uq_document_versions_number'),
    sa.UniqueConstraint('storage_key', name=op.f('uq_document_versions_storage_key'))
    )
    with op.batch_alter_table('document_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_versions_document_id'), ['document_id'], unique=False)

    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entries_target', ['target_type', 'target_id', 'id'], unique=False)

    with op.batch_alter_table('bodies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('default_access', sa.String(length=16), server_default='body', nullable=False))


    _create_search_index()


def _create_search_index():
    """Full-text search: FTS5 with trigrams on SQLite, a weighted tsvector with GIN on PostgreSQL."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE document_search USING fts5(title, description, tags, body, "
                   "tokenize='trigram')")
        return
    op.execute("""
        CREATE TABLE document_search (
            document_id integer PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
            title text NOT NULL DEFAULT '',
            description text NOT NULL DEFAULT '',
            tags text NOT NULL DEFAULT '',
            body text NOT NULL DEFAULT '',
            tsv tsvector GENERATED ALWAYS AS (
                setweight(to_tsvector('simple', title), 'A')
                || setweight(to_tsvector('simple', description || ' ' || tags), 'B')
                || setweight(to_tsvector('simple', left(body, 400000)), 'C')) STORED)""")
    op.execute("CREATE INDEX ix_document_search_tsv ON document_search USING gin (tsv)")
    # Words in scripts written without spaces (Thai, Khmer, Lao, Burmese, Chinese) are not split by any text
    # search parser; a trigram index lets any part of three characters or more match, as on SQLite.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE INDEX ix_document_search_trgm ON document_search USING gin "
               "((title || ' ' || description || ' ' || tags || ' ' || body) gin_trgm_ops)")

def downgrade():
    op.execute("DROP TABLE IF EXISTS document_search")
    with op.batch_alter_table('bodies', schema=None) as batch_op:
        batch_op.drop_column('default_access')

    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entries_target')

    with op.batch_alter_table('document_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_versions_document_id'))

    op.drop_table('document_versions')
    with op.batch_alter_table('document_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_tags_name'))

    op.drop_table('document_tags')
    with op.batch_alter_table('document_grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_grants_user_id'))
        batch_op.drop_index(batch_op.f('ix_document_grants_org_id'))
        batch_op.drop_index(batch_op.f('ix_document_grants_document_id'))

    op.drop_table('document_grants')
    with op.batch_alter_table('document_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_comments_document_id'))

    op.drop_table('document_comments')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documents_uploader_id'))
        batch_op.drop_index(batch_op.f('ix_documents_org_id'))
        batch_op.drop_index('ix_documents_listing')
        batch_op.drop_index(batch_op.f('ix_documents_doc_type'))
        batch_op.drop_index(batch_op.f('ix_documents_body_id'))
        batch_op.drop_index(batch_op.f('ix_documents_action_line'))
        batch_op.drop_index(batch_op.f('ix_documents_access_body_id'))

    op.drop_table('documents')
