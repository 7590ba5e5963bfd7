"""Who may open a document: the yes/no rule, the SQL condition and the explanation agree, and a document
someone may not open is not found on any route, in any list or in any search."""
from __future__ import annotations

import io
import itertools
import re

import pytest
from sqlalchemy import select

from aocp.accounts import services as accounts
from aocp.accounts.models import User
from aocp.documents import access
from aocp.documents import services as ds
from aocp.documents.models import Document, DocumentComment
from aocp.extensions import db
from aocp.orgs.models import Body, Organisation
from aocp.policy import can
from aocp.timeutil import utcnow
from bench.sqlcount import statements
from tests.conftest import csrf_token, post_form
from tests.documents.conftest import audit_rows, by_code, fetch, make_pdf, page_text

ASEC = ("asec_admin", "asec_staff")
NAMED_ORGS = ("PHL", "KOR")


def _org_for(role: str, same_org: bool) -> str:
    """An organisation that fits the role: the one named on the document (same_org) or another."""
    if role in ASEC:
        return "ASEC"
    if role == "observer":
        return "KOR" if same_org else "JPN"
    return "PHL" if same_org else "VNM"


def _expected(user: User, doc: Document) -> bool:
    """The access rule of the issue, written out independently of the code under test."""
    if user.role in ASEC:
        return True
    if doc.deleted_at is not None:
        return False
    if doc.uploader_id == user.id:
        return True
    if doc.access_level == "everyone":
        return True
    if doc.access_level == "asean":
        return user.org.kind in ("member_state", "secretariat") and user.role != "observer"
    if doc.access_level == "body":
        return any(m.body_id == doc.access_body_id for m in user.memberships)
    return any(g.user_id == user.id or g.org_id == user.org_id for g in doc.grants)


def test_reason_policy_and_sql_condition_agree_for_every_role_membership_naming_and_organisation(app, make_user):
    combos = list(itertools.product(("asec_admin", "asec_staff", "focal_person", "delegate", "observer"),
                                    (False, True), (False, True), (False, True)))
    user_ids = {}
    for role, member, named, same_org in combos:
        body_role = "observer" if role == "observer" else "member"
        user_ids[(role, member, named, same_org)] = make_user(
            role, org_code=_org_for(role, same_org), bodies={"WGTIM": body_role} if member else None,
            email=f"{role}-{int(member)}{int(named)}{int(same_org)}@example.org")
    # An observer from a Member State is still not "ASEAN" for documents shared with ASEAN only.
    user_ids["observer-from-asean"] = make_user("observer", org_code="THA", email="observer-tha@example.org")
    owner_id = make_user("delegate", org_code="MYS", email="owner@example.org",
                         bodies={"WGTIM": "member", "WGSMD": "member"})
    self_uploader_key = ("delegate", False, False, False)

    with app.app_context():
        owner = db.session.get(User, owner_id)
        named_people = [db.session.get(User, uid) for key, uid in user_ids.items() if isinstance(key, tuple) and key[2]]
        named_orgs = [by_code(Organisation, c) for c in NAMED_ORGS]

        def doc(uploader, level, body=None, orgs=(), people=(), trashed=False, title="", credited=None):
            with ds.committing():
                d = ds.create(uploader, ds.Upload(io.BytesIO(b"text"), "a.txt"),
                              ds.Details(title or f"{level} document", uploader.org),
                              ds.Access(level, by_code(Body, body) if body else None, list(orgs), list(people)))
                if trashed:
                    d.deleted_at, d.deleted_by_id = utcnow(), uploader.id
                if credited is not None:  # as if they had shared it and left the body since
                    d.uploader = credited
            return d.id

        self_uploader = db.session.get(User, user_ids[self_uploader_key])
        doc_ids = [
            doc(owner, "everyone"), doc(owner, "asean"), doc(owner, "body", "WGTIM"), doc(owner, "body", "WGSMD"),
            doc(owner, "named", orgs=named_orgs, people=named_people),
            doc(owner, "named", people=named_people),
            doc(owner, "named", orgs=named_orgs),
            doc(owner, "everyone", trashed=True), doc(owner, "asean", trashed=True),
            doc(owner, "body", "WGSMD", title="own", credited=self_uploader),
            doc(self_uploader, "everyone", trashed=True),
        ]
        docs = [db.session.get(Document, i) for i in doc_ids]
        checked = 0
        for key, uid in user_ids.items():
            user = db.session.get(User, uid)
            visible = set(db.session.execute(select(Document.id).where(access.visible_clause(user))).scalars())
            for d in docs:
                expected = _expected(user, d)
                assert (access.reason(user, d) is not None) == expected, (key, d.title, d.deleted_at)
                assert (d.id in visible) == expected, (key, d.title, d.deleted_at)
                assert can(user, "documents.view", d) == expected, (key, d.title)
                checked += 1
        assert checked == len(user_ids) * len(docs)
        # The rule is not vacuous: someone is refused at every level, and everyone outside ASEC misses the trash.
        for d in docs:
            if d.access_level != "everyone" or d.deleted_at is not None:
                assert any(not _expected(db.session.get(User, uid), d) for uid in user_ids.values())


def test_reasons_are_given_in_words(app, people, make_doc):
    doc_ids = {
        "body": make_doc(people["uploader"], level="body", body="WGTIM"),
        "named": make_doc(people["uploader"], level="named", orgs=["THA"], people=[people["outsider"]]),
        "asean": make_doc(people["uploader"], level="asean"),
        "everyone": make_doc(people["uploader"], level="everyone"),
    }
    with app.app_context():
        u = {name: db.session.get(User, people[name]) for name in ("uploader", "member", "outsider", "focal",
                                                                   "staff", "observer")}
        d = {name: db.session.get(Document, i) for name, i in doc_ids.items()}
        assert access.reason(u["uploader"], d["body"]) == "you uploaded it"
        assert access.reason(u["member"], d["body"]) == "you are a member of WGTIM"
        assert access.reason(u["staff"], d["body"]) == "ASEC staff see every document"
        assert access.reason(u["outsider"], d["named"]) == "the uploader named you"
        assert access.reason(u["focal"], d["named"]) == "the uploader named Thailand"
        assert access.reason(u["focal"], d["asean"]) == "it is shared with ASEAN and you are from Thailand"
        assert access.reason(u["observer"], d["everyone"]) == "it is shared with everyone signed in to AOCP"
        assert access.reason(u["observer"], d["asean"]) is None


def test_a_deactivated_account_sees_nothing(app, people, make_doc):
    doc_id = make_doc(people["uploader"], level="everyone")
    with app.app_context():
        admin = db.session.get(User, people["admin"])
        user = db.session.get(User, people["member"])
        accounts.set_status(admin, user, "deactivated")
        db.session.commit()
        assert db.session.execute(select(Document.id).where(access.visible_clause(user))).all() == []
        assert not can(user, "documents.view", db.session.get(Document, doc_id))


# --- every route of a hidden document ------------------------------------------------------------

def _routes(doc_id: int) -> list[tuple[str, str, dict]]:
    d = f"/documents/{doc_id}"
    return [
        ("GET", d, {}), ("GET", f"{d}/audience", {}), ("GET", f"{d}/edit", {}), ("GET", f"{d}/access", {}),
        ("GET", f"{d}/download", {}), ("GET", f"{d}/versions/1/download", {}), ("GET", f"{d}/versions/1/preview", {}),
        ("POST", f"{d}/comments", {"body": "Let me in"}), ("POST", f"{d}/delete", {}),
        ("POST", f"{d}/edit", {"title": "Taken over", "doc_type": "study", "language": "en", "org": "PHL"}),
        ("POST", f"{d}/access", {"access_level": "everyone"}),
        ("POST", f"{d}/versions", {}), ("POST", f"{d}/versions/1/restore", {}),
    ]


# Routes whose rule the role lacks altogether are refused with 403 for any document, existing or not.
WRITE_ROUTES = re.compile(r"/(edit|access|delete|versions(/1/restore)?)$")


@pytest.fixture
def hidden(people, make_doc):
    """PDF documents by the uploader (a WGTIM member from Malaysia), and who must not see each of them."""
    pdf = make_pdf("Hidden nickel study")
    body = make_doc(people["uploader"], title="Quarantined WGTIM paper", data=pdf, filename="wgtim.pdf",
                    level="body", body="WGTIM")
    named = make_doc(people["uploader"], title="Quarantined named paper", data=pdf, filename="named.pdf",
                     level="named", orgs=["THA"], people=[people["member"]])
    asean = make_doc(people["uploader"], title="Quarantined ASEAN paper", data=pdf, filename="asean.pdf",
                     level="asean")
    trashed = make_doc(people["uploader"], title="Quarantined trashed paper", data=pdf, filename="old.pdf",
                       level="body", body="WGTIM")
    return {"outsider": [body, named], "focal": [body], "observer": [body, named, asean],
            "member": [trashed], "uploader": [trashed], "_trash": [trashed],
            "_visible": {"outsider": [asean], "focal": [named, asean], "observer": [], "member": [body, named, asean],
                         "uploader": [body, named, asean]}}


def _trash(app, doc_ids):
    with app.app_context():
        for i in doc_ids:
            db.session.get(Document, i).deleted_at = utcnow()
        db.session.commit()


def _request(client, method, url, data, token):
    if method == "GET":
        return fetch(client, url)
    r = client.post(url, data={"csrf_token": token, **data})
    r.close()
    return r


@pytest.mark.parametrize("viewer", ["outsider", "focal", "observer", "member", "uploader"])
def test_every_route_of_a_document_one_may_not_open_answers_not_found(app, people, as_user, hidden, viewer):
    _trash(app, hidden["_trash"])
    client = as_user(people[viewer])
    token = csrf_token(client, "/documents/")
    with app.app_context():
        before = {i: (d.title, d.access_level, d.deleted_at, d.version_count)
                  for i in hidden[viewer] for d in [db.session.get(Document, i)]}
    for doc_id in hidden[viewer]:
        for method, url, data in _routes(doc_id):
            r = _request(client, method, url, data, token)
            if viewer == "observer" and WRITE_ROUTES.search(url):
                missing = _request(client, method, url.replace(f"/{doc_id}", "/999999"), data, token)
                assert r.status_code == missing.status_code == 403, (method, url)
            else:
                assert r.status_code == 404, (method, url, r.status_code)
    with app.app_context():
        assert before == {i: (d.title, d.access_level, d.deleted_at, d.version_count)
                          for i in hidden[viewer] for d in [db.session.get(Document, i)]}
        assert db.session.execute(select(db.func.count()).select_from(DocumentComment)).scalar() == 0
    assert audit_rows(app, "document.commented") == audit_rows(app, "document.trashed") == []
    assert any(d["actor"] == people[viewer] and d["rule"] == "documents.view" for d in audit_rows(app, "access.denied"))


@pytest.mark.parametrize("viewer", ["outsider", "focal", "observer", "member", "uploader"])
def test_a_document_one_may_not_open_is_in_no_list_and_no_search(app, people, as_user, hidden, viewer):
    _trash(app, hidden["_trash"])
    client = as_user(people[viewer])
    pages = [page_text(client.get(url)) for url in (
        "/documents/", "/documents/?q=Quarantined", "/documents/?q=nickel", "/documents/?q=paper&sort=title",
        "/documents/?body=WGTIM", "/documents/?org=MYS", "/documents/?access=body", "/documents/?access=named",
        "/documents/?type=other", "/documents/capacity-building?q=Quarantined")]
    with app.app_context():
        titles = {i: db.session.get(Document, i).title for i in hidden[viewer] + hidden["_visible"][viewer]}
    for doc_id in hidden[viewer]:
        assert all(titles[doc_id] not in page and f"/documents/{doc_id}\"" not in page for page in pages)
    for doc_id in hidden["_visible"][viewer]:  # and what they may open is there, so the check above can fail
        assert titles[doc_id] in pages[0] and titles[doc_id] in pages[1] and titles[doc_id] in pages[2]


def test_asec_staff_open_every_document_even_in_the_trash(app, people, as_user, hidden):
    _trash(app, hidden["_trash"])
    client = as_user(people["staff"])
    for doc_id in hidden["observer"] + hidden["_trash"]:
        assert fetch(client, f"/documents/{doc_id}").status_code == 200
        assert fetch(client, f"/documents/{doc_id}/download").status_code == 200


# --- who can see this, and why -------------------------------------------------------------------

def test_the_audience_page_lists_each_person_who_can_open_the_document_with_the_reason(app, people, as_user,
                                                                                       make_doc):
    for name in ("member", "outsider", "observer", "staff", "admin", "focal"):
        people[name]
    doc_id = make_doc(people["uploader"], title="WGTIM workplan", level="body", body="WGTIM")
    page = page_text(as_user(people["member"]).get(f"/documents/{doc_id}/audience"))
    assert "Who can see this, and why" in page
    assert "You can open it because you are a member of WGTIM." in page
    assert "members of WGTIM (Working Group on Trade and Investment in Minerals)" in page
    assert "Uma Uploader, who uploaded it" in page
    rows = dict(re.findall(r"<tr><td>([^<]+)</td><td>[A-Z]+</td><td>[^<]+</td><td>([^<]*)</td></tr>", page))
    assert rows == {"Uma Uploader": "you uploaded it", "Mira Member": "you are a member of WGTIM",
                    "Sari Staff": "ASEC staff see every document", "Adi Admin": "ASEC staff see every document"}
    assert "People (4)" in page


def test_the_audience_page_reads_its_peoples_memberships_in_one_statement(app, people, as_user, make_doc, make_user):
    doc_id = make_doc(people["uploader"], title="WGTIM workplan", level="body", body="WGTIM")
    client = as_user(people["member"])
    for i in range(5):
        make_user("delegate", org_code="IDN", email=f"extra{i}@example.go.id", bodies={"WGTIM": "member"})
    with app.app_context():
        engine = db.engine
    with statements(engine) as seen:
        page = page_text(client.get(f"/documents/{doc_id}/audience"))
    assert "People (7)" in page  # the uploader, the member and the five added
    assert len([s for s in seen if "FROM memberships WHERE" in s and "memberships.user_id IN" in s]) == 1
    assert not [s for s in seen if "= memberships.user_id" in s]  # none person by person


def test_the_audience_of_a_named_document_lists_the_named_organisation_and_person(app, people, as_user, make_doc):
    for name in ("member", "outsider", "observer", "staff", "focal"):
        people[name]
    doc_id = make_doc(people["uploader"], level="named", orgs=["THA"], people=[people["observer"]])
    page = page_text(as_user(people["observer"]).get(f"/documents/{doc_id}/audience"))
    assert "You can open it because the uploader named you." in page
    assert "named by the uploader: Thailand" in page and "named by the uploader: Obi Observer" in page
    rows = dict(re.findall(r"<tr><td>([^<]+)</td><td>[A-Z]+</td><td>[^<]+</td><td>([^<]*)</td></tr>", page))
    assert rows == {"Uma Uploader": "you uploaded it", "Obi Observer": "the uploader named you",
                    "Fah Focal": "the uploader named Thailand", "Sari Staff": "ASEC staff see every document"}


def test_the_audience_of_an_asean_document_leaves_out_partners_and_observers(people, as_user, make_user, make_doc):
    make_user("observer", org_code="MYS", email="mys-observer@example.org", name="Mys Observer")
    for name in ("focal", "observer", "staff"):
        people[name]
    doc_id = make_doc(people["uploader"], level="asean")
    page = page_text(as_user(people["focal"]).get(f"/documents/{doc_id}/audience"))
    assert "everyone from the ASEAN Member States and ASEC" in page
    assert "Fah Focal" in page and "Sari Staff" in page and "Uma Uploader" in page
    assert "Obi Observer" not in page and "Mys Observer" not in page


def test_the_document_page_tells_the_viewer_why_they_can_open_it(people, as_user, make_doc):
    doc_id = make_doc(people["uploader"], level="asean")
    page = page_text(as_user(people["focal"]).get(f"/documents/{doc_id}"))
    assert "ASEAN only (Member States and ASEC)" in page
    assert "You can open it because it is shared with ASEAN and you are from Thailand." in page


# --- changing who may see it ---------------------------------------------------------------------

def test_the_uploader_names_an_organisation_and_a_person_and_the_change_is_audited(app, people, as_user, make_doc):
    doc_id = make_doc(people["uploader"], title="Country report", level="body", body="WGTIM")
    outsider, observer, focal = as_user(people["outsider"]), as_user(people["observer"]), as_user(people["focal"])
    assert fetch(outsider, f"/documents/{doc_id}").status_code == 404
    client = as_user(people["uploader"])
    r = post_form(client, f"/documents/{doc_id}/access", {"access_level": "named", "access_body": "",
                                                           "access_orgs": ["THA"],
                                                           "access_people": "Outsider@Example.org"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/documents/{doc_id}/audience")
    assert "Access changed." in page_text(client.get(r.headers["Location"]))
    assert fetch(outsider, f"/documents/{doc_id}").status_code == 200
    assert fetch(focal, f"/documents/{doc_id}").status_code == 200
    assert fetch(observer, f"/documents/{doc_id}").status_code == 404
    assert fetch(as_user(people["member"]), f"/documents/{doc_id}").status_code == 404
    [entry] = audit_rows(app, "document.access_changed")
    assert entry["actor"] == people["uploader"] and entry["target"] == str(doc_id)
    assert entry["before"] == {"level": "body", "body": "WGTIM", "orgs": [], "people": []}
    assert entry["after"] == {"level": "named", "body": None, "orgs": ["THA"], "people": [people["outsider"]]}
    assert "changed who may see it" in page_text(client.get(f"/documents/{doc_id}"))


def test_widening_access_drops_the_named_grants(app, people, as_user, make_doc):
    doc_id = make_doc(people["uploader"], level="named", orgs=["THA"], people=[people["outsider"]])
    r = post_form(as_user(people["staff"]), f"/documents/{doc_id}/access", {"access_level": "asean"})
    assert r.status_code == 302
    with app.app_context():
        doc = db.session.get(Document, doc_id)
        assert doc.access_level == "asean" and doc.grants == []
    [entry] = audit_rows(app, "document.access_changed")
    assert entry["actor"] == people["staff"]
    assert entry["before"]["orgs"] == ["THA"] and entry["after"]["level"] == "asean"


def test_saving_access_unchanged_writes_no_audit_entry(app, people, as_user, make_doc):
    doc_id = make_doc(people["uploader"], level="body", body="WGTIM")
    r = post_form(as_user(people["uploader"]), f"/documents/{doc_id}/access",
                  {"access_level": "body", "access_body": "WGTIM"})
    assert r.status_code == 302
    assert audit_rows(app, "document.access_changed") == []


@pytest.mark.parametrize("fields, message", [
    ({"access_level": "body", "access_body": ""}, "Choose the body whose members may see the document."),
    ({"access_level": "named"}, "Name at least one organisation or person."),
    ({"access_level": "named", "access_people": "ghost@example.org"}, "No account with the email ghost@example.org."),
    ({"access_level": "named", "access_orgs": ["XXX"]}, "&#39;XXX&#39; is not a valid choice for this field."),
    ({"access_level": "world"}, "Not a valid choice"),
])
def test_invalid_access_is_refused_and_nothing_changes(app, people, as_user, make_doc, fields, message):
    doc_id = make_doc(people["uploader"], level="asean")
    r = post_form(as_user(people["uploader"]), f"/documents/{doc_id}/access", fields)
    assert r.status_code == 400 and message in page_text(r)
    with app.app_context():
        assert db.session.get(Document, doc_id).access_level == "asean"
    assert audit_rows(app, "document.access_changed") == []


@pytest.mark.parametrize("viewer", ["member", "focal", "outsider"])
def test_someone_who_may_open_but_not_manage_a_document_gets_403_on_its_changes(app, people, as_user, make_doc,
                                                                                viewer):
    doc_id = make_doc(people["uploader"], title="Everyone's paper", level="everyone")
    client = as_user(people[viewer])
    page = page_text(client.get(f"/documents/{doc_id}"))
    assert "Move to trash" not in page and f"/documents/{doc_id}/edit" not in page
    token = csrf_token(client, "/documents/")
    assert fetch(client, f"/documents/{doc_id}/access").status_code == 403
    assert fetch(client, f"/documents/{doc_id}/edit").status_code == 403
    for url, data in [(f"/documents/{doc_id}/access", {"access_level": "named", "access_orgs": ["PHL"]}),
                      (f"/documents/{doc_id}/delete", {}), (f"/documents/{doc_id}/versions/1/restore", {}),
                      (f"/documents/{doc_id}/edit", {"title": "Mine now", "doc_type": "study", "language": "en",
                                                     "org": "PHL"})]:
        r = client.post(url, data={"csrf_token": token, **data})
        assert r.status_code == 403, url
    with app.app_context():
        doc = db.session.get(Document, doc_id)
        assert (doc.access_level, doc.title, doc.deleted_at, doc.version_count) == ("everyone", "Everyone's paper",
                                                                                    None, 1)
