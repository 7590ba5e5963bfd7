"""Searching documents from the documents page: titles, descriptions, tags and the text inside files,
snippets that are escaped text with only <mark> as markup, and only what the searcher may open."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select, text

from aocp.documents import search
from aocp.documents.models import Document
from aocp.extensions import db
from bench.sqlcount import statements
from tests.conftest import post_form
from tests.documents.conftest import make_docx, make_pdf, make_xlsx, page_text, share, shared_id
from tests.documents.test_versions import add_version


def result_titles(page: str) -> list[str]:
    return re.findall(r'<h2 class="doc-title"><a href="/documents/\d+">([^<]+)</a></h2>', page)


def snippets(page: str) -> list[str]:
    return re.findall(r'<p class="snippet">(.*?)</p>', page, re.S)


@pytest.mark.parametrize("filename, data, word", [
    ("study.pdf", make_pdf("Rare earth processing in Vietnam yttrium deposits"), "yttrium"),
    ("study.docx", make_docx("Geological survey of the tungsten belt"), "tungsten"),
    ("study.xlsx", make_xlsx("Cobaltite output 2025"), "Cobaltite"),
    ("study.txt", "Bauxite exports grew. ข้อมูลแร่บ็อกไซต์".encode(), "bauxite"),
    ("study.csv", b"mineral,tonnes\nmolybdenite,120\n", "molybdenite"),
], ids=["pdf", "docx", "xlsx", "txt", "csv"])  # an Office file's bytes carry the time it was made
def test_words_inside_uploaded_files_are_found(people, as_user, filename, data, word):
    client = as_user(people["uploader"])
    shared_id(share(client, (data, filename), title="Untitled study"))
    page = page_text(client.get("/documents/", query_string={"q": word}))
    assert result_titles(page) == ["Untitled study"]
    assert f"<mark>{word.lower()}</mark>" in page.lower()
    assert result_titles(page_text(client.get("/documents/?q=zirconium"))) == []


def test_thai_words_inside_a_file_are_found_by_part_of_a_word(people, as_user):
    client = as_user(people["uploader"])
    shared_id(share(client, ("รายงานการทำเหมืองแร่ดีบุกในภาคใต้".encode(), "tin.txt"), title="Tin mining"))
    assert result_titles(page_text(client.get("/documents/?q=ดีบุก"))) == ["Tin mining"]


@pytest.mark.parametrize("query", ["lithium", "batteries", "critical-minerals"])
def test_titles_descriptions_and_tags_are_searched(people, as_user, make_doc, query):
    make_doc(people["uploader"], title="Lithium supply chains", description="Notes on batteries and refining",
             tags=["critical-minerals"])
    make_doc(people["uploader"], title="Unrelated paper", description="Gold and silver")
    page = page_text(as_user(people["member"]).get("/documents/", query_string={"q": query}))
    assert result_titles(page) == ["Lithium supply chains"]


def test_a_title_match_ranks_before_a_body_match_and_every_word_must_match(people, as_user, make_doc):
    make_doc(people["uploader"], title="General notes", data=b"Some remarks on nickel laterite ores.")
    make_doc(people["uploader"], title="Nickel laterite roadmap", data=b"Roadmap text.")
    client = as_user(people["member"])
    assert set(result_titles(page_text(client.get("/documents/?q=nickel+laterite")))) == {
        "General notes", "Nickel laterite roadmap"}
    assert result_titles(page_text(client.get("/documents/?q=nickel+roadmap"))) == ["Nickel laterite roadmap"]


def test_snippets_show_a_scripts_text_escaped_and_only_mark_as_markup(people, as_user):
    client = as_user(people["uploader"])
    text = b'Findings: <script>alert("x")</script> <b>bold</b> & copper smelting <img src=x onerror=alert(1)>'
    shared_id(share(client, (text, "findings.txt"), title="Findings"))
    page = page_text(client.get("/documents/?q=copper"))
    [snippet] = snippets(page)
    assert "<mark>copper</mark>" in snippet and "&amp;" in snippet
    # The tags show as text (SQLite) or are left out of the extract (PostgreSQL's ts_headline drops them).
    assert "&lt;script&gt;" in snippet or "script" not in snippet
    assert re.sub(r"</?mark>", "", snippet).count("<") == 0  # no tag but <mark> in the snippet
    assert "<script>alert" not in page and "<img src=x" not in page


def test_a_description_with_markup_is_shown_escaped_in_the_list(people, as_user, make_doc):
    make_doc(people["uploader"], title="Escaped", description="<script>alert(1)</script> tin")
    page = page_text(as_user(people["member"]).get("/documents/"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt; tin" in page and "<script>alert(1)" not in page


def test_search_words_with_operators_and_quotes_are_taken_literally(people, as_user, make_doc):
    make_doc(people["uploader"], title="Tin OR gold", data=b"tin and gold")
    client = as_user(people["member"])
    for q in ['"tin', "tin OR", "NEAR(tin", "tin*", "gold AND NOT tin", "title:tin", "%_%", "'; DROP TABLE x"]:
        r = client.get("/documents/", query_string={"q": q})
        assert r.status_code == 200, q
        r.close()


def test_a_word_too_short_to_search_gets_a_hint_instead_of_silence(app, people, as_user, make_doc):
    make_doc(people["uploader"], title="Ni report")
    page = page_text(as_user(people["member"]).get("/documents/?q=Ni"))
    with app.app_context():
        sqlite = db.engine.dialect.name == "sqlite"
    if sqlite:  # trigram matching needs three characters
        assert "Search words need at least three characters." in page and result_titles(page) == []
    else:
        assert "Search words need" not in page and result_titles(page) == ["Ni report"]


def test_search_results_hold_only_what_the_searcher_may_open(people, as_user, make_doc):
    make_doc(people["uploader"], title="Open manganese paper", level="everyone", data=b"manganese")
    make_doc(people["uploader"], title="WGTIM manganese paper", level="body", body="WGTIM", data=b"manganese")
    make_doc(people["uploader"], title="ASEAN manganese paper", level="asean", data=b"manganese")
    make_doc(people["uploader"], title="Named manganese paper", level="named", orgs=["PHL"], data=b"manganese")
    expected = {
        "member": {"Open manganese paper", "WGTIM manganese paper", "ASEAN manganese paper"},
        "outsider": {"Open manganese paper", "ASEAN manganese paper", "Named manganese paper"},
        "observer": {"Open manganese paper"},
        "staff": {"Open manganese paper", "WGTIM manganese paper", "ASEAN manganese paper", "Named manganese paper"},
    }
    for who, titles in expected.items():
        page = page_text(as_user(people[who]).get("/documents/?q=manganese"))
        assert set(result_titles(page)) == titles, who
        assert f"{len(titles)} in all" in page


def test_a_searchs_pages_count_every_match_in_the_statement_that_picks_the_page(app, people, as_user, make_doc):
    for n in range(23):
        make_doc(people["uploader"], title=f"Cassiterite note {n:02}", level="everyone", data=b"cassiterite")
    make_doc(people["staff"], title="Hidden cassiterite note", level="body", body="WGSMD", data=b"cassiterite")
    client = as_user(people["member"])
    with app.app_context():
        engine = db.engine
    with statements(engine) as seen:
        first = page_text(client.get("/documents/?q=cassiterite"))
    assert len(result_titles(first)) == 20 and "Page 1 of 2 (23 in all)" in first
    # One statement picks the page and counts the matches; none counts them again.
    picked = [s for s in seen if "document_search" in s and "snippet" not in s and "ts_headline" not in s]
    assert len(picked) == 1 and "count(*) OVER ()" in picked[0]
    second = page_text(client.get("/documents/?q=cassiterite&page=2"))
    assert len(result_titles(second)) == 3 and "Page 2 of 2 (23 in all)" in second
    past = page_text(client.get("/documents/?q=cassiterite&page=9"))  # no row to carry the count: counted apart
    assert result_titles(past) == [] and "23 in all" in past
    assert "0 in all" in page_text(client.get("/documents/?q=wolframite"))


def test_a_new_version_replaces_the_text_that_is_searched(people, as_user, make_doc):
    doc_id = make_doc(people["uploader"], title="Evolving", data=b"Draft about chromite.")
    client = as_user(people["uploader"])
    assert add_version(client, doc_id, b"Final about magnesite.", "final.txt").status_code == 302
    assert result_titles(page_text(client.get("/documents/?q=magnesite"))) == ["Evolving"]
    assert result_titles(page_text(client.get("/documents/?q=chromite"))) == []


def test_changed_details_are_searched_at_once(people, as_user, make_doc):
    doc_id = make_doc(people["uploader"], title="Old name")
    client = as_user(people["uploader"])
    r = post_form(client, f"/documents/{doc_id}/edit", {"title": "Graphite strategy", "doc_type": "study",
                                                         "language": "en", "org": "MYS", "tags": "anode"})
    assert r.status_code == 302
    assert result_titles(page_text(client.get("/documents/?q=graphite"))) == ["Graphite strategy"]
    assert result_titles(page_text(client.get("/documents/?q=anode"))) == ["Graphite strategy"]
    assert result_titles(page_text(client.get("/documents/?q=Old+name"))) == []


def test_postgresql_substring_matching_can_be_answered_by_the_trigram_index(app):
    """The search's substring expression is the trigram index's own (migration 0010), and it is costed so the
    planner prefers the index to matching every document's text."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL only: SQLite searches its FTS5 table")
        stmt = search.apply(select(Document.id), "nickel")
        compiled = stmt.compile(db.engine)
        conn = db.session.connection()
        # The table as a fresh database has it (rolled back below): rows other tests deleted would sway the plan.
        conn.execute(text("TRUNCATE document_search"))
        conn.execute(text("SET LOCAL enable_seqscan = off"))  # a few test rows: a scan would win anyway
        plan = "\n".join(conn.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params).scalars())
        cost = db.session.scalar(text("SELECT procost FROM pg_proc WHERE proname = 'document_search_text'"))
        db.session.rollback()
    assert "ix_document_search_trgm" in plan and "ix_document_search_tsv" in plan
    assert cost >= 1000
