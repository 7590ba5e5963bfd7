"""Codes and links that work once keep working once when several requests carry them at the same instant.

Each round starts a few browsers (their own test client, their own session past the password step where one is
needed), holds them at a barrier and lets them post the same code or link together: exactly one may succeed, the
others get the page's error, never a 500.
"""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from aocp.accounts import invitations, mfa, password_changes
from aocp.accounts.models import RecoveryCode, User
from aocp.extensions import db
from tests.conftest import csrf_token, link_in, login, org, outbox, totp_now

BROWSERS = 4
ROUNDS = 3
NEW_PASSWORD = "granite lantern quietly 42"


def race(app, url: str, data: dict, prepare=None) -> list[int]:
    """POST `data` to `url` from BROWSERS fresh browsers at once; returns the statuses (302: it worked)."""
    browsers = []
    for _ in range(BROWSERS):
        browser = app.test_client()
        if prepare:
            prepare(browser)
        browsers.append((browser, csrf_token(browser, url)))
    barrier = threading.Barrier(BROWSERS)
    statuses: list[int | None] = [None] * BROWSERS

    def post(i: int) -> None:
        browser, token = browsers[i]
        barrier.wait()
        statuses[i] = browser.post(url, data={"csrf_token": token, **data}).status_code

    threads = [threading.Thread(target=post, args=(i,)) for i in range(BROWSERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(s is not None for s in statuses), "a request did not finish"
    return statuses


def assert_one_success(statuses: list[int], refusals: tuple[int, ...] = (200,)) -> None:
    """One 302 (it worked); every other browser got a refusal page, never a 500."""
    assert statuses.count(302) == 1 and all(s in refusals for s in statuses if s != 302), statuses


# A link used by another browser a moment before is refused as "no longer valid" (404), one used at the same
# instant by the form's error (200): which one a browser meets depends only on timing.
LINK_REFUSALS = (200, 404)


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_one_totp_code_signs_in_one_browser_only(app, make_user, round_):
    uid = make_user("delegate", email=f"kyaw{round_}@example.org", mfa_on=True)
    statuses = race(app, "/login/code", {"code": totp_now(app, uid)},
                    prepare=lambda b: login(b, f"kyaw{round_}@example.org"))
    assert_one_success(statuses)
    with app.app_context():
        assert db.session.get(User, uid).mfa_last_step > 0


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_one_recovery_code_signs_in_one_browser_only(app, make_user, round_):
    uid = make_user("delegate", email=f"lina{round_}@example.org", mfa_on=True)
    with app.app_context():
        codes = mfa.new_recovery_codes(db.session.get(User, uid))
        db.session.commit()
    statuses = race(app, "/login/code", {"code": codes[0]}, prepare=lambda b: login(b, f"lina{round_}@example.org"))
    assert_one_success(statuses)
    with app.app_context():
        used = db.session.scalar(select(func.count()).where(RecoveryCode.user_id == uid,
                                                            RecoveryCode.used_at.is_not(None)))
    assert used == 1


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_one_invitation_link_makes_one_account(app, make_user, round_):
    admin_id = make_user("asec_admin")
    email = f"new.delegate{round_}@example.gov.my"
    with app.test_request_context():  # the email is rendered with the site's templates
        invitations.invite(db.session.get(User, admin_id), email, "New Delegate", org("MYS"), "delegate", [])
        db.session.commit()
    link = link_in(outbox(app)[-1], "/invitations/")
    statuses = race(app, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert_one_success(statuses, LINK_REFUSALS)
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(User.email == email)) == 1


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_one_reset_link_changes_the_password_once(app, make_user, round_):
    make_user("observer", email=f"aiko{round_}@example.org")
    with app.test_request_context():
        password_changes.request_password_reset(f"aiko{round_}@example.org")
        db.session.commit()
    link = link_in(outbox(app)[-1], "/reset/")
    statuses = race(app, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert_one_success(statuses, LINK_REFUSALS)
