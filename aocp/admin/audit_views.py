"""Browse and export the audit log."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

from flask import Response, render_template, request, stream_with_context
from sqlalchemy import Select, select

from aocp import audit
from aocp.admin import bp
from aocp.audit import AuditEntry
from aocp.extensions import db
from aocp.policy import guard

CSV_COLUMNS = ["id", "created_at_utc", "action", "actor_email", "target_type", "target_id", "ip", "details",
               "hash"]


def _date(value: str) -> datetime | None:
    try:
        return datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        return None


def filtered() -> tuple[Select, dict]:
    """The audit query narrowed by the request's filters (shared by the page and the export)."""
    args = {k: request.args.get(k, "").strip() for k in ("action", "actor", "target", "since", "until")}
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc())
    if args["action"]:
        stmt = stmt.where(AuditEntry.action.startswith(args["action"], autoescape=True))
    if args["actor"]:  # autoescape: % and _ typed in a filter are matched literally
        stmt = stmt.where(AuditEntry.actor_email.contains(args["actor"].lower(), autoescape=True))
    if args["target"]:
        kind, _, ident = args["target"].partition(":")
        stmt = stmt.where(AuditEntry.target_type == kind)
        if ident:
            stmt = stmt.where(AuditEntry.target_id == ident)
    if since := _date(args["since"]):
        stmt = stmt.where(AuditEntry.created_at >= since)
    if until := _date(args["until"]):
        stmt = stmt.where(AuditEntry.created_at < until + timedelta(days=1))
    return stmt, args


@bp.route("/audit")
@guard("audit.view")
def audit_log():
    stmt, args = filtered()
    page = db.paginate(stmt, per_page=50, max_per_page=200)
    return render_template("admin/audit.html", page=page, filters=args)


@bp.route("/audit/verify")
@guard("audit.view")
def audit_verify():
    ok, count, message = audit.verify_chain()
    return render_template("admin/audit_verify.html", ok=ok, count=count, message=message)


@bp.route("/audit.csv")
@guard("audit.view")
def audit_csv():
    stmt, _ = filtered()

    def rows():
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(CSV_COLUMNS)
        last_id = None
        while True:  # keyset batches: memory stays flat however long the log is
            batch_stmt = stmt if last_id is None else stmt.where(AuditEntry.id < last_id)
            batch = db.session.execute(batch_stmt.limit(1000)).scalars().all()
            if not batch:
                break
            for e in batch:
                writer.writerow([e.id, e.created_at.isoformat(), e.action, _cell(e.actor_email), e.target_type,
                                 e.target_id, e.ip, _cell(e.details), e.hash])
            last_id = batch[-1].id
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
        yield buf.getvalue()

    return Response(stream_with_context(rows()), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=aocp-audit.csv"})


def _cell(value: str) -> str:
    # Spreadsheet formula injection: a cell starting with = + - @ is shown as text.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
