"""Sharing a document with named people or organisations tells them (by their choice); wider levels tell nobody."""
from __future__ import annotations

import io

from aocp.documents import services as documents
from aocp.extensions import db
from tests.conftest import body, org
from tests.notifications.conftest import notes, recipients, user


def share(uploader: int, level: str, orgs=(), people=(), title="Nickel smelter study"):
    access = documents.Access(level, body("WGTIM") if level == "body" else None, [org(c) for c in orgs],
                              [user(i) for i in people])
    with documents.committing():
        doc = documents.create(user(uploader), documents.Upload(io.BytesIO(b"Plain text."), "study.txt"),
                               documents.Details(title, user(uploader).org), access)
    return doc


def test_people_and_organisations_named_at_upload_are_told_but_not_the_uploader(app, ctx, people):
    doc = share(people["chair"], "named", orgs=["MMR"], people=[people["outsider"], people["chair"]])
    assert recipients("document_shared") == {people["outsider"], people["yangon"]}
    note = notes("document_shared")[0]
    assert note.url == f"/documents/{doc.id}" and note.restricted is True


def test_wider_levels_tell_nobody(app, ctx, people):
    for level in ("everyone", "asean", "body"):
        share(people["chair"], level, title=f"Paper for {level}")
    assert notes("document_shared") == []


def test_an_access_change_tells_only_the_newly_named(app, ctx, people):
    doc = share(people["chair"], "named", people=[people["outsider"]])
    before = len(notes("document_shared"))
    documents.set_access(user(people["chair"]), doc, documents.Access(
        "named", orgs=[org("JPN")], people=[user(people["outsider"]), user(people["member"])]))
    db.session.commit()
    new = notes("document_shared")[before:]
    assert {n.recipient_id for n in new} == {people["member"], people["observer"]}
