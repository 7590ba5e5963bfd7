"""A page of rows from a statement that selects several columns (db.paginate keeps only the first)."""
from __future__ import annotations

from sqlalchemy import func, select

from aocp.extensions import db
from aocp.http import RowPage

PER_PAGE = 25


def count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))


def rows_page(stmt, page: int, per_page: int = PER_PAGE) -> RowPage:
    """Two statements whatever the data: the count, then the rows of page `page` (past the end: none)."""
    total = count(stmt)
    items = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return RowPage(items, page, per_page, total)
