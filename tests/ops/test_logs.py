"""Structured logs: one JSON object per line, a request id from the caller or made up, echoed and quoted on the
error page, an access line per request, and no password, token or feed secret anywhere in the log."""
from __future__ import annotations

import io
import json
import logging
import re
import secrets
from datetime import datetime

import pytest

from aocp import logs
from aocp.accounts.models import User
from aocp.accounts.services import create_token
from aocp.extensions import db
from aocp.policy import public
from tests.conftest import PASSWORD, login, user_email

GENERATED = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture
def captured(app):
    """AOCP's logging as configured for production (JSON), into a buffer; returns a reader of parsed lines."""
    buffer = io.StringIO()
    logs.configure("json", "INFO", buffer)

    def read() -> list[dict]:
        lines = [line for line in buffer.getvalue().splitlines() if line]
        return [json.loads(line) for line in lines]  # every line must be one JSON object
    read.text = buffer.getvalue
    yield read
    logs.configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])


def access_lines(entries: list[dict]) -> list[dict]:
    return [e for e in entries if e["logger"] == "aocp.access"]


def test_each_request_writes_one_json_access_line(client, captured):
    r = client.get("/healthz")
    [line] = access_lines(captured())
    assert line["level"] == "INFO" and line["message"] == "GET /healthz 200"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/healthz", 200)
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["time"].endswith("Z") and datetime.fromisoformat(line["time"]).utcoffset().total_seconds() == 0
    assert line["request_id"] == r.headers["X-Request-ID"] and GENERATED.match(line["request_id"])
    assert "user_id" not in line


def test_a_sane_request_id_from_the_caller_is_kept_echoed_and_logged(client, captured):
    r = client.get("/healthz", headers={"X-Request-ID": "edge-7f3a:42/retry.1"})
    assert r.headers["X-Request-ID"] == "edge-7f3a:42/retry.1"
    assert access_lines(captured())[0]["request_id"] == "edge-7f3a:42/retry.1"


@pytest.mark.parametrize("hostile", ["", "x" * 129, "two words", "tab\there", "caf\u00e9", "del\x7f"])
def test_an_unusable_request_id_is_replaced_by_a_new_one(client, captured, hostile):
    r = client.get("/healthz", headers={"X-Request-ID": hostile})
    assert GENERATED.match(r.headers["X-Request-ID"]) and r.headers["X-Request-ID"] != hostile
    assert access_lines(captured())[0]["request_id"] == r.headers["X-Request-ID"]


def test_every_request_gets_its_own_id(client):
    ids = {client.get("/healthz").headers["X-Request-ID"] for _ in range(5)}
    assert len(ids) == 5


def test_a_signed_in_persons_requests_carry_their_id(app, client, make_user, captured):
    user_id = make_user("delegate")
    login(client, user_email(app, user_id))
    client.get("/documents/")
    line = [e for e in access_lines(captured()) if e["path"] == "/documents/"][0]
    assert line["user_id"] == user_id and line["status"] == 200


def test_an_unexpected_error_is_logged_with_its_traceback_and_its_reference_is_on_the_page(app, client, captured,
                                                                                         monkeypatch):
    @public
    def broken():
        raise ZeroDivisionError("deliberate")
    monkeypatch.setitem(app.view_functions, "main.healthz", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    r = client.get("/healthz", headers={"X-Request-ID": "ticket-1234"})
    assert r.status_code == 500 and r.headers["X-Request-ID"] == "ticket-1234"
    assert "please quote this reference: <code>ticket-1234</code>" in r.get_data(as_text=True)
    [error] = [e for e in captured() if e["level"] == "ERROR"]
    assert error["request_id"] == "ticket-1234" and error["message"] == "Unhandled error on GET /healthz"
    assert "ZeroDivisionError: deliberate" in error["exception"] and "Traceback" in error["exception"]
    assert access_lines(captured())[0]["status"] == 500


def test_an_api_error_gives_its_reference_in_the_json(app, client, monkeypatch):
    @public
    def broken():
        raise ZeroDivisionError("deliberate")
    monkeypatch.setitem(app.view_functions, "api.openapi_json", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 500 and r.get_json()["error"]["request_id"] == r.headers["X-Request-ID"]


def test_no_password_token_or_secret_link_reaches_the_log(app, client, make_user, captured):
    user_id = make_user("delegate")
    assert login(client, user_email(app, user_id)).status_code == 302  # the password is posted in the form
    with app.app_context():
        _, api_token = create_token(db.session.get(User, user_id), "tests", "read")
        db.session.commit()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {api_token}"}).status_code == 200
    feed, reset = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    client.get(f"/calendar/feed/{feed}.ics")
    client.get(f"/reset/{reset}")
    client.get("/documents/", query_string={"q": "nickel", "access_token": "query-secret-123"})
    text = captured.text()
    for secret in (PASSWORD, api_token, feed, reset, "query-secret-123"):
        assert secret not in text
    api_line = [e for e in access_lines(captured()) if e["path"] == "/api/v1/me"][0]
    assert api_line["user_id"] == user_id  # a token's owner is named too
    paths = [e["path"] for e in access_lines(captured())]
    assert "/calendar/feed/[redacted].ics" in paths and "/reset/[redacted]" in paths
    assert "/documents/?q=nickel&access_token=[redacted]" in paths


def test_text_format_names_the_request_and_level_filters_aocps_lines(app, client):
    buffer = io.StringIO()
    try:
        logs.configure("text", "INFO", buffer)
        r = client.get("/healthz")
        assert f"INFO aocp.access [{r.headers['X-Request-ID']}] GET /healthz 200" in buffer.getvalue()
        logs.configure("text", "WARNING", buffer)
        client.get("/healthz")
        assert buffer.getvalue().count("GET /healthz") == 1
    finally:
        logs.configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])


def test_the_development_servers_own_access_line_is_left_out(captured):
    # werkzeug repeats the raw request line, secrets included; AOCP's own line replaces it.
    logging.getLogger("werkzeug").warning('"%s" %s %s', "GET /calendar/feed/secret.ics HTTP/1.1", "404", "-")
    logging.getLogger("werkzeug").warning("Running on %s", "http://127.0.0.1:5000")
    assert [e["message"] for e in captured()] == ["Running on http://127.0.0.1:5000"]


def test_unknown_settings_are_refused():
    with pytest.raises(RuntimeError, match="AOCP_LOG_FORMAT"):
        logs.configure("xml", "INFO")
    with pytest.raises(RuntimeError, match="AOCP_LOG_LEVEL"):
        logs.configure("json", "LOUD")


FORGING = "/documents/%0aFORGED%20line?q=nickel%0d%0a2026-12-07 FORGED&note=%e2%80%a8FORGED%c2%85too"
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def test_text_format_writes_control_characters_as_escapes_so_no_line_is_forged(app, client):
    buffer = io.StringIO()
    try:
        logs.configure("text", "INFO", buffer)
        client.get(FORGING, environ_overrides={"HTTP_X_REQUEST_ID": "ok\r\nFORGED"})
        logging.getLogger("aocp.tests").warning("note\u2028FORGED", extra={"who\nFORGED": "a\r\nFORGED\x1b[31m"})
    finally:
        logs.configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    lines = buffer.getvalue().splitlines()  # splits at \r, \x85 and \u2028 too
    assert len(lines) == 2 and all(TIMESTAMP.match(line) for line in lines), lines
    access, note = lines
    assert r"GET /documents/\nFORGED line?q=nickel\r\n2026-12-07 FORGED&note=\u2028FORGED\x85too" in access
    assert r"path=/documents/\nFORGED line?q=nickel\r\n" in access and "ok\\r\\nFORGED" not in access
    assert note.endswith(r"note\u2028FORGED who\nFORGED=a\r\nFORGED\x1b[31m")


def test_json_format_keeps_one_object_per_line_whatever_the_values(client, captured):
    client.get(FORGING)
    logging.getLogger("aocp.tests").warning("note\u2028FORGED", extra={"who\nFORGED": "a\r\nFORGED\x85"})
    text = captured.text()
    assert len(text.splitlines()) == len(text.rstrip("\n").split("\n")) == 2  # no \u2028 or \x85 left raw
    access, note = captured()
    assert access["path"] == "/documents/\nFORGED line?q=nickel\r\n2026-12-07 FORGED&note=\u2028FORGED\x85too"
    assert note["message"] == "note\u2028FORGED" and note["who\nFORGED"] == "a\r\nFORGED\x85"


def test_a_traceback_in_text_format_is_indented_under_its_record(app):
    buffer = io.StringIO()
    try:
        logs.configure("text", "INFO", buffer)
        try:
            raise ValueError("bad\n2026-12-07 00:00:00 INFO aocp.access [-] FORGED")
        except ValueError:
            logging.getLogger("aocp.tests").exception("failed")
    finally:
        logs.configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    first, *rest = buffer.getvalue().splitlines()
    assert first.endswith("ERROR aocp.tests [-] failed")
    assert rest and all(line.startswith("    ") for line in rest)
    assert "    ValueError: bad" in rest and "    2026-12-07 00:00:00 INFO aocp.access [-] FORGED" in rest
