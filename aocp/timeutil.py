"""UTC time helpers: the database stores naive UTC datetimes on every backend."""
from datetime import datetime, timezone


def utcnow() -> datetime:
    """Current UTC time as a naive datetime (what SQLite and PostgreSQL columns hold)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)
