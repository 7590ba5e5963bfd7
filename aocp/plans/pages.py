"""What the AMCAP pages share: their error page, template labels, form helpers and the `as_of` date."""
from __future__ import annotations

from datetime import date

from flask import flash, render_template, request
from sqlalchemy import select

from aocp.extensions import db
from aocp.http import Invalid
from aocp.orgs.models import Organisation
from aocp.plans import bp, charts, services
from aocp.plans.models import LINE_STATUSES, PLAN_STATUSES, REPORT_STATES, Plan
from aocp.plans.services import PlanError
from aocp.timeutil import utcnow


class PageError(Exception):
    """A quarter a report page cannot be about: 404 with what the plan's quarters are (other refusals are the
    request layer's: `http.NotFound`, `http.Invalid`, `policy.PermissionDenied`)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


@bp.errorhandler(PageError)
def page_error(err: PageError):
    title = {400: "Bad request", 404: "Not found"}.get(err.status, "Error")
    return render_template("errors/error.html", status=err.status, title=title, message=err.message), err.status


@bp.context_processor
def plan_labels():
    return {"LINE_STATUSES": LINE_STATUSES, "REPORT_STATES": REPORT_STATES, "PLAN_STATUSES": PLAN_STATUSES,
            "rag_dot": charts.rag_dot}


def as_of_arg() -> date:
    raw = request.args.get("as_of", "").strip()
    if not raw:
        return utcnow().date()
    try:
        day = date.fromisoformat(raw) if len(raw) == 10 and raw.isascii() else None
    except ValueError:
        day = None
    if day is None or not services.FIRST_YEAR <= day.year <= services.LAST_YEAR:
        raise Invalid({"as_of": "Give the date as YYYY-MM-DD between 2000 and 2100, e.g. 2025-09-30."})
    return day


def page_arg() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 100_000 else 1


def field_error(form, err: PlanError) -> None:
    field = getattr(form, err.field, None) if err.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = list(field.errors) + [str(err)]
    else:
        flash(str(err), "error")


def by_code(model, code: str | None):
    return db.session.execute(select(model).where(model.code == code)).scalar_one_or_none() if code else None


def orgs_by_code(codes: list[str]) -> list[Organisation]:
    if not codes:
        return []
    found = {o.code: o for o in db.session.execute(select(Organisation).where(Organisation.code.in_(codes))).scalars()}
    return [found[c] for c in codes if c in found]


def form_page(form, heading: str, plan: Plan | None, back: str, status: int = 200, hint: str = ""):
    return render_template("plans/form.html", form=form, heading=heading, plan=plan, back=back, hint=hint), status

