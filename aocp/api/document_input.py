"""What the documents API reads: multipart upload fields, lists of codes and people, a meeting, who may see a
document; and the one mapping of the document services' refusals to answers.

JSON bodies are read with `aocp.http` (`json_body`, `Fields`); multipart upload fields are read here, part by part.
"""
from __future__ import annotations

import re
from functools import wraps

from flask import abort, current_app, request
from sqlalchemy import select

from aocp.accounts.models import User
from aocp.documents import services
from aocp.documents.models import ACCESS_LEVELS
from aocp.extensions import db
from aocp.http import Invalid, actor, body_by_code, json_error, org_by_code, whole_number
from aocp.meetings.models import Meeting
from aocp.orgs.models import Body, Organisation
from aocp.policy import can

# Room in an upload request for the form fields and multipart framing besides the file itself.
FORM_OVERHEAD = 1024 * 1024

# Text fields: no control characters at all; long texts may hold tabs and line breaks.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
LONG_TEXTS = {"description", "note"}

UPLOAD_FIELDS = {"title", "description", "type", "language", "org", "body", "meeting_id", "action_line", "tags",
                 "access", "access_body", "access_orgs", "access_people", "note"}
REPEATABLE = {"tags", "access_orgs", "access_people"}  # repeated parts or one comma-separated value
# The services' field names, as the API spells them.
SERVICE_FIELDS = {"doc_type": "type", "access_level": "access", "files": "file", "meeting": "meeting_id"}


# --- the services' refusals --------------------------------------------------------------------

def service_error(err: services.DocumentError, fields: dict[str, str] | None = None):
    """A service's refusal: 413 when a file was too large, 507/503 when it could not be stored, else 422."""
    field = {**SERVICE_FIELDS, **(fields or {})}.get(err.field or "", err.field or "document")
    status = services.refusal_status(err, 422)
    if status == 422:
        return json_error(422, "Some fields are not valid.", "validation_error", fields={field: str(err)})
    if status == 413:
        return json_error(413, str(err), "too_large", fields={field: str(err)})
    return json_error(status, str(err), "storage_unavailable")


def answers_document_errors(fields: dict[str, str] | None = None):
    """Answer a `DocumentError` from the services in JSON; `fields` renames the services' field names."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            try:
                return view(*args, **kwargs)
            except services.DocumentError as err:
                db.session.rollback()
                return service_error(err, fields)
        return wrapped
    return decorator


# --- multipart uploads -----------------------------------------------------------------------------

def text(name: str, value, required: bool = False) -> str:
    """A text value of a multipart part or a list item: no control characters (long texts keep line breaks)."""
    if not isinstance(value, str):
        raise Invalid({name: "Text expected."})
    if (CONTROL_IN_TEXT if name in LONG_TEXTS else CONTROL).search(value):
        raise Invalid({name: "No control characters."})
    if required and not value.strip():
        raise Invalid({name: "Required."})
    return value


def multipart_upload(allowed: set[str] = UPLOAD_FIELDS):
    """Allow a multipart request carrying one file of up to MAX_FILE_SIZE (the API's JSON limit is far smaller)
    and check that it is one; its unknown fields refused."""
    request.max_content_length = current_app.config["MAX_FILE_SIZE"] + FORM_OVERHEAD
    if request.mimetype != "multipart/form-data":
        abort(400, "Send the file as multipart/form-data.")
    unknown = sorted(set(request.form) - allowed) + sorted(set(request.files) - {"file"})
    if unknown:
        raise Invalid({name[:64]: "Unknown field." for name in unknown[:20]})


def form_values() -> dict[str, str]:
    """The text fields of a multipart upload; repeated values only where a list is meant."""
    values = {}
    for name in request.form:
        parts = request.form.getlist(name)
        if len(parts) > 1 and name not in REPEATABLE:
            raise Invalid({name: "Send this field once."})
        for part in parts:
            text(name, part)
        values[name] = ",".join(parts) if name in REPEATABLE else parts[0]
    return values


def one_file(required_name: str = "file"):
    """The one file part of a multipart request."""
    files = [f for f in request.files.getlist("file") if f and f.filename]
    if not files:
        raise Invalid({required_name: "Attach the file as a multipart/form-data part named 'file'."})
    if len(files) > 1:
        raise Invalid({required_name: "Send one file per request."})
    return files[0]


# --- codes, people, meetings, access ----------------------------------------------------------------

def items(name: str, value) -> list[str]:
    """A list of strings, or one comma-separated string, as a list of non-empty trimmed items."""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value):
        raise Invalid({name: "A list of values, or one comma-separated text."})
    found = [str(v).strip() for v in value]
    for item in found:
        text(name, item)
    if len(found) > 200:
        raise Invalid({name: "At most 200 values."})
    return [i for i in found if i]


def org(name: str, code) -> Organisation:
    found = org_by_code(code)
    if found is None:
        raise Invalid({name: "Unknown organisation code."})
    return found


def body(name: str, code) -> Body | None:
    """The body a code names; None for null or an empty code."""
    if code is None or not text(name, code).strip():
        return None
    found = body_by_code(code)
    if found is None:
        raise Invalid({name: "Unknown body code."})
    return found


def meeting(value) -> Meeting | None:
    """A meeting by id (a number, or its digits as text), which the caller may see; None or "" for none."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number = whole_number(str(value).strip()) if isinstance(value, (int, str)) and not isinstance(value, bool) \
        else None
    found = db.session.get(Meeting, number) if number is not None and number < 2**31 else None
    if found is None or not can(actor(), "workspaces.view", found):
        raise Invalid({"meeting_id": "No meeting with that id that you may see."})
    return found


def people(name: str, refs: list[str]) -> list[User]:
    """People named by id or email; every one must exist."""
    ids = {int(r) for r in refs if r.isascii() and r.isdigit() and len(r) <= 9}
    emails = {r.lower() for r in refs if not (r.isascii() and r.isdigit())}
    bad_ids = [r for r in refs if r.isascii() and r.isdigit() and len(r) > 9]
    found = list(db.session.execute(select(User).where(User.id.in_(ids))).scalars()) if ids else []
    found += list(db.session.execute(select(User).where(User.email.in_(emails))).scalars()) if emails else []
    missing = [str(i) for i in sorted(ids - {p.id for p in found})] + sorted(emails - {p.email for p in found})
    if missing or bad_ids:
        raise Invalid({name: f"No account {(missing + bad_ids)[0][:254]!r}."})
    return list({p.id: p for p in found}.values())


def access_input(level, body_code, org_codes, people_refs, fields: dict[str, str],
                 default_body: Body | None = None) -> services.Access:
    """Who may see a document, from the API's names (`fields` maps each part to the name the caller used)."""
    level = text(fields["level"], level, required=True).strip()
    if level not in ACCESS_LEVELS:
        raise Invalid({fields["level"]: f"One of {', '.join(ACCESS_LEVELS)}."})
    chosen = body(fields["body"], body_code)
    orgs = [org(fields["orgs"], c) for c in items(fields["orgs"], org_codes)] if org_codes is not None else []
    orgs = list({o.id: o for o in orgs}.values())
    persons = people(fields["people"], items(fields["people"], people_refs)) if people_refs is not None else []
    if level == "body" and chosen is None:
        chosen = default_body
    return services.Access(level, chosen, orgs, persons)
