"""The review pack pages: choosing a pack, and downloading it as XLSX, CSV or PDF (ASEAN only: `packs.view`)."""
from __future__ import annotations

import io
from datetime import date

from flask import redirect, render_template, request, send_file, url_for
from flask_login import current_user

from aocp.plans import bp
from aocp.plans.loading import load_plan
from aocp.plans.models import Plan
from aocp.plans.packs import FORMAT_LABELS, FORMATS, KINDS, build, parse_request, render_pack
from aocp.plans.reports import quarter_of
from aocp.plans.services import PlanError
from aocp.policy import guard
from aocp.timeutil import utcnow


def _form_page(plan: Plan, today: date, error: PlanError | None = None, status: int = 200):
    args = request.args
    year, _quarter = quarter_of(today)
    chosen = {"kind": args.get("kind", "jwg"), "format": args.get("format", "xlsx"),
              "year": args.get("year", str(min(max(year, plan.start_year), plan.end_year))),
              "quarter": args.get("quarter", str(quarter_of(today)[1])), "as_of": args.get("as_of", "")}
    return render_template("plans/packs.html", plan=plan, kinds=KINDS, formats=FORMAT_LABELS, chosen=chosen,
                           today=today, error=error), status


@bp.get("/plans/<code>/packs")
@guard("packs.view")
def packs(code: str):
    """The page choosing a pack; its form comes back here and is sent on to the download."""
    plan = load_plan(code)
    if "download" in request.args:
        kind, fmt = request.args.get("kind", ""), request.args.get("format", "")
        if kind not in KINDS or fmt not in FORMATS:
            return _form_page(plan, utcnow().date(), PlanError("Choose a kind of pack and a format.", "kind"), 400)
        wanted = {k: request.args[k] for k in ("year", "quarter", "as_of") if request.args.get(k, "").strip()}
        if kind not in ("jwg",):
            wanted.pop("quarter", None)
        if kind not in ("jwg", "asomm"):
            wanted.pop("year", None)
        return redirect(url_for("plans.pack", code=plan.code, kind=kind, fmt=fmt, **wanted))
    return _form_page(plan, utcnow().date())


@bp.get("/plans/<code>/packs/<any(jwg, asomm, midterm, final):kind>.<any(xlsx, csv, pdf):fmt>")
@guard("packs.view")
def pack(code: str, kind: str, fmt: str):
    plan = load_plan(code)
    today = utcnow().date()
    try:
        wanted = parse_request(plan, kind, request.args, today)
    except PlanError as err:
        return _form_page(plan, today, err, 400)
    built = build(current_user, plan, wanted)
    data = render_pack(built, fmt)
    return send_file(io.BytesIO(data), mimetype=FORMATS[fmt], as_attachment=True,
                     download_name=f"{built.filename_stem}.{fmt}", max_age=0)
