"""Signing in: one generic error, safe `next`, throttling per account and address, per-client rate limits, audit."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from aocp.accounts import views
from aocp.accounts.models import SignInThrottle, User
from aocp.audit import AuditEntry, verify_chain
from aocp.extensions import db
from aocp.timeutil import utcnow
from tests.conftest import PASSWORD, csrf_token, login, outbox, post_form, signed_in, totp_now

GENERIC = "The email or password is not correct."
WRONG = "definitely-not-the-password-42"


def entries(app, action: str | None = None) -> list[AuditEntry]:
    with app.app_context():
        stmt = select(AuditEntry).order_by(AuditEntry.id)
        if action:
            stmt = stmt.where(AuditEntry.action == action)
        rows = db.session.execute(stmt).scalars().all()
        db.session.expunge_all()
        return rows


def stored_user(app, uid: int) -> User:
    with app.app_context():
        user = db.session.get(User, uid)
        db.session.expunge(user)
        return user




def normalised_page(response, *secrets: str) -> str:
    page = response.get_data(as_text=True)
    page = re.sub(r'name="csrf_token"( type="hidden")? value="[^"]+"', 'name="csrf_token" value=""', page)
    for s in secrets:
        page = page.replace(s, "EMAIL")
    return page


@pytest.fixture
def delegate(make_user):
    return make_user("delegate", email="dara@example.org", name="Dara Sok")


@pytest.fixture
def login_limit(app):
    """A small per-client limit on the sign-in forms, restored afterwards."""
    before = app.config["LOGIN_RATE_LIMIT"]
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    yield
    app.config["LOGIN_RATE_LIMIT"] = before


# --- the generic failure -------------------------------------------------------

def test_the_sign_in_page_shows_email_and_password_fields(client):
    r = client.get("/login")
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    assert 'name="email"' in page and 'name="password"' in page and 'type="password"' in page


def test_unknown_email_and_wrong_password_get_the_same_message(client, app, delegate):
    unknown = login(client, "nobody@example.org", WRONG)
    wrong = login(client, "dara@example.org", WRONG)
    assert unknown.status_code == wrong.status_code == 200
    assert GENERIC in unknown.get_data(as_text=True)
    assert GENERIC in wrong.get_data(as_text=True)
    # The pages are identical apart from the email typed and the CSRF token.
    assert normalised_page(unknown, "nobody@example.org") == normalised_page(wrong, "dara@example.org")


def test_a_wrong_password_does_not_sign_in(client, delegate):
    login(client, "dara@example.org", WRONG)
    assert not signed_in(client)


def test_a_successful_sign_in_redirects_to_the_home_page(client, delegate):
    r = login(client, "dara@example.org")
    assert r.status_code == 302
    assert r.headers["Location"] == "/"
    assert signed_in(client)


def test_the_email_is_matched_whatever_its_case_and_surrounding_spaces(client, delegate):
    r = login(client, "  Dara@Example.ORG ")
    assert r.status_code == 302 and r.headers["Location"] == "/"


def test_a_signed_in_person_opening_the_sign_in_page_goes_home(client, delegate):
    login(client, "dara@example.org")
    r = client.get("/login")
    assert r.status_code == 302 and r.headers["Location"] == "/"


def test_a_deactivated_person_cannot_sign_in_even_with_the_right_password(client, app, delegate):
    with app.app_context():
        db.session.execute(update(User).where(User.id == delegate).values(status="deactivated"))
        db.session.commit()
    r = login(client, "dara@example.org")
    assert r.status_code == 200
    assert GENERIC in r.get_data(as_text=True)
    assert not signed_in(client)


def test_a_deactivated_persons_failure_is_audited_as_inactive(client, app, delegate):
    with app.app_context():
        db.session.execute(update(User).where(User.id == delegate).values(status="deactivated"))
        db.session.commit()
    login(client, "dara@example.org")
    failures = entries(app, "auth.failure")
    assert [f.details for f in failures] == ['{"reason": "inactive"}']


def test_a_form_without_its_csrf_token_is_refused(client, delegate):
    client.get("/login")
    r = client.post("/login", data={"email": "dara@example.org", "password": PASSWORD})
    assert r.status_code == 400
    assert not signed_in(client)


# --- where people land after signing in ----------------------------------------

def test_a_page_asked_for_before_signing_in_is_opened_after_signing_in(client, delegate):
    r = client.get("/profile/")
    assert r.status_code == 302
    assert r.headers["Location"] == "/login?next=/profile/"
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    hidden = re.search(r'id="next" name="next" type="hidden" value="([^"]*)"', page)
    assert hidden and hidden.group(1) == "/profile/"
    r = post_form(client, "/login", {"email": "dara@example.org", "password": PASSWORD, "next": hidden.group(1)})
    assert r.status_code == 302 and r.headers["Location"] == "/profile/"


def test_a_local_next_with_a_query_string_is_kept(client, delegate):
    r = post_form(client, "/login", {"email": "dara@example.org", "password": PASSWORD,
                                     "next": "/admin/people?q=sok&page=2"})
    assert r.status_code == 302
    assert r.headers["Location"] == "/admin/people?q=sok&page=2"


@pytest.mark.parametrize("target", [
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "https://evil.example/",
    "http:/evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,hi",
    "/\t/evil.example/",
    "/profile/\r\nSet-Cookie: x=1",
    "/profile/\x00",
    "/profile/\x7f",
    "evil.example",
], ids=["scheme-relative", "triple-slash", "slash-backslash", "backslashes", "https", "http-one-slash",
        "javascript", "javascript-mixed-case", "data", "tab", "crlf", "nul", "del", "relative-host"])
def test_a_next_that_is_not_a_local_path_sends_people_home_instead(client, delegate, target):
    r = post_form(client, "/login", {"email": "dara@example.org", "password": PASSWORD, "next": target})
    assert r.status_code == 302
    assert r.headers["Location"] == "/"


def test_an_unsafe_next_in_the_address_is_ignored_too(client, delegate):
    url = "/login?next=%2F%2Fevil.example%2F"
    r = post_form(client, url, {"email": "dara@example.org", "password": PASSWORD,
                                "next": "//evil.example/"}, page=url)
    assert r.headers["Location"] == "/"


def test_next_is_honoured_after_the_second_factor(client, app, make_user):
    uid = make_user("delegate", email="mfa@example.org", mfa_on=True)
    r = post_form(client, "/login", {"email": "mfa@example.org", "password": PASSWORD, "next": "/profile/"})
    assert r.headers["Location"] == "/login/code"
    r = post_form(client, "/login/code", {"code": totp_now(app, uid)})
    assert r.status_code == 302 and r.headers["Location"] == "/profile/"


def test_an_unsafe_next_is_refused_after_the_second_factor(client, app, make_user):
    uid = make_user("delegate", email="mfa@example.org", mfa_on=True)
    post_form(client, "/login", {"email": "mfa@example.org", "password": PASSWORD, "next": "//evil.example/"})
    r = post_form(client, "/login/code", {"code": totp_now(app, uid)})
    assert r.status_code == 302 and r.headers["Location"] == "/"


# --- throttling per account and client address ---------------------------------------

ATTACKER, HOLDER = "203.0.113.9", "198.51.100.20"


def fail(client, email: str, times: int, **kwargs):
    for _ in range(times):
        r = login(client, email, WRONG, **kwargs)
        assert r.status_code == 200


def from_address(app, address: str):
    """A browser at another client address."""
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = address
    return browser


def pause(app, uid: int, client: str = "127.0.0.1"):
    """When `client` may try the account again (None: it may now)."""
    with app.app_context():
        return db.session.execute(select(SignInThrottle.locked_until).where(
            SignInThrottle.user_id == uid, SignInThrottle.client == client)).scalar()


def attack_emails(app) -> list:
    return [m for m in outbox(app) if m["Subject"] == "Someone is trying to sign in to your AOCP account"]


def test_failures_below_the_limit_do_not_pause_the_address(client, app, delegate):
    fail(client, "dara@example.org", app.config["LOGIN_MAX_FAILURES"] - 1)
    assert pause(app, delegate) is None
    r = login(client, "dara@example.org")
    assert r.status_code == 302


def test_a_successful_sign_in_resets_the_failure_count(client, app, delegate):
    fail(client, "dara@example.org", app.config["LOGIN_MAX_FAILURES"] - 1)
    login(client, "dara@example.org")
    assert stored_user(app, delegate).failed_logins == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SignInThrottle)) == 0


def test_repeated_failures_pause_the_address_for_the_configured_time(client, app, delegate):
    before = utcnow()
    fail(client, "dara@example.org", app.config["LOGIN_MAX_FAILURES"])
    locked_until = pause(app, delegate)
    assert locked_until is not None
    seconds = app.config["LOGIN_LOCKOUT_SECONDS"]
    assert before + timedelta(seconds=seconds) <= locked_until <= utcnow() + timedelta(seconds=seconds)


def test_the_correct_password_is_refused_from_the_paused_address(client, app, delegate):
    fail(client, "dara@example.org", app.config["LOGIN_MAX_FAILURES"])
    r = login(client, "dara@example.org")
    assert r.status_code == 200
    assert GENERIC in r.get_data(as_text=True)
    assert not signed_in(client)


def test_the_pause_applies_to_every_browser_at_that_address(client, app, delegate):
    fail(client, "dara@example.org", app.config["LOGIN_MAX_FAILURES"])
    other = app.test_client()  # no cookies in common, same address
    r = login(other, "dara@example.org")
    assert r.status_code == 200 and not signed_in(other)


def test_the_holder_signs_in_from_another_address_while_a_stranger_is_paused(app, delegate):
    attacker = from_address(app, ATTACKER)
    fail(attacker, "dara@example.org", app.config["LOGIN_MAX_FAILURES"] * 3)
    assert login(attacker, "dara@example.org").status_code == 200 and not signed_in(attacker)
    holder = from_address(app, HOLDER)
    r = login(holder, "dara@example.org")
    assert r.status_code == 302 and r.headers["Location"] == "/"
    assert signed_in(holder)
    assert pause(app, delegate, ATTACKER) is not None  # the holder's sign-in lifts nothing for the stranger


def test_an_administrator_cannot_be_shut_out_by_a_stranger(app, make_user):
    uid = make_user("asec_admin", email="chief@asec.example.org", mfa_on=True)
    attacker = from_address(app, ATTACKER)
    fail(attacker, "chief@asec.example.org", app.config["LOGIN_MAX_FAILURES"] * 3)
    holder = from_address(app, HOLDER)
    assert login(holder, "chief@asec.example.org").headers["Location"] == "/login/code"
    r = post_form(holder, "/login/code", {"code": totp_now(app, uid)})
    assert r.status_code == 302 and r.headers["Location"] == "/"
    assert signed_in(holder)


def test_wrong_codes_pause_only_the_address_they_came_from(app, make_user):
    uid = make_user("delegate", email="mfa@example.org", mfa_on=True)
    attacker = from_address(app, ATTACKER)
    login(attacker, "mfa@example.org")  # the password is known, the phone is not
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        post_form(attacker, "/login/code", {"code": "000000"})
    assert pause(app, uid, ATTACKER) is not None
    post_form(attacker, "/login/code", {"code": totp_now(app, uid)})  # the right code, from the paused address
    assert not signed_in(attacker)
    holder = from_address(app, HOLDER)
    login(holder, "mfa@example.org")
    assert post_form(holder, "/login/code", {"code": totp_now(app, uid)}).headers["Location"] == "/"


def test_each_further_pause_of_an_address_lasts_twice_as_long(client, app, delegate):
    seconds = app.config["LOGIN_LOCKOUT_SECONDS"]
    for expected in (seconds, 2 * seconds, 4 * seconds):
        start = utcnow()
        fail(client, "dara@example.org", app.config["LOGIN_MAX_FAILURES"])
        until = pause(app, delegate)
        assert start + timedelta(seconds=expected) <= until <= utcnow() + timedelta(seconds=expected)
        expire_pauses(app)


def test_pauses_grow_no_longer_than_the_configured_ceiling(client, app, delegate, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LOCKOUT_MAX_SECONDS", app.config["LOGIN_LOCKOUT_SECONDS"] * 3)
    for _ in range(4):
        fail(client, "dara@example.org", app.config["LOGIN_MAX_FAILURES"])
        expire_pauses(app)
    fail(client, "dara@example.org", app.config["LOGIN_MAX_FAILURES"])
    assert pause(app, delegate) <= utcnow() + timedelta(seconds=app.config["LOGIN_LOCKOUT_MAX_SECONDS"])


def expire_pauses(app):
    with app.app_context():
        db.session.execute(update(SignInThrottle).values(locked_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()


def test_a_forwarded_for_header_does_not_make_a_new_client(client, app, delegate):
    for n in range(app.config["LOGIN_MAX_FAILURES"]):
        login(client, "dara@example.org", WRONG, headers={"X-Forwarded-For": f"192.0.2.{n}"})
    r = login(client, "dara@example.org", headers={"X-Forwarded-For": "192.0.2.200"})
    assert r.status_code == 200 and not signed_in(client)


def test_addresses_in_one_ipv6_64_share_a_pause(app, delegate):
    for n in range(app.config["LOGIN_MAX_FAILURES"]):
        login(from_address(app, f"2001:db8:1:2::{n + 1}"), "dara@example.org", WRONG)
    r = login(from_address(app, "2001:db8:1:2:ffff::9"), "dara@example.org")
    assert r.status_code == 200
    assert login(from_address(app, "2001:db8:1:3::1"), "dara@example.org").status_code == 302


def test_the_holder_is_told_once_a_window_when_the_account_is_attacked(app, delegate):
    fail(from_address(app, ATTACKER), "dara@example.org", app.config["LOGIN_MAX_FAILURES"] - 1)
    assert attack_emails(app) == []
    fail(from_address(app, "203.0.113.10"), "dara@example.org", app.config["LOGIN_MAX_FAILURES"] * 2)
    [message] = attack_emails(app)
    assert message["To"] == "dara@example.org"
    assert len(entries(app, "auth.attack_notice")) == 1
    with app.app_context():  # a window later, a new attack is told again
        db.session.execute(update(User).where(User.id == delegate).values(
            locked_until=utcnow() - timedelta(seconds=1), last_failed_login_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
    fail(from_address(app, "203.0.113.11"), "dara@example.org", app.config["LOGIN_MAX_FAILURES"])
    assert len(attack_emails(app)) == 2


def test_a_mail_server_that_fails_does_not_fail_the_sign_in_page(app, delegate, monkeypatch):
    from aocp.accounts import throttle

    def refuse(*_args, **_kwargs):
        raise ConnectionRefusedError("the mail server is down")
    monkeypatch.setattr(throttle, "send_email", refuse)
    codes = [login(from_address(app, f"203.0.113.{n + 20}"), "dara@example.org", WRONG).status_code
             for n in range(app.config["LOGIN_MAX_FAILURES"] + 1)]
    assert set(codes) == {200}
    assert login(from_address(app, HOLDER), "dara@example.org").status_code == 302


def test_failed_answers_on_an_account_under_attack_are_slowed(app, delegate, monkeypatch):
    waits = []
    monkeypatch.setattr(views.time, "sleep", waits.append)
    monkeypatch.setitem(app.config, "LOGIN_FAILURE_DELAY_SECONDS", 0.75)
    fail(from_address(app, ATTACKER), "dara@example.org", app.config["LOGIN_MAX_FAILURES"] - 1)
    assert set(waits) == {0.0}
    fail(from_address(app, "203.0.113.10"), "dara@example.org", 2)
    assert waits[-2:] == [0.75, 0.75]
    assert login(from_address(app, HOLDER), "dara@example.org").status_code == 302  # slowed, never refused


def test_the_pause_expires_and_the_correct_password_works_again(client, app, delegate):
    fail(client, "dara@example.org", app.config["LOGIN_MAX_FAILURES"])
    expire_pauses(app)
    r = login(client, "dara@example.org")
    assert r.status_code == 302 and r.headers["Location"] == "/"
    assert pause(app, delegate) is None


def test_a_shorter_configured_lockout_gives_a_shorter_pause(client, app, delegate, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LOCKOUT_SECONDS", 30)
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES", 2)
    fail(client, "dara@example.org", 2)
    locked_until = pause(app, delegate)
    assert locked_until is not None
    assert locked_until - utcnow() <= timedelta(seconds=30)


def test_attempts_during_a_pause_do_not_extend_it(client, app, delegate):
    fail(client, "dara@example.org", app.config["LOGIN_MAX_FAILURES"])
    first = pause(app, delegate)
    fail(client, "dara@example.org", app.config["LOGIN_MAX_FAILURES"] + 2)
    assert pause(app, delegate) == first


def test_a_paused_address_does_not_reach_the_second_factor(client, app, make_user):
    make_user("delegate", email="mfa@example.org", mfa_on=True)
    fail(client, "mfa@example.org", app.config["LOGIN_MAX_FAILURES"])
    r = login(client, "mfa@example.org")
    assert r.status_code == 200 and GENERIC in r.get_data(as_text=True)
    assert client.get("/login/code").headers["Location"] == "/login"


def test_failures_on_an_unknown_email_do_not_pause_a_real_account(client, app, delegate):
    fail(client, "dara@example.com", app.config["LOGIN_MAX_FAILURES"] + 1)
    assert login(client, "dara@example.org").status_code == 302


# --- per-client rate limit ------------------------------------------------------------

def test_too_many_sign_in_attempts_from_one_client_get_429_with_the_error_page(client, delegate, login_limit):
    for _ in range(3):
        assert login(client, "dara@example.org", WRONG).status_code == 200
    r = login(client, "dara@example.org", WRONG)
    assert r.status_code == 429
    page = r.get_data(as_text=True)
    assert "Too many requests" in page and "Error 429" in page
    assert "<html" in page  # the site's own page, not a bare message


def test_the_rate_limit_refuses_even_the_right_password(client, delegate, login_limit):
    for _ in range(3):
        login(client, "nobody@example.org", WRONG)
    r = login(client, "dara@example.org")
    assert r.status_code == 429
    assert not signed_in(client)


def test_the_rate_limit_counts_per_client_address(client, app, delegate, login_limit):
    for _ in range(4):
        login(client, "nobody@example.org", WRONG)
    other = app.test_client()
    token = csrf_token(other, "/login")
    r = other.post("/login", data={"csrf_token": token, "email": "dara@example.org", "password": PASSWORD},
                   environ_base={"REMOTE_ADDR": "192.0.2.77"})
    assert r.status_code == 302


def test_viewing_the_sign_in_page_is_not_counted_by_the_rate_limit(client, delegate, login_limit):
    for _ in range(10):
        assert client.get("/login").status_code == 200
    assert login(client, "dara@example.org").status_code == 302


def test_the_second_factor_page_is_rate_limited_too(client, app, make_user, login_limit):
    make_user("delegate", email="mfa@example.org", mfa_on=True)
    login(client, "mfa@example.org")
    statuses = [post_form(client, "/login/code", {"code": "000000"}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


# --- audit ---------------------------------------------------------------------

def test_a_failed_sign_in_is_audited_with_the_reason(client, app, delegate):
    login(client, "dara@example.org", WRONG)
    [entry] = entries(app, "auth.failure")
    assert entry.actor_id == delegate
    assert entry.details == '{"reason": "password"}'
    assert entry.ip == "127.0.0.1"


def test_a_failure_for_an_unknown_email_is_audited_without_an_account(client, app):
    login(client, "Nobody@Example.org", WRONG)
    [entry] = entries(app, "auth.failure")
    assert entry.actor_id is None
    assert entry.actor_email == "nobody@example.org"
    assert entry.details == '{"reason": "unknown"}'


def test_a_lockout_is_audited(client, app, delegate):
    fail(client, "dara@example.org", app.config["LOGIN_MAX_FAILURES"])
    [lock] = entries(app, "auth.lockout")
    assert lock.actor_id == delegate
    assert lock.details == f'{{"client": "127.0.0.1", "seconds": {app.config["LOGIN_LOCKOUT_SECONDS"]}}}'


def test_attempts_while_locked_are_audited_as_throttled(client, app, delegate):
    fail(client, "dara@example.org", app.config["LOGIN_MAX_FAILURES"])
    login(client, "dara@example.org")
    assert entries(app, "auth.failure")[-1].details == '{"reason": "throttled"}'


def test_a_sign_in_is_audited(client, app, delegate):
    login(client, "dara@example.org")
    [entry] = entries(app, "auth.login")
    assert entry.actor_id == delegate and entry.actor_email == "dara@example.org"
    assert entry.details == '{"method": "password"}'


def test_a_sign_in_with_a_code_is_audited_as_such(client, app, make_user):
    uid = make_user("delegate", email="mfa@example.org", mfa_on=True)
    login(client, "mfa@example.org")
    post_form(client, "/login/code", {"code": totp_now(app, uid)})
    [entry] = entries(app, "auth.login")
    assert entry.details == '{"method": "password+totp"}'


def test_the_audit_log_never_holds_a_typed_password(client, app, delegate):
    fail(client, "dara@example.org", app.config["LOGIN_MAX_FAILURES"])
    login(client, "dara@example.org")  # throttled
    login(client, "nobody@example.org", WRONG)
    expire_pauses(app)
    login(client, "dara@example.org")
    rows = entries(app)
    assert {"auth.failure", "auth.lockout", "auth.attack_notice", "auth.login"} <= {e.action for e in rows}
    for e in rows:
        text = " ".join([e.action, e.actor_email, e.target_type, e.target_id, e.ip, e.details])
        assert WRONG not in text and PASSWORD not in text


def test_sign_in_activity_keeps_the_audit_chain_intact(client, app, delegate):
    fail(client, "dara@example.org", app.config["LOGIN_MAX_FAILURES"])
    login(client, "nobody@example.org", WRONG)
    with app.app_context():
        ok, count, message = verify_chain()
    assert ok, message
    assert count >= app.config["LOGIN_MAX_FAILURES"] + 2


# --- signing out ------------------------------------------------------------------

def test_get_on_logout_changes_nothing(client, app, delegate):
    login(client, "dara@example.org")
    r = client.get("/logout")
    assert r.status_code == 405
    assert signed_in(client)
    assert not entries(app, "auth.logout")


def test_a_logout_without_csrf_token_does_not_sign_out(client, app, delegate):
    login(client, "dara@example.org")
    client.post("/logout")
    assert signed_in(client)


def test_logout_signs_out_and_is_audited(client, app, delegate):
    login(client, "dara@example.org")
    r = post_form(client, "/logout", {}, page="/profile/")
    assert r.status_code == 302 and r.headers["Location"] == "/login"
    assert not signed_in(client)
    [entry] = entries(app, "auth.logout")
    assert entry.actor_id == delegate


def test_the_sign_out_message_is_shown_on_the_sign_in_page(client, delegate):
    login(client, "dara@example.org")
    r = post_form(client, "/logout", {}, page="/profile/", follow_redirects=True)
    assert "You have signed out." in r.get_data(as_text=True)

