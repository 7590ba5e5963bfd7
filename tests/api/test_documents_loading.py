"""One loader for documents (documents/loading.py): the API and the pages refuse a document, or a version, the
same way, with the request layer's answers."""
from __future__ import annotations

import pytest

from tests.api.conftest import assert_error, bearer
from tests.api.test_documents_api import API, upload
from tests.conftest import login


@pytest.fixture
def people(make_user, make_token):
    """Write-scope tokens for a WGTIM member from Malaysia (the uploader) and a Philippine delegate in no body."""
    uids = {"uploader": make_user("delegate", org_code="MYS", email="uploader@example.org", bodies={"WGTIM": "member"}),
            "outsider": make_user("delegate", org_code="PHL", email="outsider@example.org")}
    return {name: bearer(make_token(uid, "write")) for name, uid in uids.items()}


@pytest.fixture
def wgtim_doc(client, people):
    """A document only the members of WGTIM may open."""
    r = upload(client, people["uploader"], "minutes.txt", b"Minutes.", title="WGTIM restricted minutes",
               access="body", access_body="WGTIM")
    assert r.status_code == 201, r.get_data(as_text=True)
    return r.get_json()["id"]


def test_a_document_the_caller_may_not_open_is_not_found_with_the_shared_answer(app, client, people, wgtim_doc):
    for url in (f"{API}/{wgtim_doc}", f"{API}/{wgtim_doc}/versions", f"{API}/{wgtim_doc}/download",
                f"{API}/{wgtim_doc}/access", f"{API}/999999"):
        error = assert_error(client.get(url, headers=people["outsider"]), 404, "not_found")
        assert error["message"] == "There is no such document, or you may not see it.", url


def test_the_page_of_a_document_the_viewer_may_not_open_is_not_found(app, client, people, wgtim_doc):
    assert login(client, "outsider@example.org").status_code == 302
    for url in (f"/documents/{wgtim_doc}", f"/documents/{wgtim_doc}/download", f"/documents/{wgtim_doc}/audience"):
        r = client.get(url)
        assert r.status_code == 404 and b"not allowed to see it" in r.data, url


def test_a_version_that_does_not_exist_is_not_found_on_the_api_and_the_page(app, client, people, wgtim_doc):
    error = assert_error(client.get(f"{API}/{wgtim_doc}/versions/7/download", headers=people["uploader"]), 404,
                         "not_found")
    assert error["message"] == "There is no such version of this document, or you may not see it."
    assert login(client, "uploader@example.org").status_code == 302
    assert client.get(f"/documents/{wgtim_doc}/versions/7/download").status_code == 404
    assert client.get(f"/documents/{wgtim_doc}/versions/7/preview").status_code == 404


def test_changing_details_reports_every_field_that_is_wrong_at_once(app, client, people, wgtim_doc):
    error = assert_error(client.patch(f"{API}/{wgtim_doc}", json={"title": "", "language": 5, "colour": "red"},
                                      headers=people["uploader"]), 422, "validation_error")
    assert set(error["fields"]) == {"title", "language", "colour"}
    assert client.get(f"{API}/{wgtim_doc}", headers=people["uploader"]).get_json()["title"] == \
        "WGTIM restricted minutes"


def test_changing_access_reports_an_unknown_field_and_a_missing_level_together(app, client, people, wgtim_doc):
    error = assert_error(client.put(f"{API}/{wgtim_doc}/access", json={"colour": "red"},
                                    headers=people["uploader"]), 422, "validation_error")
    assert set(error["fields"]) == {"level", "colour"}
