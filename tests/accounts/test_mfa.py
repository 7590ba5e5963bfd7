"""The second factor: enrolment with a QR code, one-time codes, recovery codes, who must use it."""
from __future__ import annotations

import hashlib
import re
import time
import types

import pyotp
import pytest
from sqlalchemy import select, update

from aocp.accounts import mfa, views
from aocp.accounts.models import RecoveryCode, SignInThrottle, User
from aocp.audit import AuditEntry
from aocp.extensions import db
from aocp.orgs.models import Organisation
from aocp.sessions import UserSession
from tests.conftest import PASSWORD, login, post_form, signed_in, totp_now

NOT_VALID = "That code is not valid. Codes can be used only once."
NO_MATCH = "That code does not match."




def stored_user(app, uid: int) -> User:
    with app.app_context():
        user = db.session.get(User, uid)
        db.session.expunge(user)
        return user


def entries(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        rows = db.session.execute(select(AuditEntry).where(AuditEntry.action == action)
                                  .order_by(AuditEntry.id)).scalars().all()
        db.session.expunge_all()
        return rows


def code_for(secret: str, step_offset: int = 0) -> str:
    return pyotp.TOTP(secret).generate_otp(int(time.time()) // 30 + step_offset)


def setup_page(client) -> tuple[str, str]:
    """Open the enrolment page; returns (page, secret shown as the key)."""
    r = client.get("/profile/mfa")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    secret = re.search(r'data-testid="mfa-secret">([A-Z2-7]+)<', page).group(1)
    return page, secret


def enrol(client) -> tuple[str, list[str]]:
    """Enrol as a person would: read the key, type the app's code; returns (secret, recovery codes)."""
    _, secret = setup_page(client)
    r = post_form(client, "/profile/mfa", {"code": code_for(secret)})
    assert r.status_code == 200
    codes = re.findall(r"<li><code>([0-9a-f]{5}-[0-9a-f]{5})</code></li>", r.get_data(as_text=True))
    return secret, codes


def sign_out(client):
    post_form(client, "/logout", {}, page="/login" if not signed_in(client) else "/profile/")


def password_step(client, email: str):
    r = login(client, email)
    assert r.status_code == 302 and r.headers["Location"] == "/login/code"


@pytest.fixture
def delegate(make_user):
    return make_user("delegate", email="lin@example.org", name="Lin Wei")


@pytest.fixture
def with_mfa(make_user):
    return make_user("delegate", email="kyaw@example.org", name="Kyaw Min", mfa_on=True)


# --- enrolment ---------------------------------------------------------------------

def test_the_enrolment_page_shows_a_qr_code_as_svg_and_the_key(client, delegate):
    login(client, "lin@example.org")
    page, secret = setup_page(client)
    assert re.search(r"<svg[^>]*>.*<path", page, re.S)
    assert len(secret) >= 16
    assert "<img" not in page.split('class="qr"')[1].split("</figure>")[0]  # no image fetched from elsewhere


def test_the_qr_code_carries_an_otpauth_uri_for_the_account(app, delegate):
    with app.app_context():
        user = db.session.get(User, delegate)
        uri = mfa.provisioning_uri(user, "JBSWY3DPEHPK3PXP")
    assert uri.startswith("otpauth://totp/")
    assert "secret=JBSWY3DPEHPK3PXP" in uri and "issuer=AOCP" in uri and "lin%40example.org" in uri


def test_the_key_stays_the_same_while_the_person_reloads_the_page(client, delegate):
    login(client, "lin@example.org")
    assert setup_page(client)[1] == setup_page(client)[1]


def test_a_valid_code_turns_the_second_factor_on_and_gives_recovery_codes(client, app, delegate):
    login(client, "lin@example.org")
    secret, codes = enrol(client)
    assert len(codes) == mfa.RECOVERY_CODES == 10
    assert len(set(codes)) == 10
    user = stored_user(app, delegate)
    assert user.mfa_enabled and user.mfa_secret == secret


def test_a_wrong_code_at_enrolment_gives_a_clear_message_and_changes_nothing(client, app, delegate):
    login(client, "lin@example.org")
    _, secret = setup_page(client)
    wrong = "000000" if code_for(secret) != "000000" else "111111"
    r = post_form(client, "/profile/mfa", {"code": wrong})
    assert r.status_code == 200
    assert NO_MATCH in r.get_data(as_text=True)
    assert not stored_user(app, delegate).mfa_enabled


def test_letters_instead_of_a_code_are_refused_at_enrolment(client, app, delegate):
    login(client, "lin@example.org")
    setup_page(client)
    r = post_form(client, "/profile/mfa", {"code": "abcdef"})
    assert NO_MATCH in r.get_data(as_text=True)
    assert not stored_user(app, delegate).mfa_enabled


def test_turning_the_second_factor_on_is_audited_without_the_code(client, app, delegate):
    login(client, "lin@example.org")
    secret, codes = enrol(client)
    [entry] = entries(app, "mfa.enabled")
    assert entry.actor_id == delegate
    assert secret not in entry.details and not any(c in entry.details for c in codes)


def test_turning_the_second_factor_on_ends_the_other_sessions(client, app, delegate):
    other = app.test_client()
    login(other, "lin@example.org")
    login(client, "lin@example.org")
    enrol(client)
    assert not signed_in(other)
    assert signed_in(client)


def test_the_enrolment_page_sends_people_with_a_second_factor_back_to_the_profile(client, app, with_mfa):
    password_step(client, "kyaw@example.org")
    post_form(client, "/login/code", {"code": totp_now(app, with_mfa)})
    r = client.get("/profile/mfa")
    assert r.status_code == 302 and r.headers["Location"] == "/profile/"


def test_after_enrolment_signing_in_asks_for_a_code(client, app, delegate):
    login(client, "lin@example.org")
    enrol(client)
    sign_out(client)
    r = login(client, "lin@example.org")
    assert r.headers["Location"] == "/login/code"
    assert not signed_in(client)


# --- signing in with a code -------------------------------------------------------------

def test_the_password_alone_does_not_sign_in_someone_with_a_second_factor(client, app, with_mfa):
    password_step(client, "kyaw@example.org")
    r = client.get("/profile/")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")


def test_a_valid_code_completes_the_sign_in(client, app, with_mfa):
    password_step(client, "kyaw@example.org")
    r = post_form(client, "/login/code", {"code": totp_now(app, with_mfa)})
    assert r.status_code == 302 and r.headers["Location"] == "/"
    assert signed_in(client)


def test_a_code_typed_with_a_space_in_the_middle_is_accepted(client, app, with_mfa):
    password_step(client, "kyaw@example.org")
    code = totp_now(app, with_mfa)
    r = post_form(client, "/login/code", {"code": f"{code[:3]} {code[3:]}"})
    assert r.status_code == 302 and signed_in(client)


def test_a_wrong_code_gives_a_clear_message_and_does_not_sign_in(client, app, with_mfa):
    password_step(client, "kyaw@example.org")
    good = {totp_now(app, with_mfa, k) for k in (-1, 0, 1)}
    wrong = next(c for c in ("000000", "111111", "222222", "333333") if c not in good)
    r = post_form(client, "/login/code", {"code": wrong})
    assert r.status_code == 200
    assert NOT_VALID in r.get_data(as_text=True)
    assert not signed_in(client)


def test_a_wrong_code_is_audited_as_a_failure_without_the_code(client, app, with_mfa):
    password_step(client, "kyaw@example.org")
    post_form(client, "/login/code", {"code": "99999x"})
    [entry] = entries(app, "auth.failure")
    assert entry.details == '{"reason": "mfa"}'


def test_a_code_cannot_be_used_twice(client, app, with_mfa):
    code = totp_now(app, with_mfa)
    password_step(client, "kyaw@example.org")
    assert post_form(client, "/login/code", {"code": code}).status_code == 302
    sign_out(client)
    password_step(client, "kyaw@example.org")
    r = post_form(client, "/login/code", {"code": code})  # still inside its 30-second window
    assert r.status_code == 200 and NOT_VALID in r.get_data(as_text=True)
    assert not signed_in(client)


def test_a_code_seen_by_someone_else_cannot_be_replayed_from_another_browser(client, app, with_mfa):
    code = totp_now(app, with_mfa)
    password_step(client, "kyaw@example.org")
    post_form(client, "/login/code", {"code": code})
    attacker = app.test_client()
    password_step(attacker, "kyaw@example.org")
    r = post_form(attacker, "/login/code", {"code": code})
    assert NOT_VALID in r.get_data(as_text=True)
    assert not signed_in(attacker)


def test_a_code_older_than_the_last_one_used_is_refused(client, app, with_mfa):
    password_step(client, "kyaw@example.org")
    assert post_form(client, "/login/code", {"code": totp_now(app, with_mfa, 1)}).status_code == 302
    sign_out(client)
    password_step(client, "kyaw@example.org")
    r = post_form(client, "/login/code", {"code": totp_now(app, with_mfa, 0)})
    assert NOT_VALID in r.get_data(as_text=True)


@pytest.fixture
def frozen_clock(monkeypatch):
    """The server's clock stopped in the middle of a 30-second step, so step edges cannot make tests flaky."""
    now = (int(time.time()) // 30) * 30 + 15
    monkeypatch.setattr(mfa, "time", types.SimpleNamespace(time=lambda: now))
    return now


def code_at(app, uid: int, now: int, step_offset: int) -> str:
    with app.app_context():
        secret = db.session.get(User, uid).mfa_secret
    return pyotp.TOTP(secret).generate_otp(now // 30 + step_offset)


def test_the_previous_code_is_accepted_for_a_slow_phone_clock(client, app, with_mfa, frozen_clock):
    password_step(client, "kyaw@example.org")
    r = post_form(client, "/login/code", {"code": code_at(app, with_mfa, frozen_clock, -1)})
    assert r.status_code == 302 and signed_in(client)


def test_the_next_code_is_accepted_for_a_fast_phone_clock(client, app, with_mfa, frozen_clock):
    password_step(client, "kyaw@example.org")
    r = post_form(client, "/login/code", {"code": code_at(app, with_mfa, frozen_clock, 1)})
    assert r.status_code == 302 and signed_in(client)


@pytest.mark.parametrize("offset", [-2, 2], ids=["two-steps-ago", "two-steps-ahead"])
def test_a_code_two_steps_away_is_refused(client, app, with_mfa, frozen_clock, offset):
    far = code_at(app, with_mfa, frozen_clock, offset)
    if far in {code_at(app, with_mfa, frozen_clock, k) for k in (-1, 0, 1)}:
        pytest.skip("the same six digits recur in the accepted window (about 1 in 300,000)")
    password_step(client, "kyaw@example.org")
    r = post_form(client, "/login/code", {"code": far})
    assert NOT_VALID in r.get_data(as_text=True)
    assert not signed_in(client)


def test_the_code_used_to_enrol_cannot_sign_in_afterwards(client, app, delegate):
    login(client, "lin@example.org")
    _, secret = setup_page(client)
    code = code_for(secret)
    post_form(client, "/profile/mfa", {"code": code})
    sign_out(client)
    password_step(client, "lin@example.org")
    r = post_form(client, "/login/code", {"code": code})
    assert NOT_VALID in r.get_data(as_text=True)


def test_the_replay_check_is_in_verify_totp_itself(app, with_mfa):
    with app.app_context():
        user = db.session.get(User, with_mfa)
        code = pyotp.TOTP(user.mfa_secret).now()
        assert mfa.verify_totp(user, code) is True
        assert mfa.verify_totp(user, code) is False


def test_the_code_page_without_a_password_step_goes_back_to_sign_in(client, with_mfa):
    r = client.get("/login/code")
    assert r.status_code == 302 and r.headers["Location"] == "/login"


def test_the_password_step_expires_after_a_few_minutes(client, app, with_mfa, monkeypatch):
    password_step(client, "kyaw@example.org")
    monkeypatch.setattr(views, "MFA_PENDING_SECONDS", -1)
    r = post_form(client, "/login/code", {"code": totp_now(app, with_mfa)}, page="/login")
    assert r.status_code == 302 and r.headers["Location"] == "/login"
    assert not signed_in(client)


def test_repeated_wrong_codes_pause_the_address(client, app, with_mfa):
    password_step(client, "kyaw@example.org")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        post_form(client, "/login/code", {"code": "12345x"})
    with app.app_context():
        assert db.session.scalar(select(SignInThrottle.locked_until).where(SignInThrottle.user_id == with_mfa))
    r = post_form(client, "/login/code", {"code": totp_now(app, with_mfa)})
    assert NOT_VALID in r.get_data(as_text=True)
    assert not signed_in(client)


def test_a_person_deactivated_between_password_and_code_is_not_signed_in(client, app, with_mfa):
    password_step(client, "kyaw@example.org")
    with app.app_context():
        db.session.execute(update(User).where(User.id == with_mfa).values(status="deactivated"))
        db.session.commit()
    r = post_form(client, "/login/code", {"code": totp_now(app, with_mfa)}, page="/login")
    assert r.headers["Location"] == "/login"
    assert not signed_in(client)


# --- recovery codes ---------------------------------------------------------------------

@pytest.fixture
def enrolled(client, app, delegate):
    """Lin has enrolled through the profile and signed out; returns the recovery codes."""
    login(client, "lin@example.org")
    _, codes = enrol(client)
    sign_out(client)
    return codes


def test_a_recovery_code_signs_in(client, app, enrolled):
    password_step(client, "lin@example.org")
    r = post_form(client, "/login/code", {"code": enrolled[0]})
    assert r.status_code == 302 and signed_in(client)


def test_a_recovery_code_works_only_once(client, app, enrolled):
    password_step(client, "lin@example.org")
    post_form(client, "/login/code", {"code": enrolled[0]})
    sign_out(client)
    password_step(client, "lin@example.org")
    r = post_form(client, "/login/code", {"code": enrolled[0]})
    assert NOT_VALID in r.get_data(as_text=True)
    assert not signed_in(client)


def test_another_recovery_code_still_works_after_one_is_used(client, app, enrolled):
    password_step(client, "lin@example.org")
    post_form(client, "/login/code", {"code": enrolled[0]})
    sign_out(client)
    password_step(client, "lin@example.org")
    assert post_form(client, "/login/code", {"code": enrolled[1]}).status_code == 302


def test_a_recovery_code_may_be_typed_in_capitals_without_the_dash(client, app, enrolled):
    password_step(client, "lin@example.org")
    r = post_form(client, "/login/code", {"code": enrolled[2].replace("-", "").upper()})
    assert r.status_code == 302 and signed_in(client)


def test_recovery_codes_are_stored_only_as_hashes(client, app, delegate, enrolled):
    with app.app_context():
        stored = db.session.execute(select(RecoveryCode.code_hash)
                                    .where(RecoveryCode.user_id == delegate)).scalars().all()
    assert len(stored) == 10
    for code in enrolled:
        plain = code.replace("-", "")
        assert code not in stored and plain not in stored
        assert not any(plain in h for h in stored)
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in stored)


def test_using_a_recovery_code_is_audited_with_the_number_left(client, app, enrolled):
    password_step(client, "lin@example.org")
    post_form(client, "/login/code", {"code": enrolled[0]})
    [entry] = entries(app, "mfa.recovery_code_used")
    assert entry.details == '{"remaining": 9}'
    assert enrolled[0] not in entry.details


def test_the_profile_shows_how_many_recovery_codes_are_left(client, app, enrolled):
    password_step(client, "lin@example.org")
    post_form(client, "/login/code", {"code": enrolled[0]})
    assert "9 recovery codes left" in client.get("/profile/").get_data(as_text=True)


def test_new_recovery_codes_replace_the_old_ones(client, app, enrolled):
    password_step(client, "lin@example.org")
    post_form(client, "/login/code", {"code": enrolled[0]})
    r = post_form(client, "/profile/mfa/recovery-codes", {"password": PASSWORD}, page="/profile/")
    new = re.findall(r"<li><code>([0-9a-f]{5}-[0-9a-f]{5})</code></li>", r.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(enrolled)
    sign_out(client)
    password_step(client, "lin@example.org")
    assert NOT_VALID in post_form(client, "/login/code", {"code": enrolled[1]}).get_data(as_text=True)
    assert post_form(client, "/login/code", {"code": new[0]}).status_code == 302


def test_new_recovery_codes_need_the_password(client, app, delegate, enrolled):
    password_step(client, "lin@example.org")
    post_form(client, "/login/code", {"code": enrolled[0]})
    with app.app_context():
        before = set(db.session.execute(select(RecoveryCode.code_hash)
                                        .where(RecoveryCode.user_id == delegate)).scalars())
    r = post_form(client, "/profile/mfa/recovery-codes", {"password": "not the password at all"},
                  page="/profile/", follow_redirects=True)
    assert "Your password was not correct; nothing changed." in r.get_data(as_text=True)
    with app.app_context():
        after = set(db.session.execute(select(RecoveryCode.code_hash)
                                       .where(RecoveryCode.user_id == delegate)).scalars())
    assert before == after


def test_recovery_codes_are_stored_as_a_keyed_hash_bound_to_their_owner(app, make_user):
    # A plain hash of a 40-bit code could be reversed offline from a stolen database; a keyed one cannot.
    import hmac

    from aocp.accounts.models import User
    uid, other = make_user("delegate"), make_user("delegate")
    assert mfa.normalise_recovery(" AB12C-3DE45 ") == "ab12c3de45"
    with app.app_context():
        user, someone = db.session.get(User, uid), db.session.get(User, other)
        stored = mfa.recovery_digest(user, "AB12C-3DE45")
        assert stored != hashlib.sha256(b"ab12c3de45").hexdigest()
        assert stored == hmac.new(app.config["SECRET_KEY"].encode(), f"recovery:{uid}:ab12c3de45".encode(),
                                  hashlib.sha256).hexdigest()
        assert stored != mfa.recovery_digest(someone, "ab12c3de45")


# --- who must use a second factor ----------------------------------------------------------

def test_an_administrator_without_a_second_factor_is_sent_to_enrol_at_sign_in(client, app, make_user):
    make_user("asec_admin", email="boss@asec.example.org")
    r = login(client, "boss@asec.example.org")
    assert r.status_code == 302 and r.headers["Location"] == "/profile/mfa"


@pytest.mark.parametrize("path", ["/", "/profile/", "/admin/people", "/admin/audit"])
def test_an_administrator_without_a_second_factor_cannot_reach_other_pages(client, app, make_user, path):
    make_user("asec_admin", email="boss@asec.example.org")
    login(client, "boss@asec.example.org")
    r = client.get(path)
    assert r.status_code == 302 and r.headers["Location"] == "/profile/mfa"


def test_an_administrator_without_a_second_factor_cannot_post_to_other_pages(client, app, make_user):
    uid = make_user("delegate", email="target@example.org")
    make_user("asec_admin", email="boss@asec.example.org")
    login(client, "boss@asec.example.org")
    r = post_form(client, f"/admin/people/{uid}/deactivate", {}, page="/profile/mfa")
    assert r.status_code == 302 and r.headers["Location"] == "/profile/mfa"
    assert stored_user(app, uid).status == "active"


def test_an_administrator_who_must_enrol_can_still_sign_out(client, app, make_user):
    make_user("asec_admin", email="boss@asec.example.org")
    login(client, "boss@asec.example.org")
    r = post_form(client, "/logout", {}, page="/profile/mfa")
    assert r.headers["Location"] == "/login"
    assert client.get("/profile/mfa").status_code == 302


def test_an_administrator_reaches_the_console_after_enrolling(client, app, make_user):
    make_user("asec_admin", email="boss@asec.example.org")
    login(client, "boss@asec.example.org")
    enrol(client)
    assert client.get("/admin/people").status_code == 200


def test_an_administrator_cannot_turn_the_second_factor_off(client, app, make_user):
    uid = make_user("asec_admin", email="boss@asec.example.org", mfa_on=True)
    password_step(client, "boss@asec.example.org")
    post_form(client, "/login/code", {"code": totp_now(app, uid)})
    r = post_form(client, "/profile/mfa/disable", {"password": PASSWORD}, page="/profile/",
                  follow_redirects=True)
    assert "requires a second factor; it cannot be turned off" in r.get_data(as_text=True)
    assert stored_user(app, uid).mfa_enabled


def require_mfa_for(app, org_code: str):
    with app.app_context():
        db.session.execute(update(Organisation).where(Organisation.code == org_code).values(require_mfa=True))
        db.session.commit()


def test_an_organisation_that_requires_a_second_factor_sends_its_people_to_enrol(client, app, delegate):
    require_mfa_for(app, "MYS")
    r = login(client, "lin@example.org")
    assert r.headers["Location"] == "/profile/mfa"
    r = client.get("/")
    assert r.status_code == 302 and r.headers["Location"] == "/profile/mfa"


def test_a_requirement_set_after_sign_in_applies_on_the_next_page(client, app, delegate):
    login(client, "lin@example.org")
    assert client.get("/").status_code == 200
    require_mfa_for(app, "MYS")
    r = client.get("/")
    assert r.status_code == 302 and r.headers["Location"] == "/profile/mfa"


def test_people_of_other_organisations_are_not_forced_to_enrol(client, app, make_user):
    make_user("observer", email="obs@example.org")  # JPN
    require_mfa_for(app, "MYS")
    r = login(client, "obs@example.org")
    assert r.headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_a_person_whose_organisation_requires_it_cannot_turn_it_off(client, app, with_mfa):
    require_mfa_for(app, "MYS")
    password_step(client, "kyaw@example.org")
    post_form(client, "/login/code", {"code": totp_now(app, with_mfa)})
    post_form(client, "/profile/mfa/disable", {"password": PASSWORD}, page="/profile/")
    assert stored_user(app, with_mfa).mfa_enabled


# --- turning it off ------------------------------------------------------------------------

@pytest.fixture
def signed_in_with_mfa(client, app, with_mfa):
    password_step(client, "kyaw@example.org")
    post_form(client, "/login/code", {"code": totp_now(app, with_mfa)})
    return with_mfa


def test_turning_the_second_factor_off_needs_the_password(client, app, signed_in_with_mfa):
    r = post_form(client, "/profile/mfa/disable", {"password": "not my password at all"}, page="/profile/",
                  follow_redirects=True)
    assert "Your password was not correct; nothing changed." in r.get_data(as_text=True)
    user = stored_user(app, signed_in_with_mfa)
    assert user.mfa_enabled and user.mfa_secret


def test_turning_the_second_factor_off_with_the_password_works(client, app, signed_in_with_mfa):
    r = post_form(client, "/profile/mfa/disable", {"password": PASSWORD}, page="/profile/",
                  follow_redirects=True)
    assert "Second factor turned off." in r.get_data(as_text=True)
    user = stored_user(app, signed_in_with_mfa)
    assert not user.mfa_enabled and user.mfa_secret is None
    with app.app_context():
        assert db.session.execute(select(RecoveryCode).where(
            RecoveryCode.user_id == signed_in_with_mfa)).first() is None


def test_turning_the_second_factor_off_ends_the_other_sessions(client, app, signed_in_with_mfa):
    other = app.test_client()
    password_step(other, "kyaw@example.org")
    post_form(other, "/login/code", {"code": totp_now(app, signed_in_with_mfa, 1)})
    assert signed_in(other)
    post_form(client, "/profile/mfa/disable", {"password": PASSWORD}, page="/profile/")
    assert not signed_in(other)
    assert signed_in(client)
    with app.app_context():
        assert len(db.session.execute(select(UserSession.id).where(
            UserSession.user_id == signed_in_with_mfa)).all()) == 1


def test_turning_the_second_factor_off_is_audited(client, app, signed_in_with_mfa):
    post_form(client, "/profile/mfa/disable", {"password": PASSWORD}, page="/profile/")
    [entry] = entries(app, "mfa.disabled")
    assert entry.actor_id == signed_in_with_mfa
    assert PASSWORD not in entry.details


def test_turning_the_second_factor_off_is_a_post_only_action(client, app, signed_in_with_mfa):
    assert client.get("/profile/mfa/disable").status_code == 405
    assert stored_user(app, signed_in_with_mfa).mfa_enabled


def test_after_turning_it_off_the_password_alone_signs_in(client, app, signed_in_with_mfa):
    post_form(client, "/profile/mfa/disable", {"password": PASSWORD}, page="/profile/")
    sign_out(client)
    r = login(client, "kyaw@example.org")
    assert r.headers["Location"] == "/"
