"""Journeys in headless Chromium against the live server (see conftest.py for the server and the watch).

1. An ASEC administrator invites a delegate, who accepts on a phone, signs in, enrols a second factor, signs out
   and signs in again with a code (the issue's required journey), then once more with a recovery code.
2. A focal person nominates a delegate of their own Member State; an administrator approves; the invitation goes.
3. A delegate signs out another device, then everywhere; an observer opening the people list meets the 403 page.
4. The watch itself: it does see CSP violations, uncaught errors and requests to other hosts.

Every journey ends with no console error, no CSP violation, no unexpected error response and no request to a
host other than the live server (127.0.0.1) on any page it opened.

About the code at the second sign-in: a TOTP code cannot be used twice (the server keeps the last used time
step), so the journey first shows that the enrolment code is refused, then enters the code of the step after the
enrolment step. The server accepts the steps next to the current one (clock drift), so that fresh, never-used
code is accepted at once instead of after waiting up to 30 seconds for the clock to move on. The recovery-code
path is then taken as well.
"""
from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_fits, enter_code, sign_in, sign_out
from tests.conftest import outbox, totp_now

pytestmark = pytest.mark.browser

DELEGATE = {"email": "nurul.aisyah@mgb.gov.example.my", "name": "Nurul Aisyah binti Ahmad"}
DELEGATE_PASSWORD = "Timah dari Lembah Kinta 2026"


def email_link(message, path_prefix: str) -> str:
    """The full link of a given kind in a plain-text email."""
    body = message.get_payload(decode=True).decode() if not message.is_multipart() else \
        message.get_payload(0).get_payload(decode=True).decode()
    match = re.search(r"https?://[^\s/]+" + re.escape(path_prefix) + r"\S+", body)
    assert match, f"no {path_prefix} link in the message:\n{body}"
    return match.group(0)


def admin_signs_in(browsing, app, user_id: int, email: str):
    page = browsing.new_page("admin")
    sign_in(page, email)
    enter_code(page, totp_now(app, user_id))
    expect(page).to_have_url(re.compile(r"/$"))
    return page


def test_admin_invites_a_delegate_who_accepts_enrols_mfa_and_signs_in_again_with_a_code(
        browsing, live_server, app, make_user):
    admin_id = make_user("asec_admin", email="siti.rahma@asean.example.org", name="Siti Rahmawati", mfa_on=True)

    # The administrator signs in with password and code, and invites through the admin console.
    admin = admin_signs_in(browsing, app, admin_id, "siti.rahma@asean.example.org")
    expect(admin.get_by_role("heading", level=1)).to_have_text("Welcome, Siti Rahmawati")
    admin.get_by_role("navigation", name="Main").get_by_role("link", name="Administration").click()
    expect(admin).to_have_url(re.compile(r"/admin/people$"))
    admin.get_by_role("navigation", name="Administration").get_by_role("link", name="Invite").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Invite a person")
    admin.get_by_label("Email").fill(DELEGATE["email"])
    admin.get_by_label("Full name").fill(DELEGATE["name"])
    admin.get_by_label("Organisation").select_option(label="Malaysia (MYS)")
    admin.get_by_label("Role").select_option("delegate")
    admin.get_by_label("Bodies (member of)").select_option("WGTIM")
    admin.get_by_role("button", name="Send the invitation").click()
    expect(admin.get_by_role("status")).to_contain_text(f"Invitation sent to {DELEGATE['email']}.")

    # The invitation lands in the outbox and links to this server.
    [message] = outbox(app)
    assert message["To"] == DELEGATE["email"]
    link = email_link(message, "/invitations/")
    assert link.startswith(live_server + "/invitations/")

    # The delegate, on their phone, accepts and chooses a password.
    delegate = browsing.new_page("delegate", phone=True)
    delegate.goto(link)
    expect(delegate.get_by_role("heading", level=1)).to_have_text(f"Welcome to AOCP, {DELEGATE['name']}")
    assert_fits(delegate)
    expect(delegate.get_by_role("main")).to_contain_text("Member-state delegate for Malaysia")
    delegate.get_by_label("New password", exact=True).fill(DELEGATE_PASSWORD)
    delegate.get_by_label("Repeat the new password").fill(DELEGATE_PASSWORD)
    delegate.get_by_role("button", name="Create my account").click()
    expect(delegate).to_have_url(re.compile(r"/login$"))
    expect(delegate.get_by_role("status")).to_contain_text("Your account is ready.")

    # First sign-in: password only; the home page shows the body the invitation named.
    sign_in(delegate, DELEGATE["email"], DELEGATE_PASSWORD)
    expect(delegate.get_by_role("heading", level=1)).to_have_text(f"Welcome, {DELEGATE['name']}")
    expect(delegate.get_by_role("main")).to_contain_text("WGTIM")
    assert_fits(delegate)

    # MFA enrolment from the profile: a QR code, and the key as text for typing it in by hand.
    delegate.get_by_role("navigation", name="Main").get_by_role("link", name=DELEGATE["name"]).click()
    expect(delegate.get_by_role("heading", level=1)).to_have_text("Your profile")
    assert_fits(delegate)
    delegate.get_by_role("link", name="Set up an authenticator app").click()
    expect(delegate).to_have_url(re.compile(r"/profile/mfa$"))
    assert_fits(delegate)
    qr = delegate.locator("figure.qr svg")
    expect(qr).to_be_visible()
    assert qr.bounding_box()["width"] >= 150, "the QR code is too small to scan"
    key = delegate.get_by_test_id("mfa-secret")
    expect(key).to_be_visible()
    box, card = key.bounding_box(), delegate.locator("main section.card").bounding_box()
    assert box["x"] + box["width"] <= card["x"] + card["width"], "the key runs out of its card on a phone"
    secret = key.inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret
    totp = pyotp.TOTP(secret)
    enrolment_code = totp.now()
    delegate.get_by_label("6-digit code from the app").fill(enrolment_code)
    delegate.get_by_role("button", name="Turn on").click()
    expect(delegate.get_by_role("heading", level=1)).to_have_text("Your second factor is on")
    recovery_codes = delegate.get_by_test_id("recovery-codes").get_by_role("listitem").all_inner_texts()
    assert len(recovery_codes) == 10
    assert all(re.fullmatch(r"[0-9a-f]{5}-[0-9a-f]{5}", c.strip()) for c in recovery_codes), recovery_codes
    assert_fits(delegate)
    delegate.get_by_role("link", name="I have saved them").click()
    expect(delegate.get_by_role("main")).to_contain_text("Second factor: on")

    # Out, and in again: the password leads to the code page.
    sign_out(delegate)
    sign_in(delegate, DELEGATE["email"], DELEGATE_PASSWORD)
    expect(delegate).to_have_url(re.compile(r"/login/code$"))
    # The code used for enrolment is refused: a code works once.
    enter_code(delegate, enrolment_code)
    expect(delegate.get_by_role("status")).to_contain_text("That code is not valid. Codes can be used only once.")
    # A fresh code (the next time step's, see the module docstring) signs in.
    enter_code(delegate, totp.generate_otp(int(time.time()) // totp.interval + 1))
    expect(delegate).to_have_url(re.compile(r"/$"))
    expect(delegate.get_by_role("heading", level=1)).to_have_text(f"Welcome, {DELEGATE['name']}")
    expect(delegate.get_by_role("main")).to_contain_text("WGTIM")

    # A recovery code also signs in, once; the phone's keyboard must be able to type its letters.
    sign_out(delegate)
    sign_in(delegate, DELEGATE["email"], DELEGATE_PASSWORD)
    expect(delegate.get_by_label(re.compile("Code from your authenticator app"))).not_to_have_attribute(
        "inputmode", "numeric")
    enter_code(delegate, recovery_codes[0])
    expect(delegate.get_by_role("heading", level=1)).to_have_text(f"Welcome, {DELEGATE['name']}")
    delegate.goto("/profile/")
    expect(delegate.get_by_role("main")).to_contain_text("9 recovery codes left")
    sign_out(delegate)
    sign_in(delegate, DELEGATE["email"], DELEGATE_PASSWORD)
    enter_code(delegate, recovery_codes[0])
    expect(delegate.get_by_role("status")).to_contain_text("That code is not valid.")

    browsing.assert_clean()


def test_focal_person_nominates_a_delegate_and_the_admin_approves(browsing, live_server, app, make_user):
    make_user("focal_person", email="faizal@kln.gov.example.my", name="Ahmad Faizal")
    admin_id = make_user("asec_admin", email="admin@asean.example.org", name="Dewi Lestari", mfa_on=True)

    focal = browsing.new_page("focal")
    sign_in(focal, "faizal@kln.gov.example.my")
    expect(focal.get_by_role("heading", level=1)).to_have_text("Welcome, Ahmad Faizal")
    nav = focal.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Administration")).to_have_count(0)
    nav.get_by_role("link", name="Nominate a delegate").click()
    expect(focal.get_by_role("heading", level=1)).to_have_text("Nominate a delegate of Malaysia")
    # Only their own Member State, and only the delegate role, can be chosen.
    assert focal.get_by_label("Organisation").locator("option").all_inner_texts() == ["Malaysia"]
    assert focal.get_by_label("Role").locator("option").all_inner_texts() == ["Member-state delegate"]
    focal.get_by_label("Email").fill(DELEGATE["email"])
    focal.get_by_label("Full name").fill(DELEGATE["name"])
    focal.get_by_label("Bodies (member of)").select_option("WGTIM")
    focal.get_by_role("button", name="Nominate").click()
    expect(focal.get_by_role("status")).to_contain_text(f"{DELEGATE['name']} is nominated.")
    nominations = focal.get_by_role("table")
    expect(nominations.get_by_role("row").filter(has_text=DELEGATE["email"])).to_contain_text(
        "waiting for approval")
    assert outbox(app) == [], "no email before an administrator approves"

    admin = admin_signs_in(browsing, app, admin_id, "admin@asean.example.org")
    pending = admin.locator("#panel-nominations")
    expect(pending.locator(".count")).to_have_text("1")
    pending.get_by_role("link", name="All nominations").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Invitations and nominations")
    row = admin.get_by_role("row").filter(has_text=DELEGATE["email"])
    expect(row).to_contain_text("Ahmad Faizal")
    expect(row).to_contain_text("WGTIM")
    row.get_by_role("button", name="Approve and send").click()
    expect(admin.get_by_role("status")).to_contain_text(f"Invitation for {DELEGATE['email']} approved and sent.")
    expect(admin.get_by_role("row").filter(has_text=DELEGATE["email"])).to_have_count(0)

    [message] = outbox(app)
    assert message["To"] == DELEGATE["email"]
    link = email_link(message, "/invitations/")
    assert link.startswith(live_server + "/invitations/")

    focal.reload()
    expect(focal.get_by_role("row").filter(has_text=DELEGATE["email"])).to_contain_text("invitation sent")

    delegate = browsing.new_page("delegate")
    delegate.goto(link)
    expect(delegate.get_by_role("heading", level=1)).to_have_text(f"Welcome to AOCP, {DELEGATE['name']}")
    expect(delegate.get_by_role("main")).to_contain_text("Member-state delegate for Malaysia")

    browsing.assert_clean()


def test_delegate_signs_out_another_device_then_everywhere_and_observer_meets_the_403_page(
        browsing, live_server, app, make_user):
    make_user("delegate", email=DELEGATE["email"], name=DELEGATE["name"], bodies={"WGTIM": "member"})
    make_user("observer", email="kenji.sato@meti.example.jp", name="Kenji Sato")

    laptop = browsing.new_page("delegate-laptop")
    phone = browsing.new_page("delegate-phone", phone=True)
    for page in (laptop, phone):
        sign_in(page, DELEGATE["email"])
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {DELEGATE['name']}")
    phone.goto("/profile/")
    expect(phone.get_by_role("region", name="Where you are signed in").locator("tbody tr")).to_have_count(2)
    assert_fits(phone)

    # From the laptop, sign the phone out.
    laptop.goto("/profile/")
    sessions = laptop.get_by_role("region", name="Where you are signed in").locator("tbody tr")
    expect(sessions).to_have_count(2)
    expect(sessions.filter(has_text="this session")).to_have_count(1)
    sessions.filter(has_not_text="this session").get_by_role("button", name="Sign out").click()
    expect(laptop.get_by_role("status")).to_contain_text("That session has been signed out.")
    expect(sessions).to_have_count(1)
    phone.reload()
    expect(phone).to_have_url(re.compile(r"/login\?next=(/|%2F)profile(/|%2F)$"))
    expect(phone.get_by_role("main")).to_contain_text("Your session ended. Please sign in again.")

    # The phone signs in again, back to the page it was on; then "sign out everywhere" from the laptop ends both.
    sign_in(phone, DELEGATE["email"], go=False)
    expect(phone).to_have_url(re.compile(r"/profile/$"))
    expect(phone.get_by_role("heading", level=1)).to_have_text("Your profile")
    laptop.reload()
    expect(sessions).to_have_count(2)
    everywhere = laptop.get_by_role("button", name="Sign out everywhere")
    questions = []
    laptop.once("dialog", lambda d: (questions.append(d.message), d.dismiss()))
    everywhere.click()  # dismissing the confirmation keeps everything as it was
    expect(laptop).to_have_url(re.compile(r"/profile/$"))
    expect(sessions).to_have_count(2)
    laptop.once("dialog", lambda d: (questions.append(d.message), d.accept()))
    everywhere.click()
    expect(laptop).to_have_url(re.compile(r"/login$"))
    expect(laptop.get_by_role("status")).to_contain_text("Signed out everywhere (2 sessions).")
    assert questions == ["Sign out of every session, this one included?"] * 2
    for page in (laptop, phone):
        page.goto("/profile/")
        expect(page).to_have_url(re.compile(r"/login\?next=(/|%2F)profile(/|%2F)$"))

    # A signed-in observer opening the people list is refused, in the site's own layout.
    observer = browsing.new_page("observer")
    sign_in(observer, "kenji.sato@meti.example.jp")
    expect(observer.get_by_role("heading", level=1)).to_have_text("Welcome, Kenji Sato")
    browsing.expect_error_status(403, "/admin/people")
    response = observer.goto("/admin/people")
    assert response.status == 403
    assert response.headers["content-type"].startswith("text/html")
    expect(observer).to_have_title("Not allowed · AOCP")
    expect(observer.get_by_role("heading", level=1)).to_have_text("Not allowed")
    expect(observer.get_by_role("main")).to_contain_text("Error 403")
    expect(observer.get_by_role("banner")).to_contain_text("AOCP")
    nav = observer.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Kenji Sato")).to_be_visible()
    expect(nav.get_by_role("link", name="Administration")).to_have_count(0)
    expect(observer.get_by_role("contentinfo")).to_contain_text("AMCAP-III")
    # The stylesheet applies to the error page too (the layout is styled, not bare HTML).
    assert observer.evaluate("getComputedStyle(document.querySelector('.topbar')).display") != "inline"
    observer.get_by_role("link", name="Go to the home page").click()
    expect(observer.get_by_role("heading", level=1)).to_have_text("Welcome, Kenji Sato")

    browsing.assert_clean()


def test_the_watch_reports_csp_violations_page_errors_and_requests_to_other_hosts(browsing, live_server):
    """The journeys' "no problems" would mean little if the watch could not see any."""
    page = browsing.new_page("probe")

    def seen(*words: str) -> bool:
        deadline = time.time() + 5
        while time.time() < deadline:
            if any(all(w in p for w in words) for p in browsing.problems):
                return True
            page.wait_for_timeout(50)
        return False

    page.goto("/login")
    assert browsing.problems == []
    page.evaluate("""() => { const s = document.createElement("script");
                             s.textContent = "window.injected = 1"; document.body.append(s); }""")
    assert seen("CSP violation: script-src"), browsing.problems
    assert page.evaluate("window.injected") is None  # the policy blocked the inline script
    page.evaluate("() => { setTimeout(() => { throw new Error('probe failure'); }); }")
    assert seen("uncaught error", "probe failure"), browsing.problems
    try:
        page.goto(live_server.replace("127.0.0.1", "localhost") + "/healthz")
    except Exception:  # whether or not localhost answers, the request was made
        pass
    assert seen("request to another host", "localhost"), browsing.problems
