"""AMCAP plans: programme areas, strategies, action lines, leads, milestones, progress reports, revisions

Revision ID: 20261125_0006
Revises: 20261125_0005
Create Date: 2026-11-25 09:10:52.916584

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '20261125_0006'
down_revision = '20261125_0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('start_year', sa.Integer(), nullable=False),
    sa.Column('end_year', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('carried_from_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'active', 'closed')", name=op.f('ck_plans_status')),
    sa.CheckConstraint('end_year >= start_year', name=op.f('ck_plans_years_in_order')),
    sa.ForeignKeyConstraint(['carried_from_id'], ['plans.id'], name=op.f('fk_plans_carried_from_id_plans'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_plans_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plans')),
    sa.UniqueConstraint('code', name=op.f('uq_plans_code'))
    )
    op.create_table('programme_areas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('key_focus', sa.Text(), nullable=False),
    sa.Column('working_group_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_programme_areas_plan_id_plans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['working_group_id'], ['bodies.id'], name=op.f('fk_programme_areas_working_group_id_bodies'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programme_areas')),
    sa.UniqueConstraint('plan_id', 'code', name='uq_programme_areas_plan_code')
    )
    with op.batch_alter_table('programme_areas', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_programme_areas_plan_id'), ['plan_id'], unique=False)

    op.create_table('strategies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['programme_areas.id'], name=op.f('fk_strategies_area_id_programme_areas'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_strategies_plan_id_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_strategies')),
    sa.UniqueConstraint('plan_id', 'code', name='uq_strategies_plan_code')
    )
    with op.batch_alter_table('strategies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_strategies_area_id'), ['area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_strategies_plan_id'), ['plan_id'], unique=False)

    op.create_table('action_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('strategy_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=True),
    sa.Column('indicators', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('carried_from_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_action_lines_body_id_bodies'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['carried_from_id'], ['action_lines.id'], name=op.f('fk_action_lines_carried_from_id_action_lines'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_action_lines_plan_id_plans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['strategy_id'], ['strategies.id'], name=op.f('fk_action_lines_strategy_id_strategies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_lines')),
    sa.UniqueConstraint('plan_id', 'code', name='uq_action_lines_plan_code')
    )
    with op.batch_alter_table('action_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_lines_body_id'), ['body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_lines_carried_from_id'), ['carried_from_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_lines_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_lines_strategy_id'), ['strategy_id'], unique=False)

    op.create_table('action_line_leads',
    sa.Column('action_line_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['action_line_id'], ['action_lines.id'], name=op.f('fk_action_line_leads_action_line_id_action_lines'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_action_line_leads_org_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('action_line_id', 'org_id', name=op.f('pk_action_line_leads'))
    )
    with op.batch_alter_table('action_line_leads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_line_leads_org_id'), ['org_id'], unique=False)

    op.create_table('action_line_participants',
    sa.Column('action_line_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['action_line_id'], ['action_lines.id'], name=op.f('fk_action_line_participants_action_line_id_action_lines'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_action_line_participants_org_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('action_line_id', 'org_id', name=op.f('pk_action_line_participants'))
    )
    with op.batch_alter_table('action_line_participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_line_participants_org_id'), ['org_id'], unique=False)

    op.create_table('milestones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action_line_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('target', sa.Text(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['action_line_id'], ['action_lines.id'], name=op.f('fk_milestones_action_line_id_action_lines'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestones'))
    )
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.create_index('ix_milestones_due', ['action_line_id', 'due_on'], unique=False)

    op.create_table('progress_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action_line_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('quarter', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('narrative', sa.Text(), nullable=False),
    sa.Column('issues', sa.Text(), nullable=False),
    sa.Column('support_needed', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('reviewer_comment', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("state IN ('draft', 'submitted', 'returned', 'accepted')", name=op.f('ck_progress_reports_state')),
    sa.CheckConstraint("status IN ('not_started', 'on_track', 'delayed', 'completed', 'carried_over', 'withdrawn')", name=op.f('ck_progress_reports_status')),
    sa.CheckConstraint('quarter BETWEEN 1 AND 4', name=op.f('ck_progress_reports_quarter')),
    sa.ForeignKeyConstraint(['action_line_id'], ['action_lines.id'], name=op.f('fk_progress_reports_action_line_id_action_lines'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_progress_reports_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_progress_reports_reviewed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_progress_reports_submitted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_progress_reports_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_progress_reports')),
    sa.UniqueConstraint('action_line_id', 'year', 'quarter', name='uq_progress_reports_line_period')
    )
    with op.batch_alter_table('progress_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_progress_reports_action_line_id'), ['action_line_id'], unique=False)

    op.create_table('milestone_progress',
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=False),
    sa.Column('percent', sa.Integer(), nullable=False),
    sa.CheckConstraint('percent BETWEEN 0 AND 100', name=op.f('ck_milestone_progress_percent')),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestones.id'], name=op.f('fk_milestone_progress_milestone_id_milestones'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['report_id'], ['progress_reports.id'], name=op.f('fk_milestone_progress_report_id_progress_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('report_id', 'milestone_id', name=op.f('pk_milestone_progress'))
    )
    with op.batch_alter_table('milestone_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_milestone_progress_milestone_id'), ['milestone_id'], unique=False)

    op.create_table('report_evidence',
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_report_evidence_document_id_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['report_id'], ['progress_reports.id'], name=op.f('fk_report_evidence_report_id_progress_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('report_id', 'document_id', name=op.f('pk_report_evidence'))
    )
    with op.batch_alter_table('report_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_evidence_document_id'), ['document_id'], unique=False)

    op.create_table('report_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('action_line_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('quarter', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('line_status', sa.String(length=16), nullable=False),
    sa.Column('report_version', sa.Integer(), nullable=False),
    sa.Column('snapshot', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['action_line_id'], ['action_lines.id'], name=op.f('fk_report_revisions_action_line_id_action_lines'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_report_revisions_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['report_id'], ['progress_reports.id'], name=op.f('fk_report_revisions_report_id_progress_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_revisions'))
    )
    with op.batch_alter_table('report_revisions', schema=None) as batch_op:
        batch_op.create_index('ix_report_revisions_line_state', ['action_line_id', 'state', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_revisions_report_id'), ['report_id'], unique=False)



def downgrade():
    with op.batch_alter_table('report_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_revisions_report_id'))
        batch_op.drop_index('ix_report_revisions_line_state')

    op.drop_table('report_revisions')
    with op.batch_alter_table('report_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_evidence_document_id'))

    op.drop_table('report_evidence')
    with op.batch_alter_table('milestone_progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_milestone_progress_milestone_id'))

    op.drop_table('milestone_progress')
    with op.batch_alter_table('progress_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_progress_reports_action_line_id'))

    op.drop_table('progress_reports')
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.drop_index('ix_milestones_due')

    op.drop_table('milestones')
    with op.batch_alter_table('action_line_participants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_line_participants_org_id'))

    op.drop_table('action_line_participants')
    with op.batch_alter_table('action_line_leads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_line_leads_org_id'))

    op.drop_table('action_line_leads')
    with op.batch_alter_table('action_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_lines_strategy_id'))
        batch_op.drop_index(batch_op.f('ix_action_lines_plan_id'))
        batch_op.drop_index(batch_op.f('ix_action_lines_carried_from_id'))
        batch_op.drop_index(batch_op.f('ix_action_lines_body_id'))

    op.drop_table('action_lines')
    with op.batch_alter_table('strategies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_strategies_plan_id'))
        batch_op.drop_index(batch_op.f('ix_strategies_area_id'))

    op.drop_table('strategies')
    with op.batch_alter_table('programme_areas', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_programme_areas_plan_id'))

    op.drop_table('programme_areas')
    op.drop_table('plans')
