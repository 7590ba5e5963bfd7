"""Server-side sessions: a random id in the cookie, renewal at sign-in, timeouts, revocation."""
from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, update

from aocp.accounts import services
from aocp.accounts.models import User
from aocp.audit import AuditEntry
from aocp.extensions import db
from aocp.sessions import UserSession
from aocp.timeutil import utcnow
from bench.sqlcount import statements
from tests.conftest import PASSWORD, login, post_form, signed_in, totp_now

COOKIE = "aocp_session"
NEW_PASSWORD = "a brand new passphrase for the meeting"


def cookie(client) -> str | None:
    c = client.get_cookie(COOKIE)
    return c.value if c else None




def browser(app, user_agent: str = "Test browser"):
    """A separate browser with its own cookies and User-Agent."""
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    return client


def sessions_of(app, uid: int) -> list[UserSession]:
    with app.app_context():
        rows = db.session.execute(select(UserSession).where(UserSession.user_id == uid)
                                  .order_by(UserSession.id)).scalars().all()
        db.session.expunge_all()
        return rows


def row_for(app, client) -> UserSession | None:
    sid = cookie(client)
    with app.app_context():
        row = db.session.execute(select(UserSession).where(
            UserSession.sid_hash == hashlib.sha256(sid.encode()).hexdigest())).scalar_one_or_none()
        if row is not None:
            db.session.expunge(row)
        return row


def set_times(app, uid: int, **values):
    with app.app_context():
        db.session.execute(update(UserSession).where(UserSession.user_id == uid).values(**values))
        db.session.commit()


def with_cookie(app, value: str):
    """A fresh browser carrying a copied cookie value (as an attacker who stole it would)."""
    other = app.test_client()
    other.set_cookie(COOKIE, value, domain="localhost")
    return other


@pytest.fixture
def user(make_user):
    return make_user("delegate", email="mai@example.org", name="Mai Tran")


# --- the cookie ------------------------------------------------------------------

def test_the_session_cookie_holds_only_a_random_id(client, app, user):
    login(client, "mai@example.org")
    value = cookie(client)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", value)  # 32 random bytes, URL-safe: no payload, no signature
    import base64
    decoded = base64.urlsafe_b64decode(value + "=")
    assert b"_user_id" not in decoded and b"mai@example.org" not in decoded  # nothing readable inside


def test_the_database_keeps_only_a_hash_of_the_session_id(client, app, user):
    login(client, "mai@example.org")
    value = cookie(client)
    [row] = sessions_of(app, user)
    assert row.sid_hash == hashlib.sha256(value.encode()).hexdigest()
    assert row.sid_hash != value
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(UserSession)
                                 .where(UserSession.sid_hash == value)) == 0


def test_the_session_data_stays_on_the_server(client, app, user):
    login(client, "mai@example.org")
    [row] = sessions_of(app, user)
    assert str(user) in row.data  # Flask-Login's user id is in the row, not in the cookie
    assert row.data not in cookie(client)


def test_the_session_id_changes_at_sign_in(client, app, user):
    client.get("/login")
    before = cookie(client)
    assert before
    login(client, "mai@example.org")
    after = cookie(client)
    assert after and after != before


def test_the_session_id_changes_again_after_the_second_factor(client, app, make_user):
    uid = make_user("delegate", email="two@example.org", mfa_on=True)
    login(client, "two@example.org")
    during = cookie(client)
    post_form(client, "/login/code", {"code": totp_now(app, uid)})
    assert cookie(client) != during


def test_a_session_id_planted_before_sign_in_is_not_signed_in_afterwards(client, app, user):
    client.get("/login")
    planted = cookie(client)  # an attacker could have set this id in the victim's browser
    login(client, "mai@example.org")
    attacker = with_cookie(app, planted)
    r = attacker.get("/profile/")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")


def test_a_made_up_session_id_is_replaced_by_a_new_one(app, user):
    forger = with_cookie(app, "x" * 43)
    forger.get("/login")
    assert cookie(forger) != "x" * 43
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(UserSession).where(
            UserSession.sid_hash == hashlib.sha256(b"x" * 43).hexdigest())) == 0


def test_the_session_cookie_is_httponly_and_samesite_lax(client, user):
    r = login(client, "mai@example.org")
    [header] = [h for h in r.headers.getlist("Set-Cookie") if h.startswith(COOKIE + "=")]
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
    assert "Path=/" in header
    assert "Expires" not in header and "Max-Age" not in header  # gone when the browser closes


def test_production_cookies_are_secure_and_host_prefixed(client, app, user, monkeypatch):
    import config
    prod = config.load("production", {"SECRET_KEY": "s" * 40, "AUDIT_KEY": "a" * 40})
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", prod["SESSION_COOKIE_SECURE"])
    monkeypatch.setitem(app.config, "SESSION_COOKIE_NAME", prod["SESSION_COOKIE_NAME"])
    r = client.get("/login")
    [header] = [h for h in r.headers.getlist("Set-Cookie") if "session=" in h]
    assert header.startswith("__Host-aocp_session=")
    assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header
    assert "Domain=" not in header and "Path=/" in header  # what the __Host- prefix demands


# --- timeouts ---------------------------------------------------------------------

def test_a_session_idle_for_longer_than_the_limit_ends(client, app, user):
    login(client, "mai@example.org")
    idle = app.config["SESSION_IDLE_MINUTES"]
    set_times(app, user, last_seen_at=utcnow() - timedelta(minutes=idle, seconds=5))
    r = client.get("/profile/")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    assert sessions_of(app, user) == []


def test_a_session_used_within_the_idle_limit_continues(client, app, user):
    login(client, "mai@example.org")
    idle = app.config["SESSION_IDLE_MINUTES"]
    set_times(app, user, last_seen_at=utcnow() - timedelta(minutes=idle - 2))
    assert signed_in(client)


def test_using_a_session_moves_its_idle_clock_forward(client, app, user):
    login(client, "mai@example.org")
    idle = app.config["SESSION_IDLE_MINUTES"]
    set_times(app, user, last_seen_at=utcnow() - timedelta(minutes=idle - 2))
    assert signed_in(client)
    [row] = sessions_of(app, user)
    assert utcnow() - row.last_seen_at < timedelta(minutes=1)


def test_a_signed_in_request_takes_one_database_connection(client, app, user):
    """The session is read on the request's own connection; a request that leaves the session as it was (its
    last use already recorded this minute) opens no second one to write it."""
    login(client, "mai@example.org")
    assert signed_in(client)  # records this minute's use
    with app.app_context():
        engine = db.engine

    def checkouts() -> int:
        taken = []
        record = lambda *args: taken.append(args)  # noqa: E731
        event.listen(engine, "checkout", record)
        try:
            assert client.get("/profile/").status_code == 200
        finally:
            event.remove(engine, "checkout", record)
        return len(taken)

    assert checkouts() == 1
    set_times(app, user, last_seen_at=utcnow() - timedelta(minutes=2))  # a use to record: one more, to write it
    assert checkouts() == 2


def test_a_session_older_than_the_absolute_limit_ends_even_when_busy(client, app, user):
    login(client, "mai@example.org")
    hours = app.config["SESSION_ABSOLUTE_HOURS"]
    set_times(app, user, created_at=utcnow() - timedelta(hours=hours, minutes=1), last_seen_at=utcnow())
    r = client.get("/profile/")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    assert sessions_of(app, user) == []


def test_a_shorter_configured_idle_limit_is_applied(client, app, user, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 5)
    login(client, "mai@example.org")
    set_times(app, user, last_seen_at=utcnow() - timedelta(minutes=6))
    assert not signed_in(client)


def test_the_sign_in_page_says_the_session_ended(client, app, user):
    login(client, "mai@example.org")
    set_times(app, user, last_seen_at=utcnow() - timedelta(days=1))
    r = client.get("/profile/", follow_redirects=True)
    assert "Your session ended. Please sign in again." in r.get_data(as_text=True)


# --- logout -------------------------------------------------------------------------

def test_logout_ends_the_session_on_the_server(client, app, user):
    login(client, "mai@example.org")
    old = cookie(client)
    post_form(client, "/logout", {}, page="/profile/")
    assert sessions_of(app, user) == []
    replay = with_cookie(app, old)
    r = replay.get("/profile/")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")


def test_logout_ends_only_this_browsers_session(client, app, user):
    other = browser(app)
    login(other, "mai@example.org")
    login(client, "mai@example.org")
    post_form(client, "/logout", {}, page="/profile/")
    assert signed_in(other)
    assert len(sessions_of(app, user)) == 1


# --- the profile's list of sessions -------------------------------------------------------

def revoke_urls(page: str) -> list[str]:
    return re.findall(r'action="(/profile/sessions/\d+/revoke)"', page)


def test_the_profile_lists_each_session_with_its_device(client, app, user):
    phone = browser(app, "Phone browser 1.0")
    laptop = browser(app, "Laptop browser 2.0")
    login(phone, "mai@example.org")
    login(laptop, "mai@example.org")
    page = laptop.get("/profile/").get_data(as_text=True)
    assert "Phone browser 1.0" in page and "Laptop browser 2.0" in page
    assert len(revoke_urls(page)) == 2
    assert page.count("this session") == 1


def test_revoking_a_session_from_the_profile_ends_it(client, app, user):
    phone = browser(app, "Phone browser 1.0")
    laptop = browser(app, "Laptop browser 2.0")
    login(phone, "mai@example.org")
    login(laptop, "mai@example.org")
    phone_row = row_for(app, phone)
    r = post_form(laptop, f"/profile/sessions/{phone_row.id}/revoke", {}, page="/profile/")
    assert r.status_code == 302 and r.headers["Location"] == "/profile/"
    assert not signed_in(phone)
    assert signed_in(laptop)
    assert [s.id for s in sessions_of(app, user)] == [row_for(app, laptop).id]


def test_revoking_a_session_is_audited(client, app, user):
    phone = browser(app)
    login(phone, "mai@example.org")
    login(client, "mai@example.org")
    phone_row = row_for(app, phone)
    post_form(client, f"/profile/sessions/{phone_row.id}/revoke", {}, page="/profile/")
    with app.app_context():
        entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "session.revoked")).scalar_one()
        assert entry.actor_id == user and entry.target_id == str(phone_row.id)


def test_revoking_ones_own_current_session_signs_out(client, app, user):
    login(client, "mai@example.org")
    own = row_for(app, client)
    r = post_form(client, f"/profile/sessions/{own.id}/revoke", {}, page="/profile/")
    assert r.status_code == 302 and r.headers["Location"] == "/login"
    assert not signed_in(client)
    assert sessions_of(app, user) == []


def test_nobody_can_revoke_another_persons_session(client, app, user, make_user):
    other_uid = make_user("delegate", email="other@example.org")
    victim = browser(app)
    login(victim, "other@example.org")
    victim_row = row_for(app, victim)
    login(client, "mai@example.org")
    r = post_form(client, f"/profile/sessions/{victim_row.id}/revoke", {}, page="/profile/")
    assert r.status_code == 404
    assert signed_in(victim)
    assert len(sessions_of(app, other_uid)) == 1


def test_revoking_a_session_needs_the_csrf_token(client, app, user):
    phone = browser(app)
    login(phone, "mai@example.org")
    login(client, "mai@example.org")
    r = client.post(f"/profile/sessions/{row_for(app, phone).id}/revoke")
    assert r.status_code == 400
    assert signed_in(phone)


def test_sign_out_everywhere_ends_every_other_session(client, app, user):
    phone = browser(app)
    tablet = browser(app)
    login(phone, "mai@example.org")
    login(tablet, "mai@example.org")
    login(client, "mai@example.org")
    r = post_form(client, "/profile/sessions/revoke-all", {}, page="/profile/")
    assert r.status_code == 302 and r.headers["Location"] == "/login"
    assert not signed_in(phone) and not signed_in(tablet)
    assert not signed_in(client)  # this one too, as the button says
    assert sessions_of(app, user) == []


def test_sign_out_everywhere_leaves_other_peoples_sessions_alone(client, app, user, make_user):
    other_uid = make_user("delegate", email="other@example.org")
    other = browser(app)
    login(other, "other@example.org")
    login(client, "mai@example.org")
    post_form(client, "/profile/sessions/revoke-all", {}, page="/profile/")
    assert signed_in(other)
    assert len(sessions_of(app, other_uid)) == 1


def test_sign_out_everywhere_reports_how_many_sessions_ended(client, app, user):
    login(browser(app), "mai@example.org")
    login(client, "mai@example.org")
    r = post_form(client, "/profile/sessions/revoke-all", {}, page="/profile/", follow_redirects=True)
    assert "Signed out everywhere (2 sessions)." in r.get_data(as_text=True)


# --- changes that end sessions ------------------------------------------------------------

def test_changing_the_password_ends_the_other_sessions(client, app, user):
    other = browser(app)
    login(other, "mai@example.org")
    login(client, "mai@example.org")
    r = post_form(client, "/profile/password", {"current": PASSWORD, "password": NEW_PASSWORD,
                                                "confirm": NEW_PASSWORD}, page="/profile/")
    assert r.status_code == 302
    assert not signed_in(other)
    assert signed_in(client)
    assert [s.id for s in sessions_of(app, user)] == [row_for(app, client).id]


def test_a_refused_password_change_keeps_the_other_sessions(client, app, user):
    other = browser(app)
    login(other, "mai@example.org")
    login(client, "mai@example.org")
    r = post_form(client, "/profile/password", {"current": "not my current password", "password": NEW_PASSWORD,
                                                "confirm": NEW_PASSWORD}, page="/profile/")
    assert r.status_code == 400
    assert signed_in(other)


def test_deactivation_by_an_administrator_ends_the_sessions_at_once(client, app, user, make_user):
    admin = make_user("asec_admin", email="admin@asec.example.org", mfa_on=True)
    login(client, "mai@example.org")
    console = browser(app)
    login(console, "admin@asec.example.org")
    post_form(console, "/login/code", {"code": totp_now(app, admin)})
    r = post_form(console, f"/admin/people/{user}/deactivate", {}, page=f"/admin/people/{user}")
    assert r.status_code == 302
    assert sessions_of(app, user) == []
    r = client.get("/profile/")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")


def test_deactivation_through_the_service_ends_the_sessions(client, app, user, make_user):
    admin = make_user("asec_admin", email="admin@asec.example.org")
    login(client, "mai@example.org")
    with app.app_context():
        services.set_status(db.session.get(User, admin), db.session.get(User, user), "deactivated")
        db.session.commit()
    assert not signed_in(client)


def test_a_deactivated_person_is_signed_out_even_if_a_session_row_survived(client, app, user):
    login(client, "mai@example.org")
    with app.app_context():  # status changed behind the service's back: the session must still stop
        db.session.execute(update(User).where(User.id == user).values(status="deactivated"))
        db.session.commit()
    assert not signed_in(client)


def test_a_role_change_by_an_administrator_ends_the_sessions(client, app, user, make_user):
    admin = make_user("asec_admin", email="admin@asec.example.org")
    login(client, "mai@example.org")
    with app.app_context():
        target = db.session.get(User, user)
        services.update_user(db.session.get(User, admin), target, target.name, target.org, "focal_person")
        db.session.commit()
    assert not signed_in(client)


def test_the_signed_in_person_is_read_in_one_statement_with_their_memberships(client, app, make_user):
    """Every request reads the person: their organisation and memberships (which the policy checks) come in the
    same statement, for a page as for an API token."""
    uid = make_user("delegate", email="three@example.org", bodies={"WGTIM": "member", "WGSMD": "member",
                                                                    "JWG": "member"})
    login(client, "three@example.org")
    with app.app_context():
        _, token = services.create_token(db.session.get(User, uid), "test", "read")
        db.session.commit()
        engine = db.engine
    for path, headers in (("/profile/", {}), ("/api/v1/plans", {"Authorization": f"Bearer {token}"})):
        client.get(path, headers=headers)  # the token's first use records when it was used
        with statements(engine) as seen:
            assert client.get(path, headers=headers).status_code == 200
        # The person by id (a page) or by token (the API), and the memberships of people already read.
        reads = [s for s in seen if any(key in s for key in ("WHERE users.id = ", "WHERE api_tokens.token_hash = ",
                                                             "WHERE memberships.user_id IN "))]
        assert len(reads) == 1, reads
        assert "JOIN memberships" in reads[0] and "JOIN organisations" in reads[0]
