"""A page of rows from a statement that selects several columns (db.paginate keeps only the first), with the
attributes the `pager` macro reads."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from aocp.extensions import db

PER_PAGE = 25


@dataclass
class RowPage:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))


def rows_page(stmt, page: int, per_page: int = PER_PAGE) -> RowPage:
    """Two statements whatever the data: the count, then the rows of page `page` (past the end: none)."""
    total = count(stmt)
    items = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return RowPage(items, page, per_page, total)
