"""PostgreSQL search: the substring match reads its text through a function the planner knows is costly

The trigram index was on `title || ' ' || description || ' ' || tags || ' ' || body`. The planner costs an
ILIKE over that expression like any cheap operator, so it read every row of document_search and matched each
document's whole text (84 ms at 10,000 documents) instead of asking the trigram and tsvector indexes (4 ms).
The same text now comes from `document_search_text(...)`, a PL/pgSQL function (SQL functions are inlined and
lose their cost) declared COST 1000, and the trigram index is on that function. SQLite is unchanged.

Revision ID: 20261207_0010
Revises: 20261206_0009
Create Date: 2026-12-07 00:00:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '20261207_0010'
down_revision = '20261206_0009'
branch_labels = None
depends_on = None

OLD_EXPRESSION = "(title || ' ' || description || ' ' || tags || ' ' || body)"


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
        CREATE FUNCTION document_search_text(title text, description text, tags text, body text) RETURNS text
        LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE COST 1000
        AS $$ BEGIN RETURN title || ' ' || description || ' ' || tags || ' ' || body; END $$""")
    op.execute("DROP INDEX ix_document_search_trgm")
    op.execute("CREATE INDEX ix_document_search_trgm ON document_search USING gin "
               "(document_search_text(title, description, tags, body) gin_trgm_ops)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_document_search_trgm")
    op.execute(f"CREATE INDEX ix_document_search_trgm ON document_search USING gin ({OLD_EXPRESSION} gin_trgm_ops)")
    op.execute("DROP FUNCTION document_search_text(text, text, text, text)")
