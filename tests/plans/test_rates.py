"""Achievement rates: defined once, matched against hand-computed examples, reproducible as of a date."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import event, update

from aocp.extensions import db
from aocp.plans import rates, reports, services
from aocp.plans.models import ReportRevision
from aocp.plans.rates import MilestoneRate, Rate, rag
from tests.conftest import body, org
from tests.plans.conftest import file_accepted, line, new_plan, phase2


def test_37_completed_of_49_is_shown_as_76_percent():
    rate = Rate(completed=37, counted=49)
    assert rate.percent == 76 and str(rate) == "76%"
    assert rate.fraction == pytest.approx(0.7551, abs=1e-4)
    assert Rate(1, 8).percent == 13  # 12.5 rounds half up
    assert Rate(0, 0).percent is None and str(Rate(0, 0)) == "–"
    assert MilestoneRate(due=3, percent_sum=250).percent == 83


def test_a_plan_with_37_completed_and_12_carried_over_lines_reaches_76_percent(ctx, people):
    staff = people["staff"]
    plan = new_plan(staff, lines=49)
    for i in range(1, 50):
        file_accepted(staff, people["admin"], line(f"T1.{i}", plan), 2021, 1,
                      "completed" if i <= 37 else "carried_over")
    rate = rates.achievement_rate(plan)
    assert (rate.completed, rate.counted, rate.percent) == (37, 49, 76)
    assert rates.status_counts(plan)["carried_over"] == 12


def test_withdrawn_lines_leave_the_denominator_and_unaccepted_reports_do_not_count(ctx, people):
    staff, admin = people["staff"], people["admin"]
    plan = new_plan(staff, lines=5)
    file_accepted(staff, admin, line("T1.1", plan), 2021, 1, "completed")
    file_accepted(staff, admin, line("T1.2", plan), 2021, 1, "completed")
    file_accepted(staff, admin, line("T1.3", plan), 2021, 1, "withdrawn")
    draft = reports.save_draft(staff, line("T1.4", plan), 2021, 1, status="completed", narrative="done")
    reports.submit_report(staff, draft, draft.version)  # submitted, not accepted: the line is still not started
    assert rates.achievement_rate(plan) == Rate(2, 4)
    assert rates.achievement_rate(plan).percent == 50
    assert rates.status_counts(plan) == {"not_started": 2, "on_track": 0, "delayed": 0, "completed": 2,
                                         "carried_over": 0, "withdrawn": 1}


def test_the_newest_period_decides_a_lines_status(ctx, people):
    staff, admin = people["staff"], people["admin"]
    plan = new_plan(staff, lines=1)
    file_accepted(staff, admin, line("T1.1", plan), 2021, 2, "delayed")
    file_accepted(staff, admin, line("T1.1", plan), 2021, 1, "completed")  # an older quarter accepted later
    assert rates.latest_status(line("T1.1", plan)) == "delayed"
    assert rates.achievement_rate(plan) == Rate(0, 1)


def _backdate(when: datetime) -> None:
    db.session.execute(update(ReportRevision).values(created_at=when))
    db.session.commit()


def test_a_past_quarter_is_reproduced_exactly_after_later_reports(ctx, people):
    staff, admin = people["staff"], people["admin"]
    plan = new_plan(staff, lines=4)
    m = services.add_milestone(staff, line("T1.1", plan), year=2023, text="Draft", due_on=date(2023, 9, 30))
    file_accepted(staff, admin, line("T1.1", plan), 2023, 3, "completed", {m.id: 100})
    file_accepted(staff, admin, line("T1.2", plan), 2023, 3, "delayed")
    _backdate(datetime(2023, 10, 10, 8, 0))
    as_of = date(2023, 10, 31)
    before = rates.summary(plan, as_of)
    states_before = rates.line_states(plan, as_of)
    assert before.overall == Rate(1, 4) and before.milestones == MilestoneRate(1, 100)

    # Later quarters change everything; the report "as of 31 October 2023" must not move.
    file_accepted(staff, admin, line("T1.2", plan), 2023, 4, "completed")
    file_accepted(staff, admin, line("T1.3", plan), 2023, 4, "withdrawn")
    file_accepted(staff, admin, line("T1.4", plan), 2023, 4, "completed")
    assert rates.summary(plan, as_of) == before
    assert rates.line_states(plan, as_of) == states_before
    assert rates.achievement_rate(plan) == Rate(3, 3)
    assert rates.achievement_rate(plan, date(2023, 10, 9)) == Rate(0, 4)  # before anything was accepted


def test_rates_by_area_strategy_working_group_and_lead(ctx, people):
    staff, admin = people["staff"], people["admin"]
    plan = phase2()
    line("TI1.1").leads = [org("MYS")]
    line("TI1.2").leads = [org("MYS"), org("PHL")]
    line("ES1.1").leads = [org("PHL")]
    file_accepted(staff, admin, line("TI1.1"), 2022, 4, "completed")
    file_accepted(staff, admin, line("TI1.2"), 2022, 4, "completed")
    file_accepted(staff, admin, line("TI2.1"), 2022, 4, "withdrawn")
    file_accepted(staff, admin, line("ES1.1"), 2022, 4, "on_track")
    by_area = {g.key: g.rate for g in rates.rates_by(plan, "area")}
    assert list(by_area) == ["TIM", "SMD", "CBM", "MID"]
    assert by_area == {"TIM": Rate(2, 7), "SMD": Rate(0, 7), "CBM": Rate(0, 9), "MID": Rate(0, 6)}
    by_strategy = {g.key: g.rate for g in rates.rates_by(plan, "strategy")}
    assert len(by_strategy) == 11 and by_strategy["TI1"] == Rate(2, 3) and by_strategy["TI2"] == Rate(0, 2)
    by_group = {g.key: (g.label, g.rate) for g in rates.rates_by(plan, "working_group")}
    assert by_group["WGTIM"] == ("WGTIM", Rate(2, 7))
    by_lead = {g.key: g.rate for g in rates.rates_by(plan, "lead")}
    # 27 lines have no lead; one of them (TI2.1) is withdrawn.
    assert by_lead == {"MYS": Rate(2, 2), "PHL": Rate(1, 2), None: Rate(0, 26)}
    overall = rates.summary(plan)
    assert overall.overall == Rate(2, 29) and overall.overall.percent == 7


def test_the_milestone_weighted_rate_counts_milestones_due_by_the_date(ctx, people):
    staff, admin = people["staff"], people["admin"]
    plan = new_plan(staff, lines=3)
    a = services.add_milestone(staff, line("T1.1", plan), year=2022, text="A", due_on=date(2022, 6, 30))
    b = services.add_milestone(staff, line("T1.1", plan), year=2022, text="B")  # due 31 December 2022
    c = services.add_milestone(staff, line("T1.2", plan), year=2022, text="C", due_on=date(2022, 3, 31))
    services.add_milestone(staff, line("T1.2", plan), year=2024, text="D (not yet due)")
    w = services.add_milestone(staff, line("T1.3", plan), year=2022, text="W", due_on=date(2022, 3, 31))
    file_accepted(staff, admin, line("T1.1", plan), 2022, 2, "on_track", {a.id: 100, b.id: 40})
    file_accepted(staff, admin, line("T1.2", plan), 2022, 2, "delayed", {c.id: 50})
    file_accepted(staff, admin, line("T1.3", plan), 2022, 2, "withdrawn", {w.id: 0})
    _backdate(datetime(2022, 7, 5, 9, 0))  # accepted early in July 2022
    # Due by 31 Dec 2022 on lines not withdrawn: A 100, B 40, C 50 -> 190 / 3 = 63.3 -> 63%.
    assert rates.milestone_rate(plan, date(2022, 12, 31)) == MilestoneRate(3, 190)
    assert rates.milestone_rate(plan, date(2022, 12, 31)).percent == 63
    # On 31 July 2022 only A and C are due: (100 + 50) / 2 = 75%.
    assert rates.milestone_rate(plan, date(2022, 7, 31)).percent == 75
    # A later accepted report moves B; the 2022 picture as of its date stays.
    file_accepted(staff, admin, line("T1.1", plan), 2022, 3, "on_track", {b.id: 100})
    assert rates.milestone_rate(plan, date(2022, 12, 31)) == MilestoneRate(3, 190)
    assert rates.milestone_rate(plan) == MilestoneRate(4, 250)  # today D (2024) is due too, at 0%
    states = rates.line_states(plan)
    assert states[line("T1.1", plan).id].percent_done == 100  # B 100 and A 100 (from the Q2 report)
    assert states[line("T1.2", plan).id].percent_done == 25  # C 50, D 0
    assert states[line("T1.3", plan).id].status == "withdrawn"


@pytest.mark.parametrize("percent,due,as_of,expected", [
    (100, date(2024, 12, 31), date(2025, 6, 1), "green"),   # achieved, even late
    (99, date(2024, 12, 31), date(2025, 1, 1), "red"),      # past due and not achieved
    (0, date(2024, 12, 31), date(2024, 1, 1), "green"),     # the year has just started
    (30, date(2024, 12, 31), date(2024, 7, 1), "green"),    # expected 50%, within 25 points
    (24, date(2024, 12, 31), date(2024, 7, 1), "amber"),    # expected 50%, more than 25 points behind
    (80, date(2024, 12, 31), date(2024, 12, 31), "green"),  # due today, expected 100%, within 25 points
    (70, date(2024, 12, 31), date(2024, 12, 31), "amber"),
])
def test_red_amber_green_follows_dates_and_progress(percent, due, as_of, expected):
    assert rag(percent, due, as_of)[0] == expected


def test_milestone_flags_list_planned_against_achieved(ctx, people):
    staff, admin = people["staff"], people["admin"]
    plan = new_plan(staff, lines=1)
    late = services.add_milestone(staff, line("T1.1", plan), year=2022, text="Late", due_on=date(2022, 6, 30))
    done = services.add_milestone(staff, line("T1.1", plan), year=2022, text="Done", due_on=date(2022, 6, 30))
    services.add_milestone(staff, line("T1.1", plan), year=2022, text="Behind", target="3 workshops")
    file_accepted(staff, admin, line("T1.1", plan), 2022, 2, "delayed", {late.id: 60, done.id: 100})
    _backdate(datetime(2022, 7, 5, 9, 0))
    flags = {f.text: f for f in rates.milestone_flags(plan, date(2022, 8, 1))}
    assert (flags["Late"].flag, flags["Late"].percent) == ("red", 60)
    assert flags["Done"].flag == "green"
    assert (flags["Behind"].flag, flags["Behind"].target, flags["Behind"].expected) == ("amber", "3 workshops", 58)


def test_the_trend_gives_the_rate_at_each_quarter(ctx, people):
    staff, admin = people["staff"], people["admin"]
    plan = new_plan(staff, start=2021, end=2022, lines=4)
    file_accepted(staff, admin, line("T1.1", plan), 2021, 2, "completed")
    file_accepted(staff, admin, line("T1.2", plan), 2021, 3, "on_track")
    file_accepted(staff, admin, line("T1.2", plan), 2021, 4, "completed")
    file_accepted(staff, admin, line("T1.3", plan), 2022, 1, "withdrawn")
    trend = rates.trend(plan)
    assert [(t.year, t.quarter) for t in trend] == [(y, q) for y in (2021, 2022) for q in (1, 2, 3, 4)]
    assert [t.rate.completed for t in trend] == [0, 1, 1, 2, 2, 2, 2, 2]
    assert [t.rate.counted for t in trend] == [4, 4, 4, 4, 3, 3, 3, 3]
    assert [t.rate.percent for t in trend][:5] == [0, 25, 25, 50, 67]
    assert [(t.year, t.quarter) for t in rates.trend(plan, date(2021, 8, 15))] == [(2021, 1), (2021, 2), (2021, 3)]


def _count_queries(fn) -> int:
    counter = {"n": 0}

    def count(*_args, **_kwargs):
        counter["n"] += 1
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return counter["n"]


def test_the_dashboard_numbers_take_a_fixed_number_of_queries(ctx, people):
    staff, admin = people["staff"], people["admin"]
    plan = phase2()

    def everything():
        rates.summary(plan)
        rates.trend(plan)
        rates.milestone_flags(plan)
        rates.line_states(plan)

    db.session.expire_all()
    plan = phase2()
    small = _count_queries(everything)
    for i, code in enumerate(["TI1.1", "TI1.2", "ES1.1", "IH1.1", "MD1.1", "MD2.3"]):
        action_line = line(code)
        action_line.leads = [org("MYS"), org("THA")]
        m = services.add_milestone(staff, action_line, year=2022, text=f"M{i}")
        file_accepted(staff, admin, action_line, 2022, 1 + i % 4, "completed", {m.id: 100})
    action_line = line("ES2.1")
    action_line.body = body("JWG")
    db.session.commit()
    db.session.expire_all()
    plan = phase2()
    assert _count_queries(everything) == small
    assert small <= 16
