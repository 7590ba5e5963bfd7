"""Journey: a delegate shares a country report with their working group, by drag and drop with a progress bar;
a member of the group finds it by searching inside it and downloads it under its Thai name; someone outside the
group neither finds it nor opens it. A file that only pretends to be a PDF is refused without leaving the page.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

FILE_NAME = "รายงานประเทศไทย 2026.txt"
CONTENT = "Thailand country report: nickel and rare earth processing, ESG screening of new concessions.\n"


def drop_file(page, name: str, content: str, mime: str) -> None:
    """Drop one file on the drop zone, as dragging it from the desktop does."""
    page.wait_for_load_state()  # the drop zone's script is attached once the page has loaded
    page.evaluate(
        """([name, content, mime]) => {
             const dt = new DataTransfer();
             dt.items.add(new File([content], name, {type: mime}));
             const zone = document.querySelector("[data-dropzone]");
             zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: dt, bubbles: true, cancelable: true}));
             zone.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
           }""",
        [name, content, mime])


def test_delegate_shares_with_the_working_group_and_only_the_group_finds_it(browsing, make_user, tmp_path):
    make_user("delegate", email="somchai@dmr.example.th", name="Somchai Srisuk", org_code="THA",
              bodies={"WGTIM": "member"})
    make_user("delegate", email="linh@gdgms.example.vn", name="Nguyen Thi Linh", org_code="VNM",
              bodies={"WGTIM": "member"})
    make_user("delegate", email="maria@mgb.example.ph", name="Maria Santos", org_code="PHL",
              bodies={"WGSMD": "member"})

    # Somchai drops the report on the upload page: its name is listed before sending.
    thai = browsing.new_page("thai-delegate")
    sign_in(thai, "somchai@dmr.example.th")
    thai.get_by_role("navigation", name="Main").get_by_role("link", name="Documents").click()
    thai.get_by_role("link", name="Share documents").click()
    expect(thai.get_by_role("heading", level=1)).to_have_text("Share documents")
    drop_file(thai, FILE_NAME, CONTENT, "text/plain")
    expect(thai.locator("[data-file-names]")).to_contain_text(FILE_NAME)
    thai.get_by_label("Title").fill("Thailand country report to the 21st WGTIM")
    thai.get_by_label("Type").select_option(label="Country report")
    thai.get_by_label("Tags").fill("nickel, ESG")
    thai.get_by_label("Members of a body").check()
    thai.get_by_label("Body whose members may see it").select_option("WGTIM")
    thai.get_by_role("button", name="Share").click()

    # The upload goes by XHR (progress bar) and lands on the new document's page.
    expect(thai.get_by_role("heading", level=1)).to_have_text("Thailand country report to the 21st WGTIM")
    expect(thai).to_have_url(re.compile(r"/documents/\d+$"))
    doc_path = re.search(r"/documents/\d+$", thai.url).group(0)
    thai.get_by_role("link", name="Everyone who can see it, and why").click()
    expect(thai.locator("main")).to_contain_text("Nguyen Thi Linh")
    expect(thai.locator("main")).not_to_contain_text("Maria Santos")

    # Linh, in the same working group, finds it by a word inside the file and downloads it under its Thai name.
    vn = browsing.new_page("vietnam-delegate")
    sign_in(vn, "linh@gdgms.example.vn")
    vn.goto("/documents/?q=concessions")
    result = vn.get_by_role("link", name="Thailand country report to the 21st WGTIM")
    expect(result).to_be_visible()
    expect(vn.locator("mark").first).to_have_text(re.compile("concessions", re.I))
    result.click()
    with vn.expect_download() as info:
        vn.get_by_role("link", name=re.compile(r"^Download ")).click()
    download = info.value
    assert download.suggested_filename == FILE_NAME
    saved = tmp_path / "downloaded.txt"
    download.save_as(saved)
    assert saved.read_text(encoding="utf-8") == CONTENT

    # Maria, outside the group, does not find it, and its address is a plain "not found".
    ph = browsing.new_page("philippine-delegate")
    sign_in(ph, "maria@mgb.example.ph")
    ph.goto("/documents/?q=concessions")
    expect(ph.locator("main")).not_to_contain_text("Thailand country report")
    browsing.expect_error_status(404, doc_path)
    response = ph.goto(doc_path)
    assert response.status == 404
    expect(ph.get_by_role("heading", level=1)).to_contain_text(re.compile("not found", re.I))

    browsing.assert_clean()


def test_a_file_that_only_pretends_to_be_a_pdf_is_refused_on_the_page(browsing, make_user):
    make_user("delegate", email="somchai@dmr.example.th", org_code="THA", bodies={"WGTIM": "member"})
    page = browsing.new_page("thai-delegate")
    sign_in(page, "somchai@dmr.example.th")
    page.goto("/documents/upload")
    drop_file(page, "report.pdf", "<html><script>alert(1)</script></html>", "application/pdf")
    browsing.expect_error_status(422, "/documents/upload")
    page.get_by_role("button", name="Share").click()

    expect(page.locator("[data-progress-text]")).to_contain_text(re.compile("PDF", re.I))
    expect(page).to_have_url(re.compile(r"/documents/upload$"))
    page.goto("/documents/")
    expect(page.locator("main")).not_to_contain_text("report.pdf")
    browsing.assert_clean()
