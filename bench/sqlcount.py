"""Counting the SQL statements (and the time) one request costs."""
from __future__ import annotations

import statistics
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

from sqlalchemy import event
from sqlalchemy.engine import Engine


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """Collect the text of every statement `engine` sends while the block runs (an executemany counts once)."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


@dataclass
class Measured:
    """One request: the statements it ran and how long it took (milliseconds, median of the timed runs)."""
    status: int
    statements: list[str]
    ms: float
    timings: list[float] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)


def measure(engine: Engine, client, path: str, headers: dict | None = None, repeat: int = 3) -> Measured:
    """Request `path` once to warm up, once counting statements, then `repeat` times for the timing."""
    client.get(path, headers=headers).close()  # warm caches and let periodic writes (session touch) happen now
    with statements(engine) as seen:
        response = client.get(path, headers=headers)
        status = response.status_code
        response.close()
    timings = []
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        client.get(path, headers=headers).close()
        timings.append((time.perf_counter() - start) * 1000)
    return Measured(status, seen, statistics.median(timings), timings)
