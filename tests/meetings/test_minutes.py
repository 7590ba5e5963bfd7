"""Minutes pages: reading by role, safe Markdown, the editor with conflicts and autosave, circulation, comments,
adoption (locked, versioned) and decisions."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from aocp.audit import AuditEntry
from aocp.extensions import db
from aocp.meetings import services
from aocp.meetings.markdown import blocks, render
from aocp.meetings.models import Decision, Minutes, MinutesComment, MinutesRevision
from tests.conftest import sign_in
from tests.meetings._factories import hidden, make_meeting, make_people, meeting_of, user

HOSTILE = """# Minutes

<script>alert('x')</script>
<img src=x onerror="alert(1)">
<a href="javascript:alert(2)" onclick="alert(3)">click</a>
[link](javascript:alert(4)) [entity](&#106;avascript:alert(5)) [upper](JaVaScRiPt:alert(6))
[data](data:text/html;base64,PHNjcmlwdD4=) [vb](vbscript:msgbox(1))
<iframe src="https://evil.example"></iframe><svg onload=alert(7)>
![pixel](https://evil.example/p.png)
[fine](https://asean.org/minerals)
"""


@pytest.fixture
def cast(make_user):
    return make_people(make_user)


@pytest.fixture
def wgtim(app, cast):
    return make_meeting(app, cast["chair"])


def url(meeting_id: int, tail: str = "") -> str:
    return f"/meetings/{meeting_id}/minutes{tail}"


def save_via_service(app, actor_id: int, meeting_id: int, text: str, circulate: bool = False,
                     adopt: bool = False) -> None:
    with app.app_context():
        m = meeting_of(meeting_id)
        actor = user(actor_id)
        current = db.session.execute(select(Minutes).where(Minutes.meeting_id == m.id)).scalar_one_or_none()
        services.save_minutes(actor, m, text, current.version if current else 1)
        if circulate or adopt:
            services.circulate_minutes(actor, m)
        if adopt:
            services.adopt_minutes(actor, m)
        db.session.commit()


def stored(app, meeting_id: int) -> Minutes | None:
    with app.app_context():
        m = db.session.execute(select(Minutes).where(Minutes.meeting_id == meeting_id)).scalar_one_or_none()
        if m is not None:
            db.session.expunge(m)
        return m


def open_editor(client, meeting_id: int) -> tuple[str, str]:
    """(csrf token, version) from the editor as the page shows it."""
    page = client.get(url(meeting_id)).get_data(as_text=True)
    return hidden(page, "csrf_token"), hidden(page, "version")


def autosave(client, meeting_id: int, text: str, version: int, token: str | None):
    headers = {"X-CSRFToken": token} if token else {}
    return client.post(url(meeting_id, "/draft"), json={"body_md": text, "version": version}, headers=headers)


# Safe rendering

def test_hostile_markdown_renders_without_scripts_handlers_or_javascript_links():
    html = str(render(HOSTILE))
    lowered = html.lower()
    assert "<script" not in lowered and "<iframe" not in lowered and "<svg" not in lowered and "<img" not in lowered
    assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", html, re.I)  # no event handler in any real tag
    assert not re.search(r'<a\b[^>]*href="\s*(javascript|vbscript|data):', lowered)
    hrefs = re.findall(r'<a\b[^>]*href="([^"]*)"', html)
    assert hrefs and all(h.startswith("https://") for h in hrefs), hrefs
    assert '<a href="https://asean.org/minerals" rel="noopener noreferrer nofollow">fine</a>' in html
    assert "&lt;script&gt;" in html  # shown as text, so the reader sees what was typed
    assert "<h1>Minutes</h1>" in html


def test_headings_start_at_the_level_the_page_asks_for():
    html = str(render("# Opening\n\n## Item 1\n\n###### Deep\n", top=3))
    assert "<h3>Opening</h3>" in html and "<h4>Item 1</h4>" in html and "<h6>Deep</h6>" in html


def test_every_tag_that_survives_is_on_the_allow_list():
    html = str(render(HOSTILE + "\n| a | b |\n|---|---|\n| 1 | 2 |\n\n> quoted\n\n```\ncode\n```\n"))
    tags = set(re.findall(r"<([a-z0-9]+)", html))
    assert tags <= {"h1", "p", "a", "table", "thead", "tbody", "tr", "th", "td", "blockquote", "pre", "code"}
    assert {"table", "blockquote", "pre"} <= tags


def test_markdown_blocks_for_exports_keep_structure_and_link_targets():
    out = blocks("# Title\n\nText with [a link](https://asean.org).\n\n- one\n  - two\n\n> said\n")
    assert [(b.kind, b.text, b.level) for b in out] == [
        ("h1", "Title", 0), ("p", "Text with a link (https://asean.org).", 0), ("li", "one", 0),
        ("li", "two", 1), ("quote", "said", 0)]


def test_hostile_minutes_on_the_page_are_harmless_for_readers(app, client, cast, wgtim):
    save_via_service(app, cast["chair"], wgtim, HOSTILE, circulate=True)
    sign_in(app, client, cast["member"])
    page = client.get(url(wgtim)).get_data(as_text=True)
    text = page.split('id="text-h"', 1)[1].split("</section>", 1)[0]
    assert "<script" not in text and not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", text, re.I)
    assert not re.search(r'<a\b[^>]*href="\s*javascript', page, re.I)
    assert "<iframe" not in text and "<svg" not in text
    assert '<a href="https://asean.org/minerals"' in text


# Who sees what

@pytest.mark.parametrize("part, status, editor", [
    ("chair", 200, True), ("staff", 200, True), ("admin", 200, True), ("member", 200, False),
    ("body_observer", 200, False), ("partner", 200, False), ("outsider", 404, False)])
def test_minutes_page_by_role(app, client, cast, wgtim, part, status, editor):
    save_via_service(app, cast["chair"], wgtim, "Opening remarks by the chair.", circulate=True)
    sign_in(app, client, cast[part])
    r = client.get(url(wgtim))
    assert r.status_code == status
    page = r.get_data(as_text=True)
    assert ('name="body_md"' in page) is editor
    assert ("Opening remarks by the chair." in page) is (status == 200)
    assert ("Circulate again for comments" in page) is editor


def test_signed_out_visitors_are_sent_to_sign_in(client, wgtim):
    r = client.get(url(wgtim))
    assert r.status_code == 302 and "/login?next=" in r.headers["Location"]


def test_a_draft_that_was_never_circulated_stays_with_the_managers(app, client, cast, wgtim):
    save_via_service(app, cast["chair"], wgtim, "Secret first draft wording.")
    sign_in(app, client, cast["member"])
    page = client.get(url(wgtim)).get_data(as_text=True)
    assert "Secret first draft wording." not in page and "shown here once circulated" in page
    with app.app_context():
        services.circulate_minutes(user(cast["chair"]), meeting_of(wgtim))
        db.session.commit()
    assert "Secret first draft wording." in client.get(url(wgtim)).get_data(as_text=True)


def test_reading_the_minutes_page_writes_nothing(app, client, cast, wgtim):
    sign_in(app, client, cast["chair"])
    assert client.get(url(wgtim)).status_code == 200
    assert stored(app, wgtim) is None


def test_an_unknown_meeting_is_not_found(app, client, cast):
    sign_in(app, client, cast["chair"])
    assert client.get(url(999_999)).status_code == 404


# Saving with the form

def test_chair_saves_the_minutes_with_the_form(app, client, cast, wgtim):
    sign_in(app, client, cast["chair"])
    token, version = open_editor(client, wgtim)
    r = client.post(url(wgtim), data={"csrf_token": token, "version": version,
                                      "body_md": "## Item 1\r\n\r\nThe agenda was **adopted**."})
    assert r.status_code == 302
    m = stored(app, wgtim)
    assert m.body_md == "## Item 1\n\nThe agenda was **adopted**." and m.status == "draft"
    page = client.get(url(wgtim)).get_data(as_text=True)
    # Headings sit below the page's own <h2>Text, so "## Item 1" renders as <h4>.
    assert "<h4>Item 1</h4>" in page and "<strong>adopted</strong>" in page and "Minutes saved." in page


@pytest.mark.parametrize("part, status", [("member", 403), ("body_observer", 403), ("partner", 403),
                                          ("outsider", 404)])
def test_only_managers_save_the_minutes(app, client, cast, wgtim, part, status):
    save_via_service(app, cast["chair"], wgtim, "Chair's text.", circulate=True)
    sign_in(app, client, cast[part])
    token = hidden(client.get("/profile/").get_data(as_text=True), "csrf_token")
    r = client.post(url(wgtim), data={"csrf_token": token, "version": "99", "body_md": "Rewritten"})
    assert r.status_code == status
    assert stored(app, wgtim).body_md == "Chair's text."


def test_asec_staff_manage_every_workspaces_minutes(app, client, cast, wgtim):
    sign_in(app, client, cast["staff"])
    token, version = open_editor(client, wgtim)
    assert client.post(url(wgtim), data={"csrf_token": token, "version": version, "body_md": "By ASEC"}
                       ).status_code == 302
    assert stored(app, wgtim).body_md == "By ASEC"


def test_saving_without_the_csrf_token_is_refused(app, client, cast, wgtim):
    sign_in(app, client, cast["chair"])
    _, version = open_editor(client, wgtim)
    r = client.post(url(wgtim), data={"version": version, "body_md": "Forged"})
    assert r.status_code == 400 and "Form expired" in r.get_data(as_text=True)
    assert stored(app, wgtim) is None


def test_a_stale_save_never_overwrites_and_shows_both_texts(app, cast, wgtim):
    chair, staff = app.test_client(), app.test_client()
    sign_in(app, chair, cast["chair"])
    sign_in(app, staff, cast["staff"])
    chair_token, chair_version = open_editor(chair, wgtim)
    staff_token, staff_version = open_editor(staff, wgtim)
    assert chair_version == staff_version

    assert chair.post(url(wgtim), data={"csrf_token": chair_token, "version": chair_version,
                                        "body_md": "Chair: the meeting opened at 09:30."}).status_code == 302
    r = staff.post(url(wgtim), data={"csrf_token": staff_token, "version": staff_version,
                                     "body_md": "Staff: attendance was recorded."})
    assert r.status_code == 409
    page = r.get_data(as_text=True)
    assert "Not saved: someone else changed these minutes" in page and "nothing was overwritten" in page
    assert "Aminah binti Hassan saved them" in page
    theirs = page.split("data-their-text>", 1)[1].split("</pre>", 1)[0]
    assert theirs == "Chair: the meeting opened at 09:30."
    assert re.search(r"<textarea[^>]*>\s*Staff: attendance was recorded.</textarea>", page)
    assert stored(app, wgtim).body_md == "Chair: the meeting opened at 09:30."

    # Saving again from the conflict page is a deliberate choice, made with both texts in view.
    version = hidden(page, "version")
    assert staff.post(url(wgtim), data={"csrf_token": staff_token, "version": version,
                                        "body_md": "Chair: opened at 09:30.\nStaff: attendance recorded."}
                      ).status_code == 302
    assert stored(app, wgtim).body_md == "Chair: opened at 09:30.\nStaff: attendance recorded."


# Autosave

def test_autosave_returns_the_new_version_and_time(app, client, cast, wgtim):
    sign_in(app, client, cast["chair"])
    token, version = open_editor(client, wgtim)
    r = autosave(client, wgtim, "Draft as typed", int(version), token)
    assert r.status_code == 200
    m = stored(app, wgtim)
    assert r.json["version"] == m.version > int(version) and m.body_md == "Draft as typed"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", r.json["saved_at"])
    again = autosave(client, wgtim, "Draft as typed, more", r.json["version"], token)
    assert again.status_code == 200 and again.json["version"] == r.json["version"] + 1


def test_autosave_with_a_stale_version_answers_409_with_the_current_text(app, cast, wgtim):
    chair, staff = app.test_client(), app.test_client()
    sign_in(app, chair, cast["chair"])
    sign_in(app, staff, cast["staff"])
    chair_token, version = open_editor(chair, wgtim)
    staff_token, _ = open_editor(staff, wgtim)
    assert autosave(chair, wgtim, "Chair's words", int(version), chair_token).status_code == 200
    r = autosave(staff, wgtim, "Staff's words", int(version), staff_token)
    assert r.status_code == 409 and r.mimetype == "application/json"
    err = r.json["error"]
    assert err["code"] == "conflict" and "not saved" in err["message"]
    assert err["current"]["body_md"] == "Chair's words" and err["current"]["updated_by"] == "Aminah binti Hassan"
    assert stored(app, wgtim).body_md == "Chair's words"


def test_autosave_when_signed_out_answers_401_json(app, client, cast, wgtim):
    r = autosave(client, wgtim, "Typed after the session ended", 1, None)
    assert r.status_code == 401 and r.mimetype == "application/json"
    assert r.json["error"]["code"] == "unauthorized" and "kept in this browser" in r.json["error"]["message"]
    sign_in(app, client, cast["chair"])
    token, version = open_editor(client, wgtim)
    client.post("/logout", data={"csrf_token": token})
    r = autosave(client, wgtim, "Typed after signing out", int(version), token)
    assert r.status_code == 401 and r.json["error"]["code"] == "unauthorized"
    assert stored(app, wgtim) is None


def test_autosave_needs_the_csrf_header(app, client, cast, wgtim):
    sign_in(app, client, cast["chair"])
    _, version = open_editor(client, wgtim)
    r = autosave(client, wgtim, "Forged", int(version), None)
    assert r.status_code == 400 and r.json["error"]["code"] == "csrf"
    r = autosave(client, wgtim, "Forged", int(version), "not-the-token")
    assert r.status_code == 400 and r.json["error"]["code"] == "csrf"
    assert stored(app, wgtim) is None


@pytest.mark.parametrize("part, status", [("member", 403), ("body_observer", 403), ("partner", 403),
                                          ("outsider", 404)])
def test_autosave_refuses_everyone_but_managers_with_json(app, client, cast, wgtim, part, status):
    sign_in(app, client, cast[part])
    token = hidden(client.get("/profile/").get_data(as_text=True), "csrf_token")
    r = autosave(client, wgtim, "Not mine to write", 1, token)
    assert r.status_code == status and r.mimetype == "application/json"
    assert stored(app, wgtim) is None


@pytest.mark.parametrize("payload", [{"body_md": "x"}, {"body_md": 5, "version": 1}, {"body_md": "x", "version": "1"},
                                     {"body_md": "x", "version": True}, ["x", 1]])
def test_autosave_with_bad_json_is_refused_clearly(app, client, cast, wgtim, payload):
    sign_in(app, client, cast["chair"])
    token, _ = open_editor(client, wgtim)
    r = client.post(url(wgtim, "/draft"), json=payload, headers={"X-CSRFToken": token})
    assert r.status_code == 422 and "body_md" in r.json["error"]["message"]


def test_autosave_of_an_oversized_text_is_refused(app, client, cast, wgtim):
    sign_in(app, client, cast["chair"])
    token, version = open_editor(client, wgtim)
    r = autosave(client, wgtim, "x" * 500_001, int(version), token)
    assert r.status_code == 422 and "500,000" in r.json["error"]["message"]


def test_the_editor_page_carries_the_autosave_script_and_endpoint(app, client, cast, wgtim):
    sign_in(app, client, cast["chair"])
    page = client.get(url(wgtim)).get_data(as_text=True)
    assert f'data-autosave-url="/meetings/{wgtim}/minutes/draft"' in page
    assert f'data-storage-key="aocp:minutes:{wgtim}:{cast["chair"]}"' in page
    assert "/static/minutes.js" in page and "data-version" in page
    r = client.get("/static/minutes.js")
    js = r.get_data(as_text=True)
    r.close()
    assert "localStorage" in js and "X-CSRFToken" in js and "response.status === 401" in js


# Circulate, comment, adopt

def test_circulating_and_adopting_freeze_copies_and_lock_the_minutes(app, client, cast, wgtim):
    sign_in(app, client, cast["chair"])
    token, version = open_editor(client, wgtim)
    client.post(url(wgtim), data={"csrf_token": token, "version": version, "body_md": "First circulated text"})
    assert client.post(url(wgtim, "/circulate"), data={"csrf_token": token}).status_code == 302
    assert stored(app, wgtim).status == "circulated"
    _, version = open_editor(client, wgtim)
    client.post(url(wgtim), data={"csrf_token": token, "version": version, "body_md": "Final text"})
    r = client.post(url(wgtim, "/adopt"), data={"csrf_token": token}, follow_redirects=True)
    assert "Minutes adopted. They are now locked." in r.get_data(as_text=True)

    m = stored(app, wgtim)
    assert m.status == "adopted" and m.adopted_at is not None and m.body_md == "Final text"
    with app.app_context():
        revisions = db.session.execute(select(MinutesRevision).order_by(MinutesRevision.id)).scalars().all()
        assert [(r.status, r.body_md) for r in revisions] == [("circulated", "First circulated text"),
                                                               ("adopted", "Final text")]
        first, last = revisions[0].id, revisions[1].id
        actions = db.session.execute(select(AuditEntry.action).where(AuditEntry.action.like("minutes.%"))
                                         .order_by(AuditEntry.id)).scalars().all()
        assert actions == ["minutes.circulated", "minutes.adopted"]

    page = client.get(url(wgtim)).get_data(as_text=True)
    assert 'name="body_md"' not in page and "Adopted minutes are locked." in page
    assert f"/minutes/revisions/{first}" in page and f"/minutes/revisions/{last}" in page
    frozen = client.get(url(wgtim, f"/revisions/{first}")).get_data(as_text=True)
    assert "First circulated text" in frozen and "Final text" not in frozen


def test_adopted_minutes_refuse_every_change(app, client, cast, wgtim):
    save_via_service(app, cast["chair"], wgtim, "Adopted text", adopt=True)
    version = stored(app, wgtim).version
    sign_in(app, client, cast["chair"])
    token = hidden(client.get("/profile/").get_data(as_text=True), "csrf_token")
    r = client.post(url(wgtim), data={"csrf_token": token, "version": str(version), "body_md": "Changed"})
    assert r.status_code == 409 and "Adopted minutes are locked." in r.get_data(as_text=True)
    r = autosave(client, wgtim, "Changed", version, token)
    assert r.status_code == 409 and r.json["error"]["code"] == "locked"
    r = client.post(url(wgtim, "/circulate"), data={"csrf_token": token}, follow_redirects=True)
    assert "Adopted minutes are locked." in r.get_data(as_text=True)
    m = stored(app, wgtim)
    assert m.body_md == "Adopted text" and m.status == "adopted" and m.version == version


def test_minutes_are_adopted_only_after_circulation(app, client, cast, wgtim):
    save_via_service(app, cast["chair"], wgtim, "Draft")
    sign_in(app, client, cast["chair"])
    token = hidden(client.get("/profile/").get_data(as_text=True), "csrf_token")
    r = client.post(url(wgtim, "/adopt"), data={"csrf_token": token}, follow_redirects=True)
    assert "circulated for comments before they are adopted" in r.get_data(as_text=True)
    assert stored(app, wgtim).status == "draft"


@pytest.mark.parametrize("part, status", [("member", 403), ("body_observer", 403), ("partner", 403),
                                          ("outsider", 404)])
def test_only_managers_circulate_and_adopt(app, client, cast, wgtim, part, status):
    save_via_service(app, cast["chair"], wgtim, "Draft", circulate=True)
    sign_in(app, client, cast[part])
    token = hidden(client.get("/profile/").get_data(as_text=True), "csrf_token")
    assert client.post(url(wgtim, "/circulate"), data={"csrf_token": token}).status_code == status
    assert client.post(url(wgtim, "/adopt"), data={"csrf_token": token}).status_code == status
    assert stored(app, wgtim).status == "circulated"


def test_members_comment_while_the_minutes_are_circulated(app, client, cast, wgtim):
    save_via_service(app, cast["chair"], wgtim, "For comments", circulate=True)
    sign_in(app, client, cast["member"])
    page = client.get(url(wgtim)).get_data(as_text=True)
    token = hidden(page, "csrf_token")
    assert "Add comment" in page
    r = client.post(url(wgtim, "/comments"), data={"csrf_token": token, "body": "Please add Thailand's report."})
    assert r.status_code == 302
    page = client.get(url(wgtim)).get_data(as_text=True)
    assert "Please add Thailand&#39;s report." in page and "สมชาย ใจดี" in page
    r = client.post(url(wgtim, "/comments"), data={"csrf_token": token, "body": "   "})
    assert r.status_code == 400
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(MinutesComment)).scalar() == 1


def test_comments_are_closed_before_circulation_and_after_adoption(app, client, cast, wgtim):
    save_via_service(app, cast["chair"], wgtim, "Draft")
    sign_in(app, client, cast["member"])
    token = hidden(client.get("/profile/").get_data(as_text=True), "csrf_token")
    assert "Add comment" not in client.get(url(wgtim)).get_data(as_text=True)
    r = client.post(url(wgtim, "/comments"), data={"csrf_token": token, "body": "Too early"})
    assert r.status_code == 422 and "while the minutes are circulated" in r.get_data(as_text=True)
    with app.app_context():
        m = meeting_of(wgtim)
        services.circulate_minutes(user(cast["chair"]), m)
        services.adopt_minutes(user(cast["chair"]), m)
        db.session.commit()
    r = client.post(url(wgtim, "/comments"), data={"csrf_token": token, "body": "Too late"})
    assert r.status_code == 422
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(MinutesComment)).scalar() == 0


@pytest.mark.parametrize("part, status", [("body_observer", 403), ("partner", 403), ("outsider", 404)])
def test_observers_and_outsiders_cannot_comment(app, client, cast, wgtim, part, status):
    save_via_service(app, cast["chair"], wgtim, "For comments", circulate=True)
    sign_in(app, client, cast[part])
    page = client.get(url(wgtim)).get_data(as_text=True)
    assert "Add comment" not in page
    token = hidden(client.get("/profile/").get_data(as_text=True), "csrf_token")
    assert client.post(url(wgtim, "/comments"), data={"csrf_token": token, "body": "Mine"}).status_code == status
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(MinutesComment)).scalar() == 0


def test_a_revision_is_only_reachable_through_its_own_meeting(app, client, cast, wgtim):
    other = make_meeting(app, cast["chair"], number=40)
    save_via_service(app, cast["chair"], wgtim, "Circulated", circulate=True)
    with app.app_context():
        rev_id = db.session.execute(select(MinutesRevision.id)).scalar_one()
    sign_in(app, client, cast["member"])
    assert client.get(url(wgtim, f"/revisions/{rev_id}")).status_code == 200
    assert client.get(url(other, f"/revisions/{rev_id}")).status_code == 404
    client.post("/logout", data={"csrf_token": hidden(client.get("/profile/").get_data(as_text=True),
                                                        "csrf_token")})
    sign_in(app, client, cast["outsider"])
    assert client.get(url(wgtim, f"/revisions/{rev_id}")).status_code == 404


# Decisions

def test_chair_records_a_decision_linked_to_an_agenda_item(app, client, cast, wgtim):
    with app.app_context():
        item_id = meeting_of(wgtim).items[1].id
    sign_in(app, client, cast["chair"])
    page = client.get(url(wgtim)).get_data(as_text=True)
    assert f'<option value="{item_id}">2. Country reports</option>' in page
    r = client.post(f"/meetings/{wgtim}/decisions",
                    data={"csrf_token": hidden(page, "csrf_token"), "agenda_item": str(item_id),
                          "text": "The meeting noted the country reports."})
    assert r.status_code == 302
    page = client.get(url(wgtim)).get_data(as_text=True)
    assert "The meeting noted the country reports." in page and "Agenda item 2: Country reports" in page
    with app.app_context():
        d = db.session.execute(select(Decision)).scalar_one()
        assert d.agenda_item_id == item_id and d.meeting_id == wgtim
        assert db.session.execute(select(AuditEntry).where(AuditEntry.action == "meeting.decision_added")
                                  ).scalar_one()


def test_a_decision_cannot_point_at_another_meetings_agenda_item(app, client, cast, wgtim):
    other = make_meeting(app, cast["chair"], number=40)
    with app.app_context():
        foreign_item = meeting_of(other).items[0].id
    sign_in(app, client, cast["chair"])
    token = hidden(client.get(url(wgtim)).get_data(as_text=True), "csrf_token")
    r = client.post(f"/meetings/{wgtim}/decisions", data={"csrf_token": token, "agenda_item": str(foreign_item),
                                                          "text": "Misfiled"})
    assert r.status_code == 400 and "Not a valid choice" in r.get_data(as_text=True)
    r = client.post(f"/meetings/{wgtim}/decisions", data={"csrf_token": token, "agenda_item": "0", "text": " "})
    assert r.status_code == 400 and "Write the decision." in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Decision)).scalar() == 0


@pytest.mark.parametrize("part, status", [("member", 403), ("body_observer", 403), ("partner", 403),
                                          ("outsider", 404)])
def test_only_managers_record_decisions(app, client, cast, wgtim, part, status):
    sign_in(app, client, cast[part])
    page = client.get(url(wgtim)).get_data(as_text=True)
    assert "Record decision" not in page
    token = hidden(client.get("/profile/").get_data(as_text=True), "csrf_token")
    r = client.post(f"/meetings/{wgtim}/decisions", data={"csrf_token": token, "agenda_item": "0", "text": "Mine"})
    assert r.status_code == status
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Decision)).scalar() == 0


def _decision(app, cast, wgtim, text: str = "The meeting noted the country reports.") -> int:
    with app.app_context():
        d = services.add_decision(user(cast["chair"]), meeting_of(wgtim), text)
        db.session.commit()
        return d.id


def _decision_changes(app) -> list[tuple[str, dict]]:
    with app.app_context():
        return [(e.action, json.loads(e.details)) for e in db.session.execute(
            select(AuditEntry).where(AuditEntry.action.in_(("meeting.decision_updated", "meeting.decision_removed")))
            .order_by(AuditEntry.id)).scalars()]


def test_chair_corrects_a_decision_and_removes_one_recorded_by_mistake(app, client, cast, wgtim):
    kept, mistaken = _decision(app, cast, wgtim, "The meeting noted the contry reports."), _decision(
        app, cast, wgtim, "Recorded twice")
    with app.app_context():
        item_id = meeting_of(wgtim).items[1].id
    sign_in(app, client, cast["chair"])
    page = client.get(url(wgtim)).get_data(as_text=True)
    assert f'action="/meetings/{wgtim}/decisions/{kept}"' in page and "Correct or remove this decision" in page
    token = hidden(page, "csrf_token")
    r = client.post(f"/meetings/{wgtim}/decisions/{kept}", data={
        "csrf_token": token, "agenda_item": str(item_id), "text": "The meeting noted the country reports."})
    assert r.status_code == 302
    r = client.post(f"/meetings/{wgtim}/decisions/{mistaken}/remove", data={"csrf_token": token})
    assert r.status_code == 302
    page = client.get(url(wgtim)).get_data(as_text=True)
    assert "The meeting noted the country reports." in page and "Agenda item 2: Country reports" in page
    assert "contry" not in page and "Recorded twice" not in page
    assert _decision_changes(app) == [
        ("meeting.decision_updated", {"decision": kept, "before": {"text": "The meeting noted the contry reports.",
                                                                   "agenda_item": None},
                                      "after": {"text": "The meeting noted the country reports.",
                                                "agenda_item": item_id}}),
        ("meeting.decision_removed", {"decision": mistaken, "text": "Recorded twice"})]


def test_bad_corrections_and_other_peoples_attempts_change_nothing(app, client, cast, wgtim):
    decision = _decision(app, cast, wgtim)
    other = make_meeting(app, cast["chair"], number=40)
    with app.app_context():
        foreign_item = meeting_of(other).items[0].id
    sign_in(app, client, cast["chair"])
    token = hidden(client.get(url(wgtim)).get_data(as_text=True), "csrf_token")
    for data in ({"agenda_item": "0", "text": "  "}, {"agenda_item": str(foreign_item), "text": "Misfiled"},
                 {"agenda_item": "0", "text": "x" * 5001}):
        r = client.post(f"/meetings/{wgtim}/decisions/{decision}", data={"csrf_token": token, **data})
        assert r.status_code == 400 and "Write the decision" in r.get_data(as_text=True), data
    assert client.post(f"/meetings/{other}/decisions/{decision}", data={
        "csrf_token": token, "agenda_item": "0", "text": "Moved"}).status_code == 404  # not that meeting's
    assert client.post(f"/meetings/{wgtim}/decisions/{decision}/remove", data={}).status_code == 400  # no CSRF
    client = app.test_client()  # a member, in a browser of their own
    sign_in(app, client, cast["member"])
    token = hidden(client.get("/profile/").get_data(as_text=True), "csrf_token")
    assert "Correct or remove this decision" not in client.get(url(wgtim)).get_data(as_text=True)
    assert client.post(f"/meetings/{wgtim}/decisions/{decision}", data={
        "csrf_token": token, "agenda_item": "0", "text": "Mine now"}).status_code == 403
    assert client.post(f"/meetings/{wgtim}/decisions/{decision}/remove",
                       data={"csrf_token": token}).status_code == 403
    client = app.test_client()  # someone of another body does not learn the meeting exists
    sign_in(app, client, cast["outsider"])
    token = hidden(client.get("/profile/").get_data(as_text=True), "csrf_token")
    assert client.post(f"/meetings/{wgtim}/decisions/{decision}", data={
        "csrf_token": token, "agenda_item": "0", "text": "Outside"}).status_code == 404
    assert client.post(f"/meetings/{wgtim}/decisions/{decision}/remove",
                       data={"csrf_token": token}).status_code == 404
    with app.app_context():
        assert db.session.get(Decision, decision).text == "The meeting noted the country reports."
    assert _decision_changes(app) == []


def test_decisions_are_locked_with_the_adopted_minutes(app, client, cast, wgtim):
    decision = _decision(app, cast, wgtim)
    with app.app_context():
        chair, m = user(cast["chair"]), meeting_of(wgtim)
        services.save_minutes(chair, m, "Minutes.", services.minutes_of(m).version)
        services.circulate_minutes(chair, m)
        services.adopt_minutes(chair, m)
        db.session.commit()
    sign_in(app, client, cast["chair"])
    page = client.get(url(wgtim)).get_data(as_text=True)
    assert "Correct or remove this decision" not in page and "Record decision" not in page
    assert "can no longer change" in page
    token = hidden(page, "csrf_token")
    for path, data in ((f"/meetings/{wgtim}/decisions/{decision}", {"agenda_item": "0", "text": "Changed"}),
                       (f"/meetings/{wgtim}/decisions/{decision}/remove", {}),
                       (f"/meetings/{wgtim}/decisions", {"agenda_item": "0", "text": "Added late"})):
        r = client.post(path, data={"csrf_token": token, **data})
        assert r.status_code == 400 and "can no longer" in r.get_data(as_text=True), path
    with app.app_context():
        assert [d.text for d in db.session.execute(select(Decision)).scalars()] == [
            "The meeting noted the country reports."]
