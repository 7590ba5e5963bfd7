"""The audit log: what is recorded, browsing with filters, CSV export, the hash chain, and who may see it."""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime

import pyotp
import pytest
from sqlalchemy import select, text

from aocp import audit
from aocp.admin.audit_views import CSV_COLUMNS
from aocp.audit import AuditEntry
from aocp.extensions import db
from aocp.timeutil import utcnow
from tests.admin.conftest import entries, new_client, org_id
from tests.conftest import PASSWORD, csrf_token, link_in, login, outbox, post_form


def bulk(app, n: int, action: str = "test.bulk", **kwargs) -> None:
    with app.app_context():
        for i in range(n):
            audit.record(action, details={"n": i}, **kwargs)
        db.session.commit()


def actions_listed(page: str) -> list[str]:
    body = page[page.index("<tbody>"):page.index("</tbody>")]
    return re.findall(r"<td><code>([a-z_.]+)</code></td>", body)


def verify(app):
    with app.app_context():
        result = audit.verify_chain()
        db.session.remove()
        return result


def raw_sql(app, sql: str, **params) -> None:
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text(sql), params)


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


# --- what is recorded --------------------------------------------------------

def test_permission_denial_is_refused_and_audited(app, make_user):
    uid = make_user("delegate", email="hafiz@example.gov.my")
    delegate = new_client(app, uid)
    r = delegate.get("/admin/people")
    assert r.status_code == 403
    assert "Not allowed" in r.get_data(as_text=True)
    [entry] = entries(app, "access.denied")
    assert (entry.actor_id, entry.actor_email, entry.ip) == (uid, "hafiz@example.gov.my", "127.0.0.1")
    assert json.loads(entry.details) == {"rule": "users.view", "path": "/admin/people", "method": "GET"}


def test_denied_api_request_is_audited(app, make_user):
    from aocp.accounts import services
    from aocp.accounts.models import User
    uid = make_user("delegate")
    with app.app_context():
        _t, raw = services.create_token(db.session.get(User, uid), "t", "read")
        db.session.commit()
    r = app.test_client().get("/api/v1/users", headers={"Authorization": f"Bearer {raw}"})
    assert r.status_code == 403
    [entry] = entries(app, "access.denied")
    assert entry.actor_id == uid and '"path": "/api/v1/users"' in entry.details


def test_sign_ins_and_failures_are_audited(app, admin, admin_id, make_user):
    login(app.test_client(), "nobody@example.org", "whatever password here")
    [failure] = entries(app, "auth.failure")
    assert failure.actor_email == "nobody@example.org" and '"reason": "unknown"' in failure.details
    [signin] = entries(app, "auth.login")
    assert signin.actor_id == admin_id and '"method": "password+totp"' in signin.details


def test_entries_record_utc_time_ip_and_target(app, admin, make_user):
    target = make_user("delegate")
    post_form(admin, f"/admin/people/{target}/deactivate", {}, page=f"/admin/people/{target}")
    [entry] = entries(app, "user.deactivated")
    assert abs((utcnow() - entry.created_at).total_seconds()) < 60
    assert (entry.ip, entry.target_type, entry.target_id, entry.actor_email) == (
        "127.0.0.1", "users", str(target), "admin@asec.example.org")


# --- browsing ------------------------------------------------------------------

def test_admin_browses_the_audit_log_newest_first(app, admin):
    bulk(app, 1, "test.first")
    bulk(app, 1, "test.second")
    listed = actions_listed(admin.get("/admin/audit").get_data(as_text=True))
    assert listed.index("test.second") < listed.index("test.first")
    assert "auth.login" in listed


def test_audit_log_filters_by_action_prefix(app, admin, make_user):
    make_user("delegate", bodies={"WGTIM": "member"})
    page = admin.get("/admin/audit?action=membership.").get_data(as_text=True)
    assert actions_listed(page) == ["membership.set"]
    assert 'value="membership."' in page  # the filter stays filled in


def test_audit_log_filters_by_actor(app, admin, make_user):
    bulk(app, 3, "test.by_someone", actor_email="someone@example.org")
    bulk(app, 2, "test.by_other", actor_email="other@example.org")
    listed = actions_listed(admin.get("/admin/audit?actor=SOMEONE@").get_data(as_text=True))
    assert listed == ["test.by_someone"] * 3


def test_audit_log_filters_match_wildcards_literally(app, admin):
    bulk(app, 2, "test.by_someone", actor_email="someone@example.org")
    assert "No entries match." in admin.get("/admin/audit?actor=%25").get_data(as_text=True)
    assert "No entries match." in admin.get("/admin/audit?actor=s_meone").get_data(as_text=True)
    assert "No entries match." in admin.get("/admin/audit?action=test_").get_data(as_text=True)
    assert actions_listed(admin.get("/admin/audit?action=test.").get_data(as_text=True)) == ["test.by_someone"] * 2


def test_audit_log_filters_by_target(app, admin, make_user):
    target = make_user("delegate")
    make_user("delegate")
    listed = actions_listed(admin.get(f"/admin/audit?target=users:{target}").get_data(as_text=True))
    assert listed == ["user.created"]
    every_user = actions_listed(admin.get("/admin/audit?target=users").get_data(as_text=True))
    assert every_user == ["user.created"] * 3  # the administrator and the two delegates


def test_audit_log_filters_by_date(app, admin, monkeypatch):
    monkeypatch.setattr("aocp.audit.utcnow", lambda: datetime(2024, 1, 15, 23, 30))
    bulk(app, 2, "test.old")
    monkeypatch.undo()
    bulk(app, 1, "test.new")
    assert verify(app)[0]
    day = actions_listed(admin.get("/admin/audit?since=2024-01-15&until=2024-01-15").get_data(as_text=True))
    assert day == ["test.old", "test.old"]
    before = actions_listed(admin.get("/admin/audit?until=2024-01-14").get_data(as_text=True))
    assert before == []
    after = actions_listed(admin.get("/admin/audit?since=2024-01-16").get_data(as_text=True))
    assert "test.old" not in after and "test.new" in after
    ignored = actions_listed(admin.get("/admin/audit?since=not-a-date").get_data(as_text=True))
    assert "test.old" in ignored and "test.new" in ignored


def test_audit_log_is_paginated(app, admin):
    bulk(app, 60)
    first = admin.get("/admin/audit?action=test.bulk").get_data(as_text=True)
    assert len(actions_listed(first)) == 50
    assert "Page 1 of 2 (60 in all)" in first
    next_link = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    assert "action=test.bulk" in next_link
    second = admin.get(next_link).get_data(as_text=True)
    assert len(actions_listed(second)) == 10


def test_audit_log_filter_with_no_match_says_so(app, admin):
    assert "No entries match." in admin.get("/admin/audit?action=nothing.like.this").get_data(as_text=True)


# --- CSV export ----------------------------------------------------------------

def test_csv_export_has_a_header_row_and_the_rows(app, admin):
    bulk(app, 3, "test.csv", actor_email="clerk@example.org")
    r = admin.get("/admin/audit.csv?action=test.csv")
    assert r.status_code == 200
    assert r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    rows = read_csv(r)
    assert rows[0] == CSV_COLUMNS
    assert [row[2] for row in rows[1:]] == ["test.csv"] * 3
    assert [json.loads(row[7])["n"] for row in rows[1:]] == [2, 1, 0]  # newest first, like the page
    with app.app_context():
        stored = {e.id: e.hash for e in db.session.execute(select(AuditEntry)).scalars()}
    assert all(stored[int(row[0])] == row[8] for row in rows[1:])


def test_csv_export_streams_every_row_of_a_long_log(app, admin):
    bulk(app, 1205)
    r = admin.get("/admin/audit.csv?action=test.bulk")
    assert r.is_streamed
    rows = read_csv(r)
    assert len(rows) == 1206
    ids = [int(row[0]) for row in rows[1:]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 1205


def test_csv_export_shows_formulas_as_text(app, admin):
    login(app.test_client(), "=HYPERLINK(\"http://evil\")", "whatever password here")
    rows = read_csv(admin.get("/admin/audit.csv?action=auth.failure"))
    assert rows[1][3].startswith("'=")


def test_csv_export_of_an_empty_selection_has_only_the_header(app, admin):
    assert read_csv(admin.get("/admin/audit.csv?action=nothing.like.this")) == [CSV_COLUMNS]


# --- the hash chain ------------------------------------------------------------

def test_chain_verifies_after_normal_use(app, admin, make_user):
    make_user("delegate", bodies={"WGTIM": "member"})
    ok, count, message = verify(app)
    assert ok and count == len(entries(app)) and count >= 3
    assert "chain intact" in message


def test_changed_details_are_detected(app, admin, make_user):
    make_user("delegate", bodies={"WGTIM": "chair"})
    target = entries(app, "membership.set")[0]
    raw_sql(app, "UPDATE audit_entries SET details = :d WHERE id = :id",
            d=target.details.replace("chair", "member"), id=target.id)
    ok, _count, message = verify(app)
    assert not ok and f"entry {target.id}" in message and "contents" in message


def test_changed_hash_is_detected(app, admin, make_user):
    make_user("delegate")
    first = entries(app)[0]
    raw_sql(app, "UPDATE audit_entries SET hash = :h WHERE id = :id", h="f" * 64, id=first.id)
    ok, _count, message = verify(app)
    assert not ok and f"entry {first.id}" in message


def test_recomputed_hash_after_an_edit_breaks_the_next_link(app, admin, make_user):
    make_user("delegate")
    first, second = entries(app)[:2]
    first.actor_email = "someone.else@example.org"
    with app.app_context():  # even someone holding the key cannot edit an entry without redoing every later one
        digest = first.keyed_hash(audit.keys()[1][first.key_id])
    raw_sql(app, "UPDATE audit_entries SET actor_email = :e, hash = :h WHERE id = :id",
            e=first.actor_email, h=digest, id=first.id)
    ok, _count, message = verify(app)
    assert not ok and f"entry {second.id}" in message and "previous hash" in message


def test_every_column_but_the_hash_is_hashed():
    assert sorted(AuditEntry.HASHED) == sorted(c.name for c in AuditEntry.__table__.columns if c.name != "hash")


@pytest.mark.parametrize("column, value", [
    ("actor_id", None), ("details", '{"role": "chair"}'), ("action", "membership.removed"),
    ("created_at", datetime(2020, 1, 1, 12, 0)), ("target_id", "999"), ("key_id", "other"), ("id", 10_000)])
def test_a_column_changed_in_the_database_is_reported_as_the_first_broken_entry(app, admin, admin_id, make_user,
                                                                                column, value):
    make_user("delegate", bodies={"WGTIM": "chair"})
    target = entries(app, "membership.set")[0]
    if column == "actor_id":
        value = admin_id if target.actor_id != admin_id else None
    raw_sql(app, f"UPDATE audit_entries SET {column} = :v WHERE id = :id", v=value, id=target.id)
    ok, _count, message = verify(app)
    broken_id = value if column == "id" else target.id
    assert not ok and message.startswith(f"entry {broken_id} (")
    assert (value if column == "action" else target.action) in message


def test_flask_audit_verify_names_the_first_broken_entry_and_exits_non_zero(app, admin, make_user):
    make_user("delegate")
    target = entries(app)[1]
    raw_sql(app, "UPDATE audit_entries SET actor_id = NULL WHERE id = :id", id=target.id)
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"TAMPERED: entry {target.id} ({target.created_at:%Y-%m-%d %H:%M:%S} UTC, {target.action})" in result.output


def test_rotating_the_key_keeps_older_entries_verifiable(app, admin, monkeypatch):
    first_key, old, new = app.config["AUDIT_KEY"], "o" * 32, "n" * 32
    monkeypatch.setitem(app.config, "AUDIT_KEYS", f"1:{first_key}")
    monkeypatch.setitem(app.config, "AUDIT_KEY", old)
    monkeypatch.setitem(app.config, "AUDIT_KEY_ID", "2026a")
    bulk(app, 2, "test.before")
    monkeypatch.setitem(app.config, "AUDIT_KEYS", f"1:{first_key},2026a:{old}")
    monkeypatch.setitem(app.config, "AUDIT_KEY", new)
    monkeypatch.setitem(app.config, "AUDIT_KEY_ID", "2026b")
    bulk(app, 2, "test.after")
    assert [e.key_id for e in entries(app, "test.before") + entries(app, "test.after")] == ["2026a"] * 2 + ["2026b"] * 2
    assert verify(app)[0]
    monkeypatch.setitem(app.config, "AUDIT_KEYS", f"1:{first_key}")  # the retired key lost
    ok, _count, message = verify(app)
    first_before = entries(app, "test.before")[0]
    assert not ok and message.startswith(f"entry {first_before.id} (") and "'2026a', which is not configured" in message


def _forge(app, entry: AuditEntry, details: str, key_id: str | None, digest) -> None:
    raw_sql(app, "UPDATE audit_entries SET details = :d, key_id = :k, hash = :h WHERE id = :id",
            d=details, k=key_id, h=digest, id=entry.id)
    raw_sql(app, "UPDATE audit_head SET last_hash = :h", h=digest)  # the head follows, as a forger would make it


@pytest.mark.parametrize("how", ["unkeyed hash", "unkeyed hash, key id removed", "another key"])
def test_a_database_copy_without_the_key_cannot_forge_an_entry(app, admin, how):
    bulk(app, 2, "test.forged")
    newest = entries(app)[-1]
    newest.details = '{"n": 99}'
    if how == "another key":
        digest = newest.keyed_hash(b"guessed-key")
    else:
        newest.key_id = None if "removed" in how else newest.key_id
        digest = newest.legacy_hash()
    _forge(app, newest, newest.details, newest.key_id, digest)
    ok, _count, message = verify(app)
    assert not ok and message.startswith(f"entry {newest.id} (")


def _legacy_entries(app, n: int) -> None:
    """Entries as written before keyed hashing: no key id, the unkeyed hash, numbered by the database."""
    with app.app_context():
        raw = db.session.connection()
        raw.execute(text("DELETE FROM audit_entries"))
        prev = audit.GENESIS
        for i in range(n):
            e = AuditEntry(id=i + 1, created_at=utcnow(), action="legacy.entry", actor_email="old@example.org",
                           target_type="", target_id="", ip="", details=json.dumps({"n": i}), prev_hash=prev)
            e.hash = e.legacy_hash()
            db.session.add(e)
            prev = e.hash
        db.session.execute(text("UPDATE audit_head SET last_hash = :h, last_id = :n"), {"h": prev, "n": n})
        db.session.commit()


def test_entries_from_before_keyed_hashing_still_verify_with_the_unkeyed_hash(app):
    _legacy_entries(app, 3)
    bulk(app, 2, "test.keyed")
    assert [e.key_id is None for e in entries(app)] == [True] * 3 + [False] * 2
    ok, count, message = verify(app)
    assert ok and count == 5 and "3 written before keyed hashing" in message
    raw_sql(app, "UPDATE audit_entries SET actor_email = 'new@example.org' WHERE id = 2")
    ok, _count, message = verify(app)
    assert not ok and message.startswith("entry 2 (")


def test_a_logged_head_catches_a_chain_rewritten_whole_without_the_key(app, caplog, monkeypatch):
    monkeypatch.setitem(app.config, "AUDIT_HEAD_LOG_EVERY", 2)
    with caplog.at_level("INFO", logger="aocp.audit"):
        for _ in range(4):
            bulk(app, 1, "test.logged")
    heads = [r.getMessage().split()[3] for r in caplog.records if r.getMessage().startswith("audit chain head")]
    newest = entries(app)[-1]
    assert [int(h.split(":")[0]) for h in heads] == [newest.id - 2, newest.id] and newest.id % 2 == 0
    assert heads[-1] == f"{newest.id}:{newest.hash}"
    # Rewriting every entry the unkeyed, older way verifies alone; the head kept in the log does not match.
    with app.app_context():
        rows = db.session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars().all()
        prev = audit.GENESIS
        for e in rows:
            e.prev_hash, e.key_id, e.details = prev, None, '{"n": 0}'
            e.hash = prev = e.legacy_hash()
        db.session.execute(text("UPDATE audit_head SET last_hash = :h"), {"h": prev})
        db.session.commit()
    assert verify(app)[0]
    result = app.test_cli_runner().invoke(args=["audit", "verify", *(f"--expect={h}" for h in heads)])
    assert result.exit_code == 1 and "differs from the head recorded outside the database" in result.output


def test_flask_audit_head_prints_the_newest_entry_for_verify_to_expect(app, admin):
    head = app.test_cli_runner().invoke(args=["audit", "head"]).output.strip()
    newest = entries(app)[-1]
    assert head == f"{newest.id}:{newest.hash}"
    assert app.test_cli_runner().invoke(args=["audit", "verify", "--expect", head]).exit_code == 0
    assert app.test_cli_runner().invoke(args=["audit", "verify", "--expect", "12:abc"]).exit_code == 2


def test_deleted_entry_is_detected(app, admin, make_user):
    make_user("delegate")
    middle = entries(app)[1]
    raw_sql(app, "DELETE FROM audit_entries WHERE id = :id", id=middle.id)
    assert not verify(app)[0]


def test_deleted_newest_entry_is_detected(app, admin, make_user):
    make_user("delegate")
    newest = entries(app)[-1]
    raw_sql(app, "DELETE FROM audit_entries WHERE id = :id", id=newest.id)
    ok, _count, message = verify(app)
    assert not ok and "head hash differs" in message


def test_verify_page_reports_intact_and_broken_chains(app, admin):
    page = admin.get("/admin/audit/verify").get_data(as_text=True)
    assert "Intact:" in page and "chain intact" in page
    first = entries(app)[0]
    raw_sql(app, "UPDATE audit_entries SET ip = '10.0.0.1' WHERE id = :id", id=first.id)
    page = admin.get("/admin/audit/verify").get_data(as_text=True)
    assert "Broken:" in page and f"entry {first.id}" in page


# --- no secrets ----------------------------------------------------------------

def test_audit_log_never_contains_passwords_tokens_or_codes(app, admin, admin_id):
    secrets_seen = [PASSWORD]
    new_password, reset_password, wrong = "granite lantern quietly 42", "copper river morning 77", "wrong guess 1234"
    secrets_seen += [new_password, reset_password, wrong]
    # An invitation, accepted with a password.
    post_form(admin, "/admin/people/invite", {"email": "nur@example.gov.my", "name": "Nur", "role": "delegate",
                                              "org": str(org_id(app, "MYS")), "bodies": ["WGTIM"]})
    link = link_in(outbox(app)[-1], "/invitations/")
    secrets_seen.append(link.rsplit("/", 1)[1])
    person = app.test_client()
    post_form(person, link, {"password": new_password, "confirm": new_password})
    login(person, "nur@example.gov.my", wrong)
    login(person, "nur@example.gov.my", new_password)
    # A second factor: the key, a code and the recovery codes.
    setup = person.get("/profile/mfa").get_data(as_text=True)
    secret = re.search(r'data-testid="mfa-secret">([A-Z2-7]+)<', setup).group(1)
    code = pyotp.TOTP(secret).now()
    codes_page = post_form(person, "/profile/mfa", {"code": code}).get_data(as_text=True)
    recovery = re.findall(r"<li><code>([0-9a-f]{5}-[0-9a-f]{5})</code></li>", codes_page)
    assert len(recovery) == 10
    secrets_seen += [secret, code] + recovery + [c.replace("-", "") for c in recovery]
    # An API token.
    token_page = post_form(person, "/profile/tokens", {"name": "scripts", "scope": "read", "days": "30"},
                           page="/profile/").get_data(as_text=True)
    raw_token = re.search(r'data-testid="new-token">([^<]+)<', token_page).group(1)
    secrets_seen.append(raw_token)
    # Sign in again with a recovery code, then reset the password by email.
    post_form(person, "/logout", {}, page="/profile/")
    login(person, "nur@example.gov.my", new_password)
    assert post_form(person, "/login/code", {"code": recovery[0]}).status_code == 302
    post_form(person, "/reset", {"email": "nur@example.gov.my"}, page="/reset")
    reset_link = link_in(outbox(app)[-1], "/reset/")
    secrets_seen.append(reset_link.rsplit("/", 1)[1])
    post_form(app.test_client(), reset_link, {"password": reset_password, "confirm": reset_password})

    actions = {e.action for e in entries(app)}
    assert {"invitation.sent", "invitation.accepted", "auth.failure", "mfa.enabled", "token.created",
            "mfa.recovery_code_used", "password.reset"} <= actions
    with app.app_context():
        dump = repr(db.session.execute(text("SELECT * FROM audit_entries")).all())
    exported = admin.get("/admin/audit.csv").get_data(as_text=True)
    for secret_value in secrets_seen:
        assert secret_value not in dump, f"a secret ({secret_value[:4]}…) is in the audit log"
        assert secret_value not in exported


# --- who may see it ------------------------------------------------------------

def test_audit_pages_are_refused_to_everyone_but_administrators(app, make_user):
    for role in ("asec_staff", "focal_person", "delegate", "observer"):
        other = new_client(app, make_user(role))
        for url in ("/admin/audit", "/admin/audit.csv", "/admin/audit/verify"):
            r = other.get(url)
            assert r.status_code == 403, (role, url)
            assert b"created_at_utc" not in r.data
    assert len(entries(app, "access.denied")) == 12


def test_audit_pages_ask_anonymous_visitors_to_sign_in(client):
    for url in ("/admin/audit", "/admin/audit.csv", "/admin/audit/verify"):
        r = client.get(url)
        assert r.status_code == 302 and r.headers["Location"].startswith("/login?next=")


def test_the_audit_log_offers_no_way_to_change_entries(app, admin):
    token = csrf_token(admin, "/admin/audit")
    for method in ("post", "put", "delete"):
        assert getattr(admin, method)("/admin/audit", data={"csrf_token": token}).status_code == 405
