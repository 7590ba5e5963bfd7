"""Keyboard alone: the skip link, the sign-in form, the main navigation, the upload form, the agenda's disclosure
and the minutes editor with its confirmation dialog all work with Tab, Space and Enter, and whatever has the
keyboard focus shows it.

Each step presses keys only (no clicks, no `fill`, no `focus()`), then checks where the focus is and that the
action really happened, on the page and in the database.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from aocp.cli import DEMO_PASSWORD
from aocp.documents.models import Document
from aocp.extensions import db
from aocp.meetings.models import AgendaItem, Minutes
from tests.browser.conftest import sign_in
from tests.browser.test_accessibility import CHAIR, DELEGATE, build_site

pytestmark = pytest.mark.browser

MAX_TABS = 80


def is_focused(locator) -> bool:
    return locator.evaluate("el => el === document.activeElement")


def focus_ring(page) -> str:
    """The focused element's outline, e.g. '3px solid rgb(242, 169, 0)'; 'none' when focus is invisible."""
    return page.evaluate("""() => {
        const s = getComputedStyle(document.activeElement);
        return s.outlineStyle === "none" || parseFloat(s.outlineWidth) === 0 ? "none"
            : `${s.outlineWidth} ${s.outlineStyle} ${s.outlineColor}`;
    }""")


def tab_to(page, target, limit: int = MAX_TABS) -> int:
    """Press Tab until `target` has the focus; how many presses it took. The focus must be visible there."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if is_focused(target):
            assert focus_ring(page) != "none", f"no visible focus on {target}"
            return presses
    raise AssertionError(f"{target} not reached with {limit} presses of Tab")


def focused_text(page) -> str:
    return page.evaluate("document.activeElement.textContent.trim()")


@pytest.fixture
def site(app):
    return build_site(app)


def test_sign_in_form_and_skip_link_work_with_the_keyboard_alone(browsing, site):
    page = browsing.new_page("keyboard")
    page.goto("/login")

    # The email field has the focus on arrival; the password and the button follow it.
    assert is_focused(page.get_by_label("Email"))
    page.keyboard.type(DELEGATE)
    page.keyboard.press("Tab")
    assert is_focused(page.get_by_label("Password", exact=True))
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Tab")
    assert is_focused(page.get_by_role("button", name="Sign in"))
    assert focus_ring(page) != "none"
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Hafiz Delegate")

    # The first Tab reaches the skip link, which shows itself with a focus ring; Enter moves into the content,
    # so the next Tab skips the whole navigation.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    assert is_focused(skip) and focus_ring(page).startswith("3px solid")
    box = skip.bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0 and skip.is_visible(), "the focused skip link must be on screen"
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/#main$"))
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")
    assert focus_ring(page) != "none"
    browsing.assert_clean()


def test_main_navigation_and_upload_form_work_with_the_keyboard_alone(browsing, app, site):
    page = browsing.new_page("keyboard")
    sign_in(page, DELEGATE, DEMO_PASSWORD)
    nav = page.get_by_role("navigation", name="Main")

    # Skip link, brand, Home, then Documents: the navigation comes first and in reading order.
    assert tab_to(page, nav.get_by_role("link", name="Documents")) == 4
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Documents")
    share = page.get_by_role("link", name="Share documents")
    tab_to(page, share)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Share documents")

    # The breadcrumb back to Documents comes first, then the file field, the first stop in the form; Space opens
    # the file chooser.
    page.wait_for_load_state()
    page.keyboard.press("Tab")
    assert focused_text(page) == "Skip to content"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert focused_text(page) == "Documents" and focus_ring(page) != "none"
    files = page.get_by_label("Files")
    assert tab_to(page, files) == 1
    page.bring_to_front()  # Chromium opens a file chooser only for the page that has the window's focus
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(files=[{"name": "WGTIM-keyboard-note.txt", "mimeType": "text/plain",
                                    "buffer": b"Notes for the 21st WGTIM Meeting, shared without a mouse.\n"}])
    expect(page.locator("[data-file-names]")).to_contain_text("WGTIM-keyboard-note.txt")
    page.keyboard.press("Tab")
    assert is_focused(page.get_by_label("Title"))
    page.keyboard.type("Notes shared by keyboard")

    # The access choice is a radio group: the arrow keys move the choice within it.
    everyone = page.get_by_label("Everyone signed in to AOCP")
    asean = page.get_by_label("ASEAN only (Member States and ASEC)")
    expect(asean).to_be_checked()
    tab_to(page, asean)
    page.keyboard.press("ArrowUp")
    expect(everyone).to_be_checked()
    assert is_focused(everyone)

    tab_to(page, page.get_by_role("button", name="Share"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Notes shared by keyboard")
    with app.app_context():
        doc = db.session.execute(select(Document).where(Document.title == "Notes shared by keyboard")).scalar_one()
        assert (doc.access_level, doc.uploader.email) == ("everyone", DELEGATE)
    browsing.assert_clean()


def test_agenda_disclosure_and_minutes_editor_work_with_the_keyboard_alone(browsing, app, site):
    page = browsing.new_page("keyboard")
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    dialogs: list[str] = []
    sign_in(page, CHAIR, DEMO_PASSWORD)
    page.goto(f"/meetings/{site.meeting}/agenda")

    # "Change the order" opens with Enter; the first item is numbered last and the order saved with Enter.
    summary = page.get_by_text("Change the order", exact=True)
    tab_to(page, summary)
    page.keyboard.press("Enter")
    expect(page.locator("details").filter(has=summary)).to_have_attribute("open", "")
    tab_to(page, page.get_by_label("Opening and adoption of the agenda", exact=True))
    page.keyboard.press("Control+A")
    page.keyboard.type("5")
    tab_to(page, page.get_by_role("button", name="Save the order"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_be_visible()
    with app.app_context():
        titles = db.session.execute(select(AgendaItem.title).where(AgendaItem.meeting_id == site.meeting)
                                    .order_by(AgendaItem.position)).scalars().all()
    assert titles[0] == "Country reports on minerals trade and investment"
    assert titles[-1] == "Opening and adoption of the agenda"

    # The minutes editor: type, save with Enter on the button, then circulate through its confirmation.
    page.goto(f"/meetings/{site.meeting}/minutes")
    editor = page.get_by_role("textbox", name="Minutes (Markdown)")
    tab_to(page, editor)
    expect(editor).to_have_value(re.compile(r"^## 1 Country reports on minerals trade and investment\n"))  # from the agenda
    page.keyboard.press("Control+A")
    page.keyboard.type("The Chair opened the 21st WGTIM Meeting.")
    tab_to(page, page.get_by_role("button", name="Save", exact=True))
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_be_visible()
    circulate = page.get_by_role("button", name="Circulate for comments")
    tab_to(page, circulate)
    page.keyboard.press("Enter")
    expect(page.locator("[data-minutes-status]")).to_have_attribute("data-minutes-status", "circulated")
    assert dialogs == ["Circulate the minutes as they are saved now?"]
    with app.app_context():
        minutes = db.session.execute(select(Minutes).where(Minutes.meeting_id == site.meeting)).scalar_one()
        assert (minutes.status, minutes.body_md) == ("circulated", "The Chair opened the 21st WGTIM Meeting.")
    browsing.assert_clean()


def test_a_table_wider_than_a_phone_scrolls_with_the_keyboard(browsing, site):
    page = browsing.new_page("keyboard-phone", phone=True)
    sign_in(page, DELEGATE, DEMO_PASSWORD)
    page.goto("/plans/AMCAP-III-P2/lines/TI1.1")
    table = page.get_by_role("region", name="Milestones: planned against achieved (scrolls sideways)")
    tab_to(page, table)
    assert table.evaluate("box => box.scrollLeft") == 0
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    expect(table.get_by_role("columnheader", name="Flag")).to_be_in_viewport()
    assert table.evaluate("box => box.scrollLeft") > 0
    browsing.assert_clean()
