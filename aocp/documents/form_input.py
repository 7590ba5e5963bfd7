"""What the document pages read from their forms for the services, and how a refusal shows on the form."""
from __future__ import annotations

from flask import flash, request
from flask_login import current_user
from sqlalchemy import select

from aocp.accounts.models import User
from aocp.documents import services
from aocp.extensions import db
from aocp.http import body_by_code, org_by_code
from aocp.meetings.models import Meeting
from aocp.orgs.models import Organisation
from aocp.policy import PermissionDenied, can, record_denial


def chosen(lookup, field, what: str):
    """The organisation or body a list field names (None when left empty); a code not in the database is an
    error on the field (the lists do not check their values: the services refuse what may not be chosen)."""
    code = (field.data or "").strip()
    found = lookup(code) if code else None
    if code and found is None:
        raise services.DocumentError(f"Not a valid choice: choose {what} from the list.", field.name)
    return found


def details(form, doc=None) -> services.Details:
    org = chosen(org_by_code, form.org, "an organisation")
    if org is None:
        raise services.DocumentError("Not a valid choice: choose an organisation from the list.", "org")
    return services.Details(title=form.title.data or "", org=org, description=form.description.data or "",
                            doc_type=form.doc_type.data, language=form.language.data,
                            body=chosen(body_by_code, form.body, "a body"), action_line=form.action_line.data or "",
                            tags=services.parse_tags(form.tags.data or ""),
                            meeting=meeting(form.meeting.data, doc.meeting if doc else None))


def meeting(value, kept: Meeting | None = None) -> Meeting | None:
    """The meeting an id names (from the form's list, or a link), if the viewer may see it; the document's own
    meeting stays as it is."""
    value = str(value or "")
    if kept is not None and value == str(kept.id):
        return kept
    found = db.session.get(Meeting, int(value)) if value.isascii() and value.isdigit() and len(value) < 10 else None
    return found if found is not None and can(current_user, "workspaces.view", found) else None


def access(form) -> services.Access:
    emails = [e.strip().lower() for e in (form.access_people.data or "").split(",") if e.strip()]
    people = db.session.execute(select(User).where(User.email.in_(emails))).scalars().all() if emails else []
    missing = set(emails) - {p.email for p in people}
    if missing:
        raise services.DocumentError(f"No account with the email {sorted(missing)[0]}.", "access_people")
    orgs = db.session.execute(select(Organisation).where(
        Organisation.code.in_(form.access_orgs.data or []))).scalars().all()
    return services.Access(form.access_level.data, chosen(body_by_code, form.access_body, "a body"), list(orgs),
                           list(people))


def field_error(form, err: services.DocumentError) -> None:
    """Show a service's refusal on the field it names, or as a message above the form."""
    field = getattr(form, err.field, None) if err.field else None
    if field is not None:
        field.errors = list(field.errors) + [str(err)]
    else:
        flash(str(err), "error")


def refused_here(err: PermissionDenied) -> int:
    """A service refused what was asked (acting for another organisation, filing in a body one is not in):
    audited like any refusal, its reason flashed; the status for the page."""
    record_denial(current_user, str(err))
    flash(err.message or "You are not allowed to do this.", "error")
    return 403


def wants_upload_json() -> bool:
    """The upload script sends the form itself and shows the errors it is given as JSON."""
    return request.headers.get("X-Requested-With") == "aocp-upload"


def form_errors(form) -> dict[str, list[str]]:
    return {name: f.errors for name, f in form._fields.items() if f.errors}
