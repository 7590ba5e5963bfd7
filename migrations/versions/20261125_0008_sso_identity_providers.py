"""Single sign-on: OpenID Connect providers, linked identities, and pending accounts

Revision ID: 20261125_0008
Revises: 20261125_0007
Create Date: 2026-11-25 12:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '20261125_0008'
down_revision = '20261125_0007'
branch_labels = None
depends_on = None

OLD_STATUSES = ('active', 'deactivated')
NEW_STATUSES = OLD_STATUSES + ('pending',)
# Going down deactivates pending accounts, a status the older check constraint refuses.
DOWNGRADE_DISCARDS = ('users',)


def _statuses(statuses: tuple[str, ...]) -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_users_status'), sa.text(f"status IN {statuses}"))


def upgrade():
    _statuses(NEW_STATUSES)
    op.create_table('sso_providers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('issuer', sa.String(length=300), nullable=False),
    sa.Column('client_id', sa.String(length=255), nullable=False),
    sa.Column('client_secret', sa.String(length=500), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('allow_email_link', sa.Boolean(), nullable=False),
    sa.Column('allow_provisioning', sa.Boolean(), nullable=False),
    sa.Column('default_org_id', sa.Integer(), nullable=True),
    sa.Column('trust_mfa', sa.Boolean(), nullable=False),
    sa.Column('mfa_acr_values', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['default_org_id'], ['organisations.id'],
                            name=op.f('fk_sso_providers_default_org_id_organisations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_providers')),
    sa.UniqueConstraint('slug', name=op.f('uq_sso_providers_slug'))
    )
    op.create_table('sso_provider_orgs',
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['provider_id'], ['sso_providers.id'],
                            name=op.f('fk_sso_provider_orgs_provider_id_sso_providers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'],
                            name=op.f('fk_sso_provider_orgs_org_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('provider_id', 'org_id', name=op.f('pk_sso_provider_orgs'))
    )
    op.create_table('sso_identities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('issuer', sa.String(length=300), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['provider_id'], ['sso_providers.id'],
                            name=op.f('fk_sso_identities_provider_id_sso_providers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sso_identities_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_identities')),
    sa.UniqueConstraint('issuer', 'subject', name='uq_sso_identities_issuer_subject')
    )
    with op.batch_alter_table('sso_identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sso_identities_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sso_identities_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('sso_identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sso_identities_user_id'))
        batch_op.drop_index(batch_op.f('ix_sso_identities_provider_id'))
    op.drop_table('sso_identities')
    op.drop_table('sso_provider_orgs')
    op.drop_table('sso_providers')
    # Accounts still waiting for approval must not become usable: they are kept, deactivated.
    op.execute(sa.text("UPDATE users SET status = 'deactivated' WHERE status = 'pending'"))
    _statuses(OLD_STATUSES)
