"""Who may see plans and read, file and review progress reports (the policy's object rules call these).

ASEAN (Member States' people and ASEC) sees every plan; partners (observers) see a plan's structure and published
rates only when ASEC shares the plan with them, and never its reports (the policy grants them no `reports.view`).
A report belongs to its action line. Its lead Member States file it: their focal persons and delegates
edit, submit and resubmit. It is reviewed (accepted or returned) as AMCAP's monitoring arrangement has it: by the
chair and vice-chair of the action line's responsible working group, the chair and vice-chair of WGCBM (which
monitors AMCAP every quarter with ASEC), and ASEC, which also files everywhere. So a report always has a reviewer,
even when its working group has no chair. Objects may be an ActionLine or a ProgressReport.

The SQL clauses at the end say the same for lists (`readable_reports_clause`, `reviewable_lines_clause`).
"""
from __future__ import annotations

from sqlalchemy import and_, exists, false, or_, select, true

from aocp.accounts.models import ASEC_ROLES

FILERS = ("focal_person", "delegate")
REVIEWER_BODY_ROLES = ("chair", "vice_chair")
MONITORING_BODY = "WGCBM"  # its chair and vice-chair review every line's reports, with ASEC
PARTNER_ROLES = ("observer",)


def line_of(obj):
    """The action line an object belongs to (an ActionLine, or a report with `action_line`)."""
    if obj is None or obj.__class__.__name__ == "ActionLine":
        return obj
    return getattr(obj, "action_line", None)


def plan_of(obj):
    """The plan an object belongs to (a Plan, or anything with `plan` or an `action_line`)."""
    if obj is None or obj.__class__.__name__ == "Plan":
        return obj
    line = line_of(obj)
    return getattr(line if line is not None else obj, "plan", None)


def can_view_plan(user, obj) -> bool:
    """ASEAN sees every plan; a partner only a plan ASEC shares with partners."""
    if user.role not in PARTNER_ROLES:
        return True
    plan = plan_of(obj)
    return plan is not None and plan.shared_with_partners


def visible_plans_clause(user, plan_model):
    """SQL: the plans the user may see (for lists of plans and action lines)."""
    return true() if user.role not in PARTNER_ROLES else plan_model.shared_with_partners.is_(True)


def is_lead_member(user, obj) -> bool:
    """True when the user works for one of the line's lead Member States (any role)."""
    line = line_of(obj)
    return line is not None and any(org.id == user.org_id for org in line.leads)


def can_edit_report(user, obj) -> bool:
    """ASEC, or a focal person or delegate of a lead Member State of the line."""
    if is_asec(user):
        return True
    return user.role in FILERS and is_lead_member(user, obj)


def can_review_report(user, obj) -> bool:
    """ASEC, the chair or vice-chair of the line's responsible working group, or of WGCBM."""
    if is_asec(user):
        return True
    line = line_of(obj)
    if line is None or user.role in PARTNER_ROLES:
        return False
    chaired = [m for m in user.memberships if m.role in REVIEWER_BODY_ROLES]
    return any(m.body_id == line.body_id for m in chaired) or any(m.body.code == MONITORING_BODY for m in chaired)


def is_asec(user) -> bool:
    return user.role in ASEC_ROLES


def can_change_report(user, obj) -> bool:
    """May save or submit now: a filer of the line, on a draft or returned report (or a line with none yet)."""
    if obj.__class__.__name__ == "ProgressReport" and obj.state not in ("draft", "returned"):
        return False
    return can_edit_report(user, obj)


def can_decide_report(user, report) -> bool:
    """May accept or return now: a reviewer of the line, on a submitted report."""
    return report.state == "submitted" and can_review_report(user, report)


def can_read_report(user, report) -> bool:
    """Drafts stay with their authors (the lead Member States and ASEC); filed reports are open to ASEAN
    (the policy's role rule `reports.view` already keeps partners out)."""
    return report.state != "draft" or can_edit_report(user, report)


def report_readers(report, line) -> list[str]:
    """Who may read this report and why, in words for its page (the same rules as `can_read_report`)."""
    leads = ", ".join(org.code for org in line.leads) or "none named yet"
    if report is None or report.state == "draft":
        return [(f"ASEC and the focal persons and delegates of the lead Member States ({leads}): a draft stays "
                 "with its authors until it is submitted."),
                "Nobody else, and never partners (observers)."]
    reviewers = reviewers_in_words(line)
    return [("ASEC and the people of every ASEAN Member State (focal persons and delegates): progress reports "
             "and their review history are ASEAN's own."),
            f"The lead Member States ({leads}) file it and {reviewers} review it.",
            "Not partners (observers), even when ASEC shares the plan's structure with them."]


def reviewers_in_words(line) -> str:
    """Who reviews the line's reports, in words (the same as `can_review_report`)."""
    if line.body is None or line.body.code == MONITORING_BODY:
        return f"the chair and vice-chair of {MONITORING_BODY} and ASEC"
    return f"the chair and vice-chair of {line.body.short_name}, the chair and vice-chair of {MONITORING_BODY} and ASEC"


# --- the same rules as SQL, for lists ---------------------------------------------------------------------

def leads_clause(org_id, line_id_column):
    """SQL: the line (`line_id_column`) is led by the organisation."""
    from aocp.plans.models import action_line_leads

    return exists(select(action_line_leads.c.org_id).where(action_line_leads.c.action_line_id == line_id_column,
                                                           action_line_leads.c.org_id == org_id))


def editable_lines_clause(user, line_id_column):
    """SQL: lines whose reports the user files (`can_edit_report`)."""
    if is_asec(user):
        return true()
    if user.role not in FILERS:
        return false()
    return leads_clause(user.org_id, line_id_column)


def readable_reports_clause(user, line_id_column, state_column):
    """SQL: the report rows (filed, or not started: state "not_started") the user may open (`can_read_report`;
    a quarter not started yet opens only for those who may file it)."""
    if user.role in PARTNER_ROLES:
        return false()
    if is_asec(user):
        return true()
    return or_(state_column.not_in(("draft", "not_started")), editable_lines_clause(user, line_id_column))


def reviewable_lines_clause(user, body_id_column):
    """SQL: the lines (by their working group, `body_id_column`) whose reports the user reviews."""
    from aocp.orgs.models import Body, Membership

    if is_asec(user):
        return true()
    if user.role in PARTNER_ROLES:
        return false()
    chairs = and_(Membership.user_id == user.id, Membership.role.in_(REVIEWER_BODY_ROLES))
    monitors = exists(select(Membership.id).join(Body, Body.id == Membership.body_id)
                      .where(chairs, Body.code == MONITORING_BODY))
    return or_(monitors, body_id_column.in_(select(Membership.body_id).where(chairs)))
