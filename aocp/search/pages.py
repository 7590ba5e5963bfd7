"""The results page: /search?q=words, every kind at once (a few of each with a link to all of them), or one kind
a page at a time (?kind=meetings). An empty or too long query, or an unknown kind, is said so on the page."""
from __future__ import annotations

from flask import flash, render_template, request
from flask_login import current_user

from aocp.meetings.views import page_arg
from aocp.policy import can, guard
from aocp.search import bp, groups

FIRST = 5  # results of each kind on the grouped page
PER_PAGE = 25


class KindPage:
    """One kind's results as a page, for the pager macro."""

    def __init__(self, group: groups.Group, page: int):
        self.group, self.page, self.per_page, self.total = group, page, PER_PAGE, group.total

    pages = property(lambda self: max(1, -(-self.total // self.per_page)))
    has_prev = property(lambda self: self.page > 1)
    has_next = property(lambda self: self.page < self.pages)
    prev_num = property(lambda self: self.page - 1)
    next_num = property(lambda self: self.page + 1)


def _query() -> tuple[str, str]:
    """The query, and what is wrong with it ('' when it can be searched)."""
    q = " ".join(request.args.get("q", "").split())
    if not q:
        return "", "Type what you are looking for: a word of a document, a body and meeting number (22 WGTIM), " \
                   "a venue or an action line's code (ES1.1)."
    if len(q) > groups.MAX_QUERY:
        return q[:groups.MAX_QUERY], f"Search for at most {groups.MAX_QUERY} characters; shorten your search."
    return q, ""


def _kind(user) -> str:
    kind = request.args.get("kind", "")
    if not kind or (kind in groups.PAGED and (kind != "organisations" or can(user, "users.view"))):
        return kind
    flash("There is no such kind of result; all kinds are shown.", "error")
    return ""


@bp.get("/search")
@guard("search.use")
def results():
    q, problem = _query()
    kind = _kind(current_user)
    if problem:
        return render_template("search/results.html", q=q, problem=problem, found=[], kind_page=None)
    if kind:
        page = page_arg()
        group = groups.one_kind(current_user, kind, q, PER_PAGE, (page - 1) * PER_PAGE)
        return render_template("search/results.html", q=q, problem="", found=[group],
                               kind_page=KindPage(group, page), kind=kind)
    found = groups.all_groups(current_user, q, FIRST)
    return render_template("search/results.html", q=q, problem="", found=found, kind_page=None,
                           total=sum(g.total for g in found))
