"""Helpers for the plan tests: the seeded AMCAP-III Phase 2, its lines, people by role."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from aocp.accounts.models import User
from aocp.extensions import db
from aocp.plans import reports, services
from aocp.plans.models import ActionLine, Plan
from tests.conftest import org

PHASE2 = "AMCAP-III-P2"


def phase2() -> Plan:
    return db.session.execute(select(Plan).where(Plan.code == PHASE2)).scalar_one()


def line(code: str, plan: Plan | None = None) -> ActionLine:
    plan = plan or phase2()
    return db.session.execute(select(ActionLine).where(ActionLine.plan_id == plan.id,
                                                       ActionLine.code == code)).scalar_one()


def user(uid: int) -> User:
    return db.session.get(User, uid)


@pytest.fixture
def people(ctx, make_user):
    """Users by part they play: MYS leads TI1.1 (a WGTIM line); PHL's focal person chairs WGTIM."""
    ids = {
        "admin": make_user("asec_admin", mfa_on=True),
        "staff": make_user("asec_staff"),
        "lead_focal": make_user("focal_person", org_code="MYS"),
        "lead_delegate": make_user("delegate", org_code="MYS", bodies={"WGTIM": "member"}),
        "other_delegate": make_user("delegate", org_code="THA", bodies={"WGTIM": "member"}),
        "other_focal": make_user("focal_person", org_code="VNM"),
        "chair": make_user("focal_person", org_code="PHL", bodies={"WGTIM": "chair"}),
        "vice_chair": make_user("delegate", org_code="IDN", bodies={"WGTIM": "vice_chair"}),
        "other_chair": make_user("focal_person", org_code="SGP", bodies={"WGSMD": "chair"}),
        "observer": make_user("observer", org_code="JPN", bodies={"WGTIM": "observer"}),
    }
    ti11 = line("TI1.1")
    ti11.leads = [org("MYS")]
    db.session.commit()
    return {name: user(uid) for name, uid in ids.items()}


def file_accepted(filer: User, reviewer: User, action_line: ActionLine, year: int, quarter: int, status: str,
                  milestones: dict[int, int] | None = None):
    """Save, submit and accept one report (the whole workflow)."""
    report = reports.save_draft(filer, action_line, year, quarter, status=status, narrative=f"{status} in Q{quarter}",
                                milestones=milestones)
    reports.submit_report(filer, report, report.version)
    reports.accept_report(reviewer, report, report.version)
    return report


def new_plan(actor: User, code: str = "TEST-PLAN", start: int = 2021, end: int = 2025, lines: int = 4,
             status: str = "active") -> Plan:
    """A plan with one area, one strategy and `lines` action lines (T1.1 ... T1.n) in WGTIM."""
    plan = services.create_plan(actor, code=code, name=f"{code} plan", start_year=start, end_year=end,
                                status=status)
    from tests.conftest import body

    area = services.add_area(actor, plan, code="TST", name="Testing", working_group=body("WGTIM"))
    strategy = services.add_strategy(actor, area, code="T1", title="Test strategy")
    for i in range(1, lines + 1):
        services.add_action_line(actor, strategy, code=f"T1.{i}", text=f"Action line {i}")
    return plan


TODAY = date(2026, 11, 25)


from tests.plans.queue_cast import cast  # noqa: E402,F401  (the review-routing and queue tests' people)
