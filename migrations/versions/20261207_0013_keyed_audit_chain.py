"""Keyed audit chain: the key id on each entry, the newest entry's id on the chain head

New entries are signed with HMAC-SHA256 under a key kept outside the database; `key_id` names that key.
Existing entries keep key_id NULL and their unkeyed SHA-256, which `flask audit verify` still checks (they are
not re-hashed: the key need not be known when migrating). The head now also holds the newest entry's id, from
which new entries take theirs. Downgrading keeps every entry, but the older code cannot verify keyed ones.

Revision ID: 20261207_0013
Revises: 20261207_0012
Create Date: 2026-12-07 00:13:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '20261207_0013'
down_revision = '20261207_0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_id', sa.String(length=32), nullable=True))
    with op.batch_alter_table('audit_head', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_id', sa.Integer(), server_default='0', nullable=False))
    op.execute("UPDATE audit_head SET last_id = (SELECT COALESCE(MAX(id), 0) FROM audit_entries)")


def downgrade():
    with op.batch_alter_table('audit_head', schema=None) as batch_op:
        batch_op.drop_column('last_id')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_column('key_id')
    if op.get_bind().dialect.name == 'postgresql':
        # Ids came from the head, not the sequence: the older code numbers from the sequence again.
        op.execute("SELECT setval(pg_get_serial_sequence('audit_entries', 'id'), "
                   "COALESCE((SELECT MAX(id) FROM audit_entries), 0) + 1, false)")
