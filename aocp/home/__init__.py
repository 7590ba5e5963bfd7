"""My AOCP: the signed-in person's home page, one panel per kind of work that is theirs to do.

Each panel module offers functions `(user, today) -> Panel | None`; `panels.panels_for` lists them in the order
the page shows them. A panel reads a bounded number of rows with a bounded number of statements, so the page
costs the same whatever the data size; its full list is a paginated page of its own (`Panel.more_url`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

ROWS = 5  # the most urgent rows a panel shows; its full list has the rest


@dataclass
class Panel:
    """One panel: `count` rows in all, the first few in `rows`, drawn by the partial `template`."""
    name: str
    title: str
    template: str
    count: int
    rows: list = field(default_factory=list)
    more_url: str | None = None
    more_label: str = "See all"
    empty: str = "Nothing here."  # the one line an empty panel leaves in the "nothing waiting" list
    wide: bool = False
    more_than: bool = False  # `count` is a floor: the panel stopped counting there ("100+")
