"""Comments on a document and its activity: uploads, versions, access changes and comments, newest first."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from aocp.documents.models import DocumentComment
from aocp.extensions import db
from tests.conftest import post_form
from tests.documents.conftest import audit_rows, page_text
from tests.documents.test_versions import add_version


def comments(app, doc_id: int) -> list[tuple[int, str]]:
    with app.app_context():
        rows = db.session.execute(select(DocumentComment).where(DocumentComment.document_id == doc_id)
                                  .order_by(DocumentComment.id)).scalars()
        return [(c.author_id, c.body) for c in rows]


def test_a_member_comments_and_everyone_who_can_open_the_document_reads_it(app, people, as_user, make_doc):
    doc_id = make_doc(people["uploader"], level="body", body="WGTIM")
    client = as_user(people["member"])
    r = post_form(client, f"/documents/{doc_id}/comments", {"body": "  Indonesia agrees with section 2.  "},
                  page=f"/documents/{doc_id}")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/documents/{doc_id}#comments")
    assert comments(app, doc_id) == [(people["member"], "Indonesia agrees with section 2.")]
    page = page_text(as_user(people["uploader"]).get(f"/documents/{doc_id}"))
    assert "Mira Member" in page and "Indonesia agrees with section 2." in page
    [entry] = audit_rows(app, "document.commented")
    assert entry["actor"] == people["member"] and entry["target"] == str(doc_id)


def test_an_observer_may_comment_on_what_is_shared_with_them(app, people, as_user, make_doc):
    doc_id = make_doc(people["uploader"], level="named", orgs=["JPN"])
    r = post_form(as_user(people["observer"]), f"/documents/{doc_id}/comments", {"body": "Japan can help."},
                  page=f"/documents/{doc_id}")
    assert r.status_code == 302
    assert comments(app, doc_id) == [(people["observer"], "Japan can help.")]


@pytest.mark.parametrize("body, message", [
    ("", "This field is required."),
    ("   \n ", "This field is required."),
    ("x" * 5001, "Field cannot be longer than 5000 characters."),
])
def test_an_empty_or_too_long_comment_is_refused_with_the_message(app, people, as_user, make_doc, body, message):
    doc_id = make_doc(people["uploader"])
    r = post_form(as_user(people["member"]), f"/documents/{doc_id}/comments", {"body": body},
                  page=f"/documents/{doc_id}")
    assert r.status_code == 400
    page = page_text(r)
    assert message in page and "No comments yet." in page
    assert comments(app, doc_id) == [] and audit_rows(app, "document.commented") == []


def test_a_comment_is_shown_as_text_never_as_markup(people, as_user, make_doc):
    doc_id = make_doc(people["uploader"])
    client = as_user(people["member"])
    post_form(client, f"/documents/{doc_id}/comments", {"body": "<img src=x onerror=alert(1)> & <b>hi</b>"},
              page=f"/documents/{doc_id}")
    page = page_text(client.get(f"/documents/{doc_id}"))
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; &lt;b&gt;hi&lt;/b&gt;" in page and "<img src=x" not in page


def test_a_comment_without_its_csrf_token_is_refused(app, people, as_user, make_doc):
    doc_id = make_doc(people["uploader"])
    r = as_user(people["member"]).post(f"/documents/{doc_id}/comments", data={"body": "Forged"})
    assert r.status_code == 400 and comments(app, doc_id) == []
    r.close()


def test_the_activity_lists_uploads_versions_access_changes_and_comments_newest_first(app, people, as_user, make_doc):
    doc_id = make_doc(people["uploader"], level="asean")
    uploader = as_user(people["uploader"])
    add_version(uploader, doc_id, b"v2", "a.txt")
    post_form(uploader, f"/documents/{doc_id}/access", {"access_level": "body", "access_body": "WGTIM"})
    post_form(as_user(people["member"]), f"/documents/{doc_id}/comments", {"body": "Seen."},
              page=f"/documents/{doc_id}")
    page = page_text(as_user(people["staff"]).get(f"/documents/{doc_id}"))
    activity = re.search(r'<ul class="activity">(.*?)</ul>', page, re.S).group(1)
    lines = [" ".join(re.sub(r"<[^>]+>", " ", li).split()) for li in re.findall(r"<li>(.*?)</li>", activity, re.S)]
    assert [line.split(" UTC ", 1)[1] for line in lines] == [
        "member@example.org — commented",
        "uploader@example.org — changed who may see it",
        "uploader@example.org — uploaded a new version",
        "uploader@example.org — shared the document",
    ]
