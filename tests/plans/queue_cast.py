"""The people and plan of the review-routing and queue tests: a plan taking reports this quarter and the last,
with a WGTIM line led by MYS, a WGSMD line (WGSMD has no chair) led by THA with LAO contributing, and a second
WGTIM line led by THA."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from aocp.accounts.models import User
from aocp.extensions import db
from aocp.plans import queues, reports
from aocp.plans.models import ActionLine
from aocp.timeutil import utcnow
from tests.conftest import body, org
from tests.plans.conftest import new_plan

PLAN = "TEST-QUEUE"


@pytest.fixture
def cast(ctx, make_user):
    ids = {
        "admin": make_user("asec_admin", mfa_on=True),
        "staff": make_user("asec_staff"),
        "mys_focal": make_user("focal_person", org_code="MYS"),
        "tha_delegate": make_user("delegate", org_code="THA", bodies={"WGSMD": "member"}),
        "tha_focal": make_user("focal_person", org_code="THA"),
        "lao_delegate": make_user("delegate", org_code="LAO"),
        "wgtim_chair": make_user("focal_person", org_code="PHL", bodies={"WGTIM": "chair"}),
        "wgtim_vice": make_user("delegate", org_code="IDN", bodies={"WGTIM": "vice_chair"}),
        "wgcbm_chair": make_user("delegate", org_code="VNM", bodies={"WGCBM": "chair"}),
        "both": make_user("focal_person", org_code="BRN", bodies={"WGTIM": "chair", "WGCBM": "vice_chair"}),
        "other_chair": make_user("focal_person", org_code="SGP", bodies={"WGMID": "chair"}),
        "wgsmd_member": make_user("delegate", org_code="KHM", bodies={"WGSMD": "member"}),
        "observer": make_user("observer", org_code="JPN", bodies={"WGTIM": "observer", "WGCBM": "observer"}),
    }
    people = {name: db.session.get(User, uid) for name, uid in ids.items()}
    year = utcnow().year
    plan = new_plan(people["admin"], code=PLAN, start=year - 1, end=year + 3, lines=3)
    lines = {x.code: x for x in db.session.execute(select(ActionLine).where(ActionLine.plan_id == plan.id)).scalars()}
    lines["T1.1"].leads = [org("MYS")]
    lines["T1.2"].leads, lines["T1.2"].participants = [org("THA")], [org("LAO")]
    lines["T1.2"].body = body("WGSMD")
    lines["T1.3"].leads = [org("THA")]
    db.session.commit()
    people["lines"], people["plan"] = lines, plan
    return people


def today():
    return utcnow().date()


def current():
    return queues.open_periods(today())[0]


def last():
    return queues.open_periods(today())[1]


def submitted(filer: User, line: ActionLine, period=None):
    year, quarter = period or current()
    report = reports.save_draft(filer, line, year, quarter, status="on_track", narrative="Workshop held")
    reports.submit_report(filer, report, report.version)
    db.session.commit()
    return report


def ids(cast, *names) -> set[int]:
    return {cast[n].id for n in names}
