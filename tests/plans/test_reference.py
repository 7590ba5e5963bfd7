"""AMCAP-III Phase 2 ships as reference data: 4 programme areas, 11 strategies, 30 action lines."""
from __future__ import annotations

from sqlalchemy import func, inspect, select

from aocp.extensions import db
from aocp.plans.models import ActionLine, Plan, ProgrammeArea, Strategy
from aocp.plans.reference import seed_plans
from aocp.plans.services import plan_structure
from aocp.reference import seed_reference_data
from tests.admin.test_cli import run
from tests.conftest import org
from tests.plans.conftest import PHASE2, line, phase2

CODES = {
    "TIM": {"TI1": ["TI1.1", "TI1.2", "TI1.3"], "TI2": ["TI2.1", "TI2.2", "TI2.3"], "TI3": ["TI3.1", "TI3.2"]},
    "SMD": {"ES1": ["ES1.1", "ES1.2", "ES1.3"], "ES2": ["ES2.1", "ES2.2"], "ES3": ["ES3.1", "ES3.2"]},
    "CBM": {"IH1": ["IH1.1", "IH1.2", "IH1.3"], "IH2": ["IH2.1", "IH2.2", "IH2.3"],
            "IH3": ["IH3.1", "IH3.2", "IH3.3"]},
    "MID": {"MD1": ["MD1.1", "MD1.2", "MD1.3"], "MD2": ["MD2.1", "MD2.2", "MD2.3"]},
}


def _tree(plan: Plan) -> dict:
    return {a.code: {s.code: [x.code for x in s.action_lines] for s in a.strategies} for a in plan.areas}


def test_phase_2_has_4_areas_11_strategies_and_30_action_lines_with_their_codes(ctx):
    plan = plan_structure(phase2().id)
    assert (plan.name, plan.start_year, plan.end_year, plan.status) == ("AMCAP-III Phase 2: 2021-2025", 2021, 2025,
                                                                        "active")
    assert _tree(plan) == CODES
    assert [a.name for a in plan.areas] == ["Trade and Investment in Minerals", "Sustainable Minerals Development",
                                            "Capacity Building in Minerals", "Minerals Information and Database"]
    assert db.session.scalar(select(func.count(Strategy.id)).where(Strategy.plan_id == plan.id)) == 11
    assert db.session.scalar(select(func.count(ActionLine.id)).where(ActionLine.plan_id == plan.id)) == 30


def test_action_lines_sit_under_their_strategy_and_its_working_group(ctx):
    plan = plan_structure(phase2().id)
    groups = {"TIM": "WGTIM", "SMD": "WGSMD", "CBM": "WGCBM", "MID": "WGMID"}
    for area in plan.areas:
        assert area.working_group.code == groups[area.code]
        for strategy in area.strategies:
            for action_line in strategy.action_lines:
                assert action_line.code.startswith(strategy.code + ".")
                assert action_line.body.code == groups[area.code]
                assert action_line.leads == []  # the plan document names no lead per action line


def test_texts_are_those_of_the_plan_document(ctx):
    assert line("TI1.1").text.startswith("Adopt clear and consistent policy statements and goals regarding minerals")
    assert line("MD2.3").text == (
        "Establish arrangements for the AMCAP Online Collaboration Platform (AOCP) that is available by secure "
        "login to delegated authorities from the ASEAN Minerals Sectoral Body for sharing information and "
        "managing the implementation of the AMCAP.")
    assert line("ES3.1").text.startswith("Help guide and implement IH1.1 (minerals governance) and IH 1.2")
    strategy = line("IH3.3").strategy
    assert strategy.title.startswith("Manage and monitor the effective implementation of AMCAP")
    cbm = db.session.execute(select(ProgrammeArea).where(ProgrammeArea.code == "CBM")).scalar_one()
    assert cbm.key_focus.startswith("Build human, institutional and technical capacities in minerals governance")
    assert "ASEAN’s resource base" in line("TI1.1").strategy.area.key_focus


def test_seeding_again_changes_nothing(ctx):
    before = dict(db.session.execute(select(ActionLine.code, ActionLine.id)).all())
    assert seed_plans() == {"plans": 0, "action_lines": 0}
    db.session.commit()
    assert dict(db.session.execute(select(ActionLine.code, ActionLine.id)).all()) == before
    assert db.session.scalar(select(func.count(Plan.id))) == 1


def test_seeding_keeps_leads_and_restores_edited_texts(ctx):
    action_line = line("TI1.2")
    action_line.leads = [org("MYS"), org("PHL")]
    action_line.text = "changed by hand"
    db.session.commit()
    seed_reference_data()
    db.session.commit()
    db.session.expire_all()
    action_line = line("TI1.2")
    assert [o.code for o in action_line.leads] == ["MYS", "PHL"]
    assert action_line.text.startswith("Identify impediments to investment")


def test_flask_seed_loads_the_plan(app):
    with app.app_context():
        db.session.delete(phase2())
        db.session.commit()
    r = run(app, "seed")
    assert r.exit_code == 0, r.output
    assert "1 plan and 30 action lines added" in r.output
    r = run(app, "seed")
    assert "0 plans and 0 action lines added" in r.output
    with app.app_context():
        assert db.session.scalar(select(func.count(ActionLine.id))) == 30
        assert phase2().code == PHASE2


def test_the_migration_downgrades_and_upgrades_again(tmp_path):
    from flask_migrate import downgrade, upgrade

    from aocp import create_app

    app = create_app("testing", {"DATABASE_URL": f"sqlite:///{tmp_path / 'mig.db'}",
                                 "RATELIMIT_STORAGE_URL": "memory://", "UPLOAD_DIR": str(tmp_path / "u"),
                                 "MAIL_OUTBOX_DIR": str(tmp_path / "o")})
    tables = {"plans", "programme_areas", "strategies", "action_lines", "action_line_leads",
              "action_line_participants", "milestones", "progress_reports", "milestone_progress", "report_evidence",
              "report_revisions"}
    with app.app_context():
        upgrade()
        assert tables <= set(inspect(db.engine).get_table_names())
        downgrade(revision="20261125_0005")
        assert not tables & set(inspect(db.engine).get_table_names())
        upgrade()
        assert tables <= set(inspect(db.engine).get_table_names())
        db.engine.dispose()
