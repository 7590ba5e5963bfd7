"""Every POST route of the web pages, fuzzed through its form: hostile, missing, duplicated and oversize values.

Routes come from app.url_map (so a new one is fuzzed at once); the fields of each come from its form as
the pages of existing objects draw it. Whatever is sent with a valid CSRF token, the answer is below 500, and
when the app says no (a 4xx, a form re-drawn with errors, or a redirect to an error message) nothing stored
has changed.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import delete, select
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import AnyConverter

from aocp.accounts import mfa
from aocp.accounts.models import SignInThrottle, User
from aocp.cli import DEMO_PASSWORD
from aocp.extensions import db
from aocp.meetings.models import Meeting
from aocp.meetings.services import minutes_of
from tests.conftest import csrf_token, login, post_form, totp_now
from tests.fuzzing import (
    FUZZ_SETTINGS,
    HOSTILE_BODIES,
    World,
    build_world,
    changed,
    dates,
    deep_json,
    files,
    hostile_text,
    snapshot,
)

# Signed-out pages: fuzzed from a client without a session.
SIGNED_OUT = {"accounts.login", "accounts.second_factor", "accounts.request_reset", "accounts.reset_password",
              "accounts.accept_invitation"}
# Downloads and exports hold no forms; the crawl for forms skips them.
NO_FORMS = re.compile(r"download|preview|export|ics|csv|pack|template|feed|record|revision|healthz|static|api\.")
# What the app draws when it says no: a field's error list, or an error flashed on the page.
REFUSAL = re.compile(r'class="errors"|class="flash flash-error"')


@dataclass
class Form:
    action: str
    fields: dict[str, "Field"] = field(default_factory=dict)


@dataclass
class Field:
    kind: str  # input type, "select" or "textarea"
    value: str = ""
    options: list[str] = field(default_factory=list)
    multiple: bool = False


class FormParser(HTMLParser):
    """The POST forms of a page: action and fields with their current values and choices."""

    def __init__(self, page_url: str):
        super().__init__()
        self.page_url, self.forms, self._form, self._select, self._textarea = page_url, [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "get").lower() == "post":
            self._form = Form(a.get("action") or self.page_url)
            self.forms.append(self._form)
        elif self._form is None or not a.get("name"):
            if tag == "option" and self._select is not None:
                self._option(a)
        elif tag == "input" and a.get("type", "text") not in ("submit", "button", "reset", "image"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and a["name"] in self._form.fields:
                self._form.fields[a["name"]].options.append(a.get("value", "y"))
                return
            f = Field(kind, a.get("value", ""), [a.get("value", "y")] if kind in ("checkbox", "radio") else [])
            if kind in ("checkbox", "radio") and "checked" not in a:
                f.value = ""
            self._form.fields[a["name"]] = f
        elif tag == "select":
            self._select = self._form.fields[a["name"]] = Field("select", multiple="multiple" in a)
        elif tag == "textarea":
            self._textarea = self._form.fields[a["name"]] = Field("textarea")
        elif tag == "option" and self._select is not None:
            self._option(a)

    def _option(self, a):
        self._select.options.append(a.get("value", ""))
        if "selected" in a:
            self._select.value = a.get("value", "")

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


class Browser:
    """A test client with its CSRF token; the administrator's is signed in again whenever it was signed out."""

    def __init__(self, app, world: World, admin: bool):
        self.app, self.world, self.admin = app, world, admin
        self.client = app.test_client()
        self.token = ""
        self.sign_in()

    def sign_in(self) -> None:
        self.client = self.app.test_client()
        if self.admin:
            with self.app.app_context():  # accepted requests may have demoted, deactivated or locked the account
                admin = db.session.get(User, self.world.admin_id)
                admin.role, admin.status, admin.failed_logins, admin.locked_until = "asec_admin", "active", 0, None
                db.session.execute(delete(SignInThrottle).where(SignInThrottle.user_id == admin.id))
                admin.mfa_secret, admin.mfa_enabled = admin.mfa_secret or mfa.new_secret(), True
                admin.mfa_last_step = 0  # the same code may sign in again within its 30 seconds
                db.session.commit()
            r = login(self.client, "admin@asec.example.org", DEMO_PASSWORD)
            assert r.status_code == 302 and r.headers["Location"].endswith("/login/code"), r.status_code
            r = post_form(self.client, "/login/code", {"code": totp_now(self.app, self.world.admin_id)})
            assert r.status_code == 302 and r.headers["Location"] == "/", r.headers.get("Location")
        self.token = csrf_token(self.client, "/profile/" if self.admin else "/login")

    def ready(self, endpoint: str) -> None:
        if self.admin and self.client.get("/").status_code != 200:
            self.sign_in()
        if endpoint == "accounts.second_factor":  # the code page answers a sign-in half done
            login(self.client, "admin@asec.example.org", DEMO_PASSWORD)


def route_values(app, rule, world: World) -> list[dict]:
    """Up to three sets of values for a rule's arguments, naming existing objects."""
    choices = {}
    for arg in sorted(rule.arguments - set(rule.defaults or {})):
        converter = rule._converters[arg]
        if isinstance(converter, AnyConverter):
            choices[arg] = sorted(converter.items)
        elif arg == "token":
            choices[arg] = [world.invitation_token if "invitation" in rule.endpoint else world.reset_token]
        elif arg == "code":
            choices[arg] = world.code_values("plans" if rule.rule.startswith("/plans") else "bodies")
        elif arg in world.ids or arg.endswith("_id"):
            choices[arg] = world.id_values(arg)
        else:
            choices[arg] = world.code_values(arg)
    return [{arg: values[i % len(values)] for arg, values in choices.items()} for i in range(3 if choices else 1)]


def crawl(app, browser: Browser, world: World) -> dict[str, dict[str, Form]]:
    """{POST route: {action: form}} for the forms drawn on every page the browser can open."""
    adapter = app.url_map.bind("localhost")
    found: dict[str, dict[str, Form]] = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or NO_FORMS.search(rule.endpoint):
            continue
        for values in route_values(app, rule, world):
            url = adapter.build(rule.endpoint, values)
            with browser.client.get(url) as r:
                if r.status_code != 200 or r.mimetype != "text/html":
                    continue
                page = r.get_data(as_text=True)
            parser = FormParser(url)
            parser.feed(page)
            for form in parser.forms:
                action = urlsplit(form.action).path
                try:
                    route, _ = adapter.match(action, method="POST", return_rule=True)
                except HTTPException:
                    continue
                found.setdefault(route.rule, {}).setdefault(action, form)
    return found


def field_value(data, world: World, name: str, f: Field):
    """A value a person might type or pick, or a hostile one, for one field."""
    if f.kind == "file":
        return data.draw(files())
    if f.kind in ("select", "checkbox", "radio") and f.options:
        plausible = st.sampled_from(f.options)
    elif f.kind == "date" or "date" in name or name.endswith(("_on", "deadline")):
        plausible = dates()
    elif f.kind == "time" or "time" in name:
        plausible = st.sampled_from(["09:30", "00:00", "23:59", "24:00", "9:5"])
    elif f.kind == "number":
        plausible = st.integers(-10, 10**12).map(str)
    elif f.kind == "email":
        plausible = st.sampled_from(world.code_values("email"))
    else:
        plausible = st.sampled_from(world.code_values(name)) | st.text(max_size=40)
    return data.draw(plausible | hostile_text())


def payload(data, world: World, form: Form) -> list[tuple[str, object]]:
    """The form as drawn, with up to three fields changed: a new value, missing, given twice, or unknown."""
    names = sorted(n for n in form.fields if n != "csrf_token")
    touched = data.draw(st.sets(st.sampled_from(names), max_size=3)) if names else set()
    pairs: list[tuple[str, object]] = []
    for name in names:
        f = form.fields[name]
        if name not in touched:
            if f.kind == "file":
                pairs.append((name, data.draw(files().filter(lambda v: v[1] == "notes.txt"))))
            elif f.value or f.kind not in ("checkbox", "radio"):
                pairs.append((name, f.value))
            continue
        how = data.draw(st.sampled_from(["value", "value", "missing", "twice"]))
        if how != "missing":
            pairs.append((name, field_value(data, world, name, f)))
        if how == "twice":
            pairs.append((name, field_value(data, world, name, f)))
    if data.draw(st.booleans()):
        pairs.append((data.draw(hostile_text()), data.draw(hostile_text())))
    return pairs


def send(browser: Browser, action: str, pairs: list[tuple[str, object]], raw: tuple[bytes, str] | None):
    headers = {"X-CSRFToken": browser.token}
    if raw is not None:
        return browser.client.post(action, data=raw[0], content_type=raw[1], headers=headers)
    pairs = [("csrf_token", browser.token), *pairs]
    if any(isinstance(v, tuple) for _, v in pairs):
        # Multipart text goes out as UTF-8, where a lone surrogate cannot be written.
        clean = lambda v: v.encode("utf-8", "surrogatepass").decode("utf-8", "replace")  # noqa: E731
        return browser.client.post(action, data=MultiDict([(clean(k), v if isinstance(v, tuple) else clean(v))
                                                           for k, v in pairs]),
                                   content_type="multipart/form-data", headers=headers)
    body = urlencode([(k.encode("utf-8", "surrogatepass"), v.encode("utf-8", "surrogatepass")) for k, v in pairs])
    return browser.client.post(action, data=body, content_type="application/x-www-form-urlencoded",
                               headers=headers)


def refusal(browser: Browser, response) -> str | None:
    """How the app said no, if it did: a 4xx, the form drawn again with errors, or a redirect to an error."""
    if response.status_code >= 400:
        return str(response.status_code)
    if response.status_code == 200 and response.mimetype == "text/html":
        page = response.get_data(as_text=True)
        if match := REFUSAL.search(page):
            return "200 " + page[match.start():match.start() + 300]
    if response.status_code in (302, 303):
        with browser.client.session_transaction() as session:  # flashed for the page it redirects to
            errors = [message for category, message in session.get("_flashes", []) if category == "error"]
        if errors:
            return f"{response.status_code} with {errors}"
    return None


def fuzz_route(app, browser: Browser, world: World, endpoint: str, forms: list[Form]):
    @FUZZ_SETTINGS
    @given(st.data())
    def run(data):
        browser.ready(endpoint)
        form = data.draw(st.sampled_from(forms))
        raw = data.draw(st.none() | st.sampled_from(HOSTILE_BODIES)) if data.draw(st.integers(0, 4)) == 0 else None
        pairs = payload(data, world, form)
        where = f"POST {form.action} {str(raw or pairs)[:600]}"
        before = snapshot(app)
        with send(browser, form.action, pairs, raw) as response:
            assert response.status_code < 500, where
            no = refusal(browser, response)
        if no:
            assert changed(before, snapshot(app)) == [], f"{where}\nrefused: {no}"

    run()


def test_every_form_answers_hostile_input_without_a_500_or_a_change(app):
    world = build_world(app)
    admin, visitor = Browser(app, world, admin=True), Browser(app, world, admin=False)
    post_routes = {r.rule: r for r in app.url_map.iter_rules() if "POST" in r.methods
                   and not r.rule.startswith("/api/")}
    found = crawl(app, admin, world)
    visitor.ready("accounts.second_factor")  # the code page shows its form to a sign-in half done
    found |= {route: forms for route, forms in crawl(app, visitor, world).items()
              if post_routes[route].endpoint in SIGNED_OUT}
    # Some forms show only in states the demo data lacks (or to other roles); those routes are fuzzed at their
    # address with made-up fields. Most must come from real forms, or the crawl has stopped finding them.
    without_form = set(post_routes) - set(found)
    assert len(without_form) <= len(post_routes) // 8, sorted(without_form)
    adapter = app.url_map.bind("localhost")
    exercised = set()
    for route, rule in sorted(post_routes.items()):
        forms = list(found.get(route, {}).values()) or \
            [Form(adapter.build(rule.endpoint, values)) for values in route_values(app, rule, world)]
        fuzz_route(app, visitor if rule.endpoint in SIGNED_OUT else admin, world, rule.endpoint, forms)
        exercised.add(route)
    assert exercised == set(post_routes) and len(exercised) > 60


# --- what the fuzzing found, kept as plain examples --------------------------------------------------------

def test_a_json_body_sent_to_a_page_form_is_a_400_not_a_500(app):
    world = build_world(app)
    admin = Browser(app, world, admin=True)
    before = snapshot(app)
    for body in (b"[1, 2]", b'"text"', b"5", deep_json(), b'{"code": "XX", "name": ["a", {"b": null}]}'):
        r = admin.client.post("/admin/bodies/new", data=body, content_type="application/json",
                              headers={"X-CSRFToken": admin.token})
        assert r.status_code == 400, body[:40]
    assert changed(before, snapshot(app)) == []


def test_a_minutes_draft_that_cannot_be_stored_is_refused_not_a_500(app):
    world = build_world(app)
    admin = Browser(app, world, admin=True)
    with app.app_context():
        meeting = db.session.execute(select(Meeting).where(Meeting.status != "held")).scalars().first()
        url, version = f"/meetings/{meeting.id}/minutes/draft", minutes_of(meeting).version
        db.session.commit()
    before = snapshot(app)
    for body in (deep_json(), json.dumps({"body_md": "lone \ud800 surrogate", "version": version}).encode(),
                 json.dumps({"body_md": "a NUL \x00 here", "version": version}).encode()):
        r = admin.client.post(url, data=body, content_type="application/json", headers={"X-CSRFToken": admin.token})
        assert r.status_code == 422 and r.get_json()["error"]["code"] == "invalid", body[:40]
    assert changed(before, snapshot(app)) == []
    r = admin.client.post(url, json={"body_md": "Draft that can be stored.", "version": version},
                          headers={"X-CSRFToken": admin.token})
    assert r.status_code == 200 and changed(before, snapshot(app)) == ["minutes"]
