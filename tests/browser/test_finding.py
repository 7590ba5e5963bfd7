"""Finding things in Chromium: the `/` key, the search results, the calendar on a phone and the header's height."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from aocp.cli import DEMO_PASSWORD
from tests.browser.conftest import ARTIFACTS, assert_fits, sign_in
from tests.browser.test_accessibility import DELEGATE, build_site

pytestmark = pytest.mark.browser


@pytest.fixture
def site(app):
    return build_site(app)


def header_rows(page) -> int:
    """How many lines the header takes: the distinct tops of its visible parts (brand, menu items, search)."""
    return page.evaluate("""() => {
        const parts = [...document.querySelectorAll('.topbar > .brand, .topbar .nav > li, .topbar > form')];
        const tops = parts.filter(el => el.offsetParent !== null).map(el => Math.round(el.getBoundingClientRect().top));
        return tops.filter((top, i) => !tops.slice(0, i).some(other => Math.abs(other - top) < 12)).length;
    }""")


def test_the_slash_key_focuses_the_search_box_and_the_results_are_grouped(browsing, site):
    page = browsing.new_page("search")
    sign_in(page, DELEGATE, DEMO_PASSWORD)
    page.keyboard.press("/")
    box = page.get_by_role("search").get_by_label("Search AOCP")
    expect(box).to_be_focused()
    page.keyboard.type("WGTIM")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=WGTIM$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Search results for “WGTIM”")
    meetings = page.get_by_role("region", name=re.compile("^Meetings"))
    expect(meetings.get_by_role("link", name="21st WGTIM Meeting")).to_be_visible()
    # In a field, "/" is typed, not taken.
    field = page.get_by_label(re.compile("^Search documents, meetings"))
    field.fill("")
    field.press_sequentially("TI1.1/x")
    expect(field).to_have_value("TI1.1/x")
    browsing.assert_clean()


def test_on_a_phone_the_calendar_is_a_list_of_days_and_the_search_folds_into_the_menu(browsing, site):
    page = browsing.new_page("phone", phone=True)
    sign_in(page, DELEGATE, DEMO_PASSWORD)
    expect(page.get_by_role("search").first).to_be_hidden()
    rows = header_rows(page)
    page.get_by_role("link", name="Search", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Search")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Calendar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Calendar")
    expect(page.locator(".month-grid table")).to_be_hidden()
    expect(page.locator(".month-days")).to_be_visible()
    assert_fits(page)
    page.get_by_role("link", name="List").click()
    assert_fits(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "finding-phone-calendar-list.png"))
    desktop = browsing.new_page("desktop")
    sign_in(desktop, DELEGATE, DEMO_PASSWORD)
    desktop.goto("/calendar")
    expect(desktop.locator(".month-grid table")).to_be_visible()
    expect(desktop.locator("td[aria-current=date]")).to_have_count(1)
    desktop.screenshot(path=str(ARTIFACTS / "finding-desktop-calendar.png"))
    # The search box adds no line to the phone's header: it is as tall as the menu without it.
    page.evaluate("document.querySelector('.search-link').remove()")
    assert header_rows(page) <= rows
    browsing.assert_clean()
