"""Browsing documents: filters, sorting, pages, the capacity-building repository, and odd arguments that
must never fail."""
from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import event

from aocp.documents.models import Document
from aocp.extensions import db
from tests.documents.conftest import page_text


def titles(page: str) -> list[str]:
    return re.findall(r'<h2 class="doc-title"><a href="/documents/\d+">([^<]+)</a></h2>', page)


@pytest.fixture
def shelf(app, people, make_doc):
    """Five documents that differ in every filterable way, all open to ASEAN."""
    made = {
        "Tin workplan": make_doc(people["uploader"], title="Tin workplan", doc_type="meeting_paper", in_body="WGTIM",
                                 action_line="TI1.1", tags=["tin", "workplan"]),
        "Thai country report": make_doc(people["focal"], title="Thai country report", doc_type="country_report",
                                        tags=["tin"]),
        # Filed by ASEC for Malaysia in WGSMD, a body the Malaysian uploader is not in.
        "ESG study": make_doc(people["staff"], title="ESG study", org="MYS", doc_type="study", in_body="WGSMD",
                              action_line="MD2.3", tags=["esg"]),
        "Mine safety course": make_doc(people["staff"], title="Mine safety course", doc_type="capacity_building",
                                       in_body="WGCBM", action_line="IH1.3", tags=["training"]),
        "Report template": make_doc(people["staff"], title="Report template", doc_type="template", level="everyone"),
    }
    updated = {"Tin workplan": datetime(2026, 1, 10, 9), "Thai country report": datetime(2026, 2, 20, 9),
               "ESG study": datetime(2026, 3, 5, 9), "Mine safety course": datetime(2026, 3, 31, 23, 59),
               "Report template": datetime(2026, 4, 1, 0, 1)}
    with app.app_context():
        for title, doc_id in made.items():
            doc = db.session.get(Document, doc_id)
            doc.updated_at = doc.created_at = updated[title]
        db.session.commit()
    return made


FILTERS = [
    ("type=study", ["ESG study"]),
    ("type=capacity_building", ["Mine safety course"]),
    ("org=THA", ["Thai country report"]),
    ("org=asec", ["Report template", "Mine safety course"]),
    ("tag=tin", ["Thai country report", "Tin workplan"]),
    ("tag=TIN", ["Thai country report", "Tin workplan"]),
    ("body=WGTIM", ["Tin workplan"]),
    ("body=wgsmd", ["ESG study"]),
    ("action_line=ih1.3", ["Mine safety course"]),
    ("access=everyone", ["Report template"]),
    ("since=2026-03-01", ["Report template", "Mine safety course", "ESG study"]),
    ("until=2026-03-31", ["Mine safety course", "ESG study", "Thai country report", "Tin workplan"]),
    ("since=2026-02-01&until=2026-03-05", ["ESG study", "Thai country report"]),
    ("tag=tin&org=MYS", ["Tin workplan"]),
    ("tag=tin&type=study", []),
    ("org=XYZ", []),
    ("q=report&type=template", ["Report template"]),
]


def test_filters_by_type_organisation_tag_body_action_line_access_and_date_narrow_the_list(people, as_user, shelf):
    client = as_user(people["member"])
    for query, expected in FILTERS:
        page = page_text(client.get(f"/documents/?{query}"))
        assert titles(page) == expected, query
        assert "The filter was ignored." not in page, query


def test_the_list_is_newest_first_and_sorts_by_title_or_sharing_date(people, as_user, shelf):
    client = as_user(people["member"])
    assert titles(page_text(client.get("/documents/"))) == [
        "Report template", "Mine safety course", "ESG study", "Thai country report", "Tin workplan"]
    assert titles(page_text(client.get("/documents/?sort=title"))) == sorted(shelf)
    assert titles(page_text(client.get("/documents/?sort=created"))) == titles(page_text(client.get("/documents/")))


def test_each_listed_document_shows_its_own_tags(people, as_user, shelf):
    page = page_text(as_user(people["member"]).get("/documents/?sort=title"))
    shown = dict(re.findall(r'<h2 class="doc-title"><a href="/documents/\d+">([^<]+)</a></h2>.*?<p class="doc-meta">'
                            r'(.*?)</p>', page, re.S))
    tags = {title: re.findall(r'href="/documents/\?tag=([^"]+)">#', meta) for title, meta in shown.items()}
    assert tags == {"ESG study": ["esg"], "Mine safety course": ["training"], "Report template": [],
                    "Thai country report": ["tin"], "Tin workplan": ["tin", "workplan"]}


def test_the_filter_form_keeps_the_chosen_values(people, as_user, shelf):
    page = page_text(as_user(people["member"]).get("/documents/?type=study&org=MYS&tag=esg&since=2026-03-01"))
    assert '<option value="study" selected>' in page and '<option value="MYS" selected>' in page
    assert 'name="tag" value="esg"' in page and 'value="2026-03-01"' in page


BAD_FILTERS = [
    ("type=novel", "Unknown document type."),
    ("access=world", "Unknown access level."),
    ("sort=size", "Sort by updated, created, title or (when searching) relevance."),
    ("sort=relevance", "Sort by updated, created, title or (when searching) relevance."),
    ("since=2026-13-45", "Dates are written YYYY-MM-DD."),
    ("until=yesterday", "Dates are written YYYY-MM-DD."),
]


def test_a_filter_value_that_cannot_be_meant_is_ignored_with_a_message(people, as_user, shelf):
    client = as_user(people["member"])
    for query, message in BAD_FILTERS:
        r = client.get(f"/documents/?{query}")
        assert r.status_code == 200, query
        page = page_text(r)
        assert f"{message} The filter was ignored." in page, query
        assert len(titles(page)) == 5, query


ODD_ARGUMENTS = [
    "page=-1", "page=0", "page=abc", "page=%C2%B2", "page=99999", "page=" + "9" * 30, "since=0001-01-01",
    "until=9999-12-31", "since=9999-12-31", "org=%3Cscript%3E", "body=" + "X" * 500, "tag=" + "t" * 500,
    "action_line=%27%3B--", "q=" + "a" * 1000, "q=%22%22%22", "q=%E2%80%AE", "type=&org=&sort=",
    "type=study&type=template", "access=named",
]


def test_odd_but_harmless_arguments_never_fail(people, as_user, shelf):
    client = as_user(people["member"])
    for query in ODD_ARGUMENTS:
        r = client.get(f"/documents/?{query}")
        assert r.status_code in (200, 404), query  # a page number past any real list is "not found"
        assert "<script>" not in page_text(r), query


def test_a_nul_character_in_a_filter_is_a_bad_request_not_a_crash(people, as_user, shelf):
    r = as_user(people["member"]).get("/documents/?tag=a%00b")
    assert r.status_code == 400
    r.close()


def test_pages_of_twenty_with_links_between_them(people, as_user, make_doc):
    for i in range(23):
        make_doc(people["uploader"], title=f"Paper {i:02d}")
    client = as_user(people["member"])
    first = page_text(client.get("/documents/?sort=title&tag="))
    assert titles(first) == [f"Paper {i:02d}" for i in range(20)]
    assert "Page 1 of 2 (23 in all)" in first
    assert 'href="/documents/?page=2&amp;sort=title" rel="next"' in first
    second = page_text(client.get("/documents/?page=2&sort=title"))
    assert titles(second) == ["Paper 20", "Paper 21", "Paper 22"]
    assert 'href="/documents/?page=1&amp;sort=title" rel="prev"' in second
    beyond = client.get("/documents/?page=7&sort=title")
    assert beyond.status_code == 200 and titles(page_text(beyond)) == []


def test_the_capacity_building_repository_shows_only_capacity_building_material(people, as_user, shelf):
    client = as_user(people["observer"])
    page = page_text(client.get("/documents/capacity-building"))
    assert titles(page) == []  # the course is shared with ASEAN only
    page = page_text(as_user(people["member"]).get("/documents/capacity-building?type=study"))
    assert titles(page) == ["Mine safety course"]
    assert page_text(as_user(people["member"]).get("/documents/capacity-building?q=safety")).count("Mine safety") >= 1


def test_a_list_page_costs_the_same_number_of_queries_however_many_documents_it_shows(app, people, as_user, make_doc):
    client = as_user(people["member"])
    with app.app_context():
        engine = db.engine
    statements = []

    def count_queries(url: str) -> int:
        statements.clear()
        listener = lambda *args: statements.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            r = client.get(url)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        assert r.status_code == 200
        r.close()
        return len(statements)

    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            make_doc(people["uploader"] if i % 2 else people["staff"], title=f"Tin paper {i}", tags=["tin", f"t{i}"],
                     level="named", orgs=["IDN"], in_body="WGTIM", data=b"Tin output.")

    add(2, 0)
    few = [count_queries(u) for u in ("/documents/", "/documents/?q=tin", "/documents/capacity-building")]
    add(12, 2)
    many = [count_queries(u) for u in ("/documents/", "/documents/?q=tin", "/documents/capacity-building")]
    assert few == many
