"""The request layer shared by pages and the API: reading input, loading what a URL names, answering refusals.

Loaders and input readers raise; they never build responses. `init_app` maps what they raise to one answer each,
a page for people and JSON problem details (`{"error": {"status", "code", "message", …}}`) under /api/:

- `NotFound` — 404 ("There is no such meeting, or you may not see it."): the object is missing, or the person may
  not see it, which is not revealed (and is audited as a denial).
- `Invalid` — 422 with the message of each field that is wrong (a page shows 400 with the first message).
- `policy.PermissionDenied` — 403, audited (handled in `web.py` with the other policy refusals).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date

from flask import Flask, abort, jsonify, render_template, request
from flask_login import current_user
from sqlalchemy import select

from aocp.extensions import db
from aocp.orgs.models import Body, Organisation
from aocp.policy import PermissionDenied, can, record_denial

MAX_ID = 2**31 - 1  # ids are 32-bit integers on every database
MAX_PAGE = 100_000
MAX_LIST = 500
FIRST_YEAR, LAST_YEAR = 1970, 2100
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # long texts keep tabs and line breaks
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


ERROR_TEXT = {
    400: ("Bad request", "The request could not be understood. Please go back and try again."),
    401: ("Sign-in needed", "Please sign in to continue."),
    403: ("Not allowed", "You do not have access to this page. If you think you should, ask the ASEAN "
                         "Secretariat."),
    404: ("Not found", "There is nothing at this address, or you are not allowed to see it."),
    405: ("Not allowed", "This action cannot be done this way."),
    413: ("Too large", "What you sent is larger than AOCP accepts."),
    429: ("Too many requests", "You have made too many requests. Please wait a little and try again."),
    500: ("Something went wrong", "The error has been logged. Please try again in a moment."),
    503: ("Database unavailable", "The database cannot be reached just now. Please try again shortly."),
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def json_error(status: int, message: str, code: str | None = None, **extra):
    body = {"error": {"status": status, "code": code or ERROR_TEXT.get(status, ("error",))[0].lower()
                      .replace(" ", "_"), "message": message, **extra}}
    return jsonify(body), status


class NotFound(Exception):
    """What the URL names does not exist, or the person may not know that it does: 404 either way."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


class Invalid(Exception):
    """Input refused; `fields` maps each field to what is wrong with it."""

    def __init__(self, fields: dict[str, str]):
        super().__init__("invalid input")
        self.fields = fields


# --- loading what a URL names, through the policy ---------------------------------------------------

def actor():
    """The person the request acts for: the signed-in person, or the owner of the API token."""
    from flask import g

    return getattr(g, "api_user", None) or current_user


def checked(obj, what: str, view_rule: str, rule: str | None = None):
    """`obj` if the person may see it (`view_rule`, else NotFound, audited) and may do `rule` (else 403)."""
    user = actor()
    if obj is None:
        raise NotFound(what)
    if not can(user, view_rule, obj):
        record_denial(user, view_rule)
        raise NotFound(what)
    if rule is not None and rule != view_rule and not can(user, rule, obj):
        raise PermissionDenied(rule)
    return obj


def is_code(code) -> bool:
    """Organisation and body codes are short runs of ASCII letters and digits (never NUL or other oddities)."""
    return isinstance(code, str) and 0 < len(code) <= 16 and code.isascii() and code.isalnum()


def org_by_code(code) -> Organisation | None:
    if not is_code(code):
        return None
    return db.session.execute(select(Organisation).where(Organisation.code == code.upper())
                              ).scalar_one_or_none()


def body_by_code(code) -> Body | None:
    if not is_code(code):
        return None
    return db.session.execute(select(Body).where(Body.code == code.upper())).scalar_one_or_none()


# --- reading input ------------------------------------------------------------------------------------

def whole_number(raw: str | None) -> int | None:
    """ASCII digits only (int() would also take ' 1', '1_0' and other scripts' digits)."""
    if raw is None or not (raw.isascii() and raw.isdigit()) or len(raw) > 12:
        return None
    return int(raw)


def valid_id(value) -> bool:
    return type(value) is int and 1 <= value <= MAX_ID  # bool is an int subclass: refused here


def parse_date(raw) -> date | None:
    """A YYYY-MM-DD date in a sensible range, or None."""
    if not isinstance(raw, str) or not ISO_DATE.match(raw):
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return None
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else None


def page_args(default_per_page: int = 50) -> tuple[int, int]:
    page = whole_number(request.args.get("page", "1"))
    per_page = whole_number(request.args.get("per_page", str(default_per_page)))
    if page is None or per_page is None:
        abort(400, "page and per_page must be whole numbers.")
    if not 1 <= page <= MAX_PAGE or not 1 <= per_page <= 200:
        abort(400, f"page must be between 1 and {MAX_PAGE} and per_page between 1 and 200.")
    return page, per_page


def paginated(stmt, serialise) -> dict:
    page, per_page = page_args()
    result = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    return {"items": [serialise(x) for x in result.items], "page": page, "per_page": per_page,
            "total": result.total, "pages": result.pages}


def json_body() -> dict:
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser follows; silent=True only covers malformed JSON
        data = None
    if not isinstance(data, dict):
        abort(400, "Send a JSON object with Content-Type: application/json.")
    try:  # JSON may spell lone surrogates (\ud800) that no database can store
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        abort(400, "The JSON text must be valid Unicode.")
    return data


def text_problem(value, max_length: int = 200) -> str | None:
    """Why a name-like value is not acceptable, or None: any script, no control characters."""
    if not isinstance(value, str) or not value.strip():
        return "Required text."
    if len(value.strip()) > max_length:
        return f"1 to {max_length} characters."
    if CONTROL.search(value):
        return "No control characters."
    return None


class Fields:
    """Reads the fields of a JSON object, collecting every problem before refusing (422)."""

    def __init__(self, data: dict, allowed: set[str], required: tuple[str, ...] = ()):
        self.data, self.errors = data, {}
        for name in sorted(set(data) - allowed)[:20]:
            self.errors[str(name)[:64]] = "Unknown field."
        for name in required:
            if name not in data:
                self.errors[name] = "Required."

    def has(self, name: str) -> bool:
        return name in self.data and name not in self.errors

    def text(self, name: str, default: str = "", max_length: int = 300, required: bool = False,
             multiline: bool = False, strip: bool = True) -> str:
        if not self.has(name):
            return default
        value = self.data[name]
        if not isinstance(value, str):
            self.errors[name] = "Text expected."
        elif (CONTROL_IN_TEXT if multiline else CONTROL).search(value):
            self.errors[name] = "No control characters."
        elif required and not value.strip():
            self.errors[name] = "Required."
        elif len(value.strip() if strip else value) > max_length:
            self.errors[name] = f"At most {max_length:,} characters."
        else:
            return value.strip() if strip else value
        return default

    def whole(self, name: str, low: int, high: int, default: int | None = None, nullable: bool = False):
        if not self.has(name):
            return default
        value = self.data[name]
        if value is None and nullable:
            return None
        if type(value) is not int or not low <= value <= high:
            self.errors[name] = f"A whole number from {low} to {high:,}."
            return default
        return value

    def day(self, name: str, default: date | None = None, nullable: bool = True) -> date | None:
        if not self.has(name):
            return default
        value = self.data[name]
        if value is None and nullable:
            return None
        parsed = parse_date(value)
        if parsed is None:
            self.errors[name] = f"A date as YYYY-MM-DD between {FIRST_YEAR} and {LAST_YEAR}."
            return default
        return parsed

    def ids(self, name: str) -> list[int]:
        value = self.data.get(name)
        if not isinstance(value, list) or not all(valid_id(v) for v in value):
            self.errors[name] = "A list of ids (whole numbers)."
            return []
        if len(value) > MAX_LIST:
            self.errors[name] = f"At most {MAX_LIST} ids."
            return []
        return list(dict.fromkeys(value))

    def org(self, name: str, default: Organisation | None = None) -> Organisation | None:
        """An organisation named by its code; null clears it."""
        if not self.has(name):
            return default
        if self.data[name] is None:
            return None
        org = org_by_code(self.data[name])
        if org is None:
            self.errors[name] = "Unknown organisation code."
        return org

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def check(self) -> None:
        if self.errors:
            raise Invalid(self.errors)


# --- answering ----------------------------------------------------------------------------------------

def init_app(app: Flask) -> None:
    @app.errorhandler(NotFound)
    def not_found(err: NotFound):
        db.session.rollback()
        if wants_json():
            return json_error(404, f"There is no such {err.what}, or you may not see it.", "not_found")
        title, message = ERROR_TEXT[404]
        return render_template("errors/error.html", status=404, title=title, message=message), 404

    @app.errorhandler(Invalid)
    def invalid(err: Invalid):
        db.session.rollback()
        if wants_json():
            return json_error(422, "Some fields are not valid.", "validation_error", fields=err.fields)
        message = next(iter(err.fields.values()), "Please check what you entered.")
        return render_template("errors/error.html", status=400, title="Bad request", message=message), 400


@dataclass
class RowPage:
    """A page of rows with what the `pager` macro reads (for statements db.paginate cannot page)."""
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1
