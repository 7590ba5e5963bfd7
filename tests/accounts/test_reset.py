"""Password reset by emailed link: same answer for every email, single-use, expiring, hashed, never past MFA."""
from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from aocp.accounts.models import PasswordReset, User
from aocp.audit import AuditEntry
from aocp.extensions import db
from aocp.sessions import UserSession
from aocp.timeutil import utcnow
from tests.conftest import PASSWORD, csrf_token, link_in, login, outbox, post_form, signed_in, totp_now

NEW = "seven lanterns over the mekong"
SENT = "If an active account uses that email, a reset link is on its way."


def request_reset(client, email: str, **kwargs):
    return post_form(client, "/reset", {"email": email}, **kwargs)


def reset_link(app, index: int = -1) -> str:
    messages = outbox(app)
    assert messages, "no email was sent"
    return link_in(messages[index], "/reset/")


def choose(client, link: str, password: str = NEW, confirm: str | None = None):
    return post_form(client, link, {"password": password, "confirm": password if confirm is None else confirm})


def can_sign_in(app, email: str, password: str) -> bool:
    return login(app.test_client(), email, password).status_code == 302




def flashes(response) -> list[str]:
    return re.findall(r'<p class="flash flash-\w+">([^<]*)</p>', response.get_data(as_text=True))


@pytest.fixture
def person(make_user):
    return make_user("observer", email="aiko@example.org", name="Aiko Tanaka")


# --- asking for a link ---------------------------------------------------------------------

def test_the_reset_page_asks_for_an_email(client):
    r = client.get("/reset")
    assert r.status_code == 200 and 'name="email"' in r.get_data(as_text=True)


def test_the_sign_in_page_links_to_the_reset_page(client):
    assert 'href="/reset"' in client.get("/login").get_data(as_text=True)


def test_known_and_unknown_emails_get_the_same_response(client, app, person):
    known = request_reset(client, "aiko@example.org")
    unknown = request_reset(client, "nobody@example.org")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"] == "/login"
    known_page = request_reset(client, "aiko@example.org", follow_redirects=True)
    unknown_page = request_reset(client, "nobody@example.org", follow_redirects=True)
    assert flashes(known_page) == flashes(unknown_page)
    assert any(SENT in f for f in flashes(known_page))


def test_a_deactivated_account_gets_the_same_response_and_no_email(client, app, person):
    with app.app_context():
        db.session.execute(update(User).where(User.id == person).values(status="deactivated"))
        db.session.commit()
    r = request_reset(client, "aiko@example.org", follow_redirects=True)
    assert any(SENT in f for f in flashes(r))
    assert outbox(app) == []


def test_an_unknown_email_sends_nothing(client, app):
    request_reset(client, "nobody@example.org")
    assert outbox(app) == []
    with app.app_context():
        assert db.session.execute(select(PasswordReset)).first() is None


def test_a_known_email_gets_a_message_with_a_link(client, app, person):
    request_reset(client, "aiko@example.org")
    [message] = outbox(app)
    assert message["To"] == "aiko@example.org"
    assert "reset" in message["Subject"].lower()
    assert re.fullmatch(r"/reset/[A-Za-z0-9_-]{40,}", link_in(message, "/reset/"))


def test_the_email_is_matched_whatever_its_case(client, app, person):
    request_reset(client, "AIKO@Example.org")
    assert len(outbox(app)) == 1


def test_the_message_says_how_long_the_link_works(client, app, person):
    request_reset(client, "aiko@example.org")
    [message] = outbox(app)
    assert f"within {app.config['RESET_TTL_MINUTES']} minutes" in message.get_payload(decode=True).decode()


def test_the_link_uses_the_configured_site_address_not_the_request_host(app, person, monkeypatch):
    """A forged Host header must not turn the emailed link into one pointing at an attacker's site."""
    monkeypatch.setitem(app.config, "SERVER_NAME", None)  # production sets no SERVER_NAME
    monkeypatch.setitem(app.config, "SITE_URL", "https://aocp.example.org")
    attacker = app.test_client()
    base = "http://evil.example"
    token = csrf_token_at(attacker, base)
    attacker.post("/reset", base_url=base, data={"csrf_token": token, "email": "aiko@example.org"})
    [message] = outbox(app)
    body = message.get_payload(decode=True).decode()
    assert "evil.example" not in body
    assert re.search(r"https://aocp\.example\.org/reset/[A-Za-z0-9_-]{40,}", body)


def csrf_token_at(client, base_url: str) -> str:
    page = client.get("/reset", base_url=base_url).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_a_reset_request_is_audited_without_the_link(client, app, person):
    request_reset(client, "aiko@example.org")
    token = reset_link(app).rsplit("/", 1)[1]
    with app.app_context():
        rows = db.session.execute(select(AuditEntry).where(AuditEntry.action == "password.reset_requested")
                                  ).scalars().all()
        assert len(rows) == 1 and rows[0].actor_id == person
        assert token not in rows[0].details


def test_reset_requests_are_rate_limited_per_client(client, app, person, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "2 per minute")
    statuses = [request_reset(client, "aiko@example.org").status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    assert len(outbox(app)) == 2


# --- what is stored -----------------------------------------------------------------

def test_only_a_hash_of_the_link_is_stored(client, app, person):
    request_reset(client, "aiko@example.org")
    token = reset_link(app).rsplit("/", 1)[1]
    with app.app_context():
        [row] = db.session.execute(select(PasswordReset)).scalars().all()
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in (row.token_hash,)
        assert row.user_id == person and row.used_at is None


def test_the_link_expires_after_the_configured_time(client, app, person):
    before = utcnow()
    request_reset(client, "aiko@example.org")
    with app.app_context():
        row = db.session.execute(select(PasswordReset)).scalar_one()
    ttl = timedelta(minutes=app.config["RESET_TTL_MINUTES"])
    assert before + ttl <= row.expires_at <= utcnow() + ttl


# --- using the link ----------------------------------------------------------------------

@pytest.fixture
def link(client, app, person):
    request_reset(client, "aiko@example.org")
    return reset_link(app)


def test_the_link_opens_a_form_for_a_new_password(client, link):
    r = client.get(link)
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and 'name="password"' in page and 'name="confirm"' in page


def test_the_link_sets_a_new_password(client, app, link):
    r = choose(client, link)
    assert r.status_code == 302 and r.headers["Location"] == "/login"
    assert can_sign_in(app, "aiko@example.org", NEW)
    assert not can_sign_in(app, "aiko@example.org", PASSWORD)


def test_the_new_password_is_stored_as_argon2id(client, app, person, link):
    choose(client, link)
    with app.app_context():
        assert db.session.get(User, person).password_hash.startswith("$argon2id$")


def test_the_link_works_only_once(client, app, link):
    choose(client, link)
    r = client.get(link)
    assert r.status_code == 404
    assert "cannot be used" in r.get_data(as_text=True)
    r = client.post(link, data={"csrf_token": csrf_token(client, "/reset"), "password": "another long phrase ok",
                                "confirm": "another long phrase ok"})
    assert r.status_code == 404
    assert can_sign_in(app, "aiko@example.org", NEW)


def test_an_expired_link_is_refused(client, app, link):
    with app.app_context():
        db.session.execute(update(PasswordReset).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    r = client.get(link)
    assert r.status_code == 404 and "cannot be used" in r.get_data(as_text=True)
    assert can_sign_in(app, "aiko@example.org", PASSWORD)


def test_a_link_still_within_its_time_works(client, app, link):
    with app.app_context():
        db.session.execute(update(PasswordReset).values(expires_at=utcnow() + timedelta(seconds=30)))
        db.session.commit()
    assert choose(client, link).status_code == 302


def test_a_made_up_link_is_refused(client, link):
    assert client.get("/reset/" + "A" * 43).status_code == 404
    assert client.get(link + "x").status_code == 404


def test_a_link_for_an_account_deactivated_since_is_refused(client, app, person, link):
    with app.app_context():
        db.session.execute(update(User).where(User.id == person).values(status="deactivated"))
        db.session.commit()
    assert client.get(link).status_code == 404


def test_a_weak_new_password_is_refused_and_the_link_still_works(client, app, link):
    r = choose(client, link, "password1234")
    assert r.status_code == 200
    assert "most common passwords" in r.get_data(as_text=True)
    assert can_sign_in(app, "aiko@example.org", PASSWORD)
    assert choose(client, link).status_code == 302


def test_a_short_new_password_is_refused(client, app, link):
    r = choose(client, link, "too short")
    assert "Use at least 12 characters (this one has 9)." in r.get_data(as_text=True)


def test_the_two_new_passwords_must_match(client, app, link):
    r = choose(client, link, NEW, confirm=NEW + "!")
    assert "The two passwords differ." in r.get_data(as_text=True)
    assert can_sign_in(app, "aiko@example.org", PASSWORD)


def test_a_thai_password_can_be_chosen_through_the_link(client, app, link):
    thai = "รหัสผ่านที่ยาวมากพอ"
    assert choose(client, link, thai).status_code == 302
    assert can_sign_in(app, "aiko@example.org", thai)


def test_the_reset_is_audited_without_the_password(client, app, person, link):
    choose(client, link)
    with app.app_context():
        rows = db.session.execute(select(AuditEntry)).scalars().all()
    assert "password.reset" in {e.action for e in rows}
    assert not any(NEW in e.details for e in rows)


def test_older_links_stop_working_once_the_password_is_reset(client, app, person):
    request_reset(client, "aiko@example.org")
    request_reset(client, "aiko@example.org")
    first, second = reset_link(app, 0), reset_link(app, 1)
    assert first != second
    assert choose(client, second).status_code == 302
    assert client.get(first).status_code == 404


def test_a_pending_link_stops_working_after_a_password_change(client, app, person):
    request_reset(client, "aiko@example.org")
    link = reset_link(app)
    browser = app.test_client()
    login(browser, "aiko@example.org")
    r = post_form(browser, "/profile/password", {"current": PASSWORD, "password": NEW, "confirm": NEW},
                  page="/profile/")
    assert r.status_code == 302
    assert client.get(link).status_code == 404


# --- sessions and the second factor -------------------------------------------------------

def test_a_reset_ends_every_existing_session(client, app, person, link):
    other = app.test_client()
    login(other, "aiko@example.org")
    assert signed_in(other)
    choose(client, link)
    assert not signed_in(other)
    with app.app_context():
        assert db.session.execute(select(UserSession).where(UserSession.user_id == person)).first() is None


def test_a_reset_does_not_sign_anyone_in(client, app, link):
    choose(client, link)
    assert not signed_in(client)


def test_a_reset_never_bypasses_the_second_factor(client, app, make_user):
    uid = make_user("delegate", email="two@example.org", mfa_on=True)
    request_reset(client, "two@example.org")
    choose(client, reset_link(app))
    r = login(client, "two@example.org", NEW)
    assert r.status_code == 302 and r.headers["Location"] == "/login/code"
    assert not signed_in(client)
    r = post_form(client, "/login/code", {"code": totp_now(app, uid)})
    assert r.status_code == 302 and signed_in(client)


def test_a_reset_keeps_the_second_factor_switched_on(client, app, make_user):
    uid = make_user("delegate", email="two@example.org", mfa_on=True)
    with app.app_context():
        secret = db.session.get(User, uid).mfa_secret
    request_reset(client, "two@example.org")
    choose(client, reset_link(app))
    with app.app_context():
        user = db.session.get(User, uid)
        assert user.mfa_enabled and user.mfa_secret == secret


def test_the_reset_page_reminds_that_the_second_factor_is_still_asked(client, link):
    assert "Your second factor is still asked" in client.get(link).get_data(as_text=True)


def test_a_reset_used_in_a_browser_signed_in_as_someone_else_signs_that_browser_out(client, app, make_user,
                                                                                        person):
    make_user("delegate", email="other@example.org")
    request_reset(client, "aiko@example.org")
    link = reset_link(app)
    login(client, "other@example.org")
    assert choose(client, link).status_code == 302
    assert not signed_in(client)
    assert can_sign_in(app, "aiko@example.org", NEW)
