"""Who may file and review progress reports (the policy's object rules call these).

A report belongs to its action line. Its lead Member States file it: their focal persons and delegates
edit, submit and resubmit. The chair and vice-chair of the action line's responsible working group review
it (accept or return). ASEC does both everywhere. Objects may be an ActionLine or a ProgressReport.
"""
from __future__ import annotations

ASEC_ROLES = ("asec_admin", "asec_staff")
FILERS = ("focal_person", "delegate")
REVIEWER_BODY_ROLES = ("chair", "vice_chair")


def line_of(obj):
    """The action line an object belongs to (an ActionLine, or a report with `action_line`)."""
    if obj is None or obj.__class__.__name__ == "ActionLine":
        return obj
    return getattr(obj, "action_line", None)


def is_lead_member(user, obj) -> bool:
    """True when the user works for one of the line's lead Member States (any role)."""
    line = line_of(obj)
    return line is not None and any(org.id == user.org_id for org in line.leads)


def can_edit_report(user, obj) -> bool:
    """ASEC, or a focal person or delegate of a lead Member State of the line."""
    if user.role in ASEC_ROLES:
        return True
    return user.role in FILERS and is_lead_member(user, obj)


def can_review_report(user, obj) -> bool:
    """ASEC, or the chair or vice-chair of the line's responsible working group."""
    if user.role in ASEC_ROLES:
        return True
    line = line_of(obj)
    if line is None or line.body_id is None or user.role == "observer":
        return False
    return user.body_role(line.body_id) in REVIEWER_BODY_ROLES


def can_read_report(user, report) -> bool:
    """Drafts stay with their authors (the lead Member States and ASEC); filed reports are open to all."""
    return report.state != "draft" or can_edit_report(user, report)
