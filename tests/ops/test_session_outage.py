"""The database going away after a page was built, while its session is saved: a 503 to retry, never a 500."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy.exc import OperationalError

from aocp import sessions
from aocp.extensions import db
from tests.conftest import login


class SavingFails:
    """The engine as the session interface sees it when writing a session back: it fails as a dropped connection
    does. (The session is read through the request's database session, which keeps working.)"""

    @contextmanager
    def begin(self):
        raise OperationalError("UPDATE user_sessions", {}, Exception("server closed the connection unexpectedly"))
        yield  # pragma: no cover


def test_a_session_that_cannot_be_saved_gives_a_503_not_a_500(app, client, make_user, monkeypatch):
    make_user("delegate", "MYS", "saver@example.org")
    assert login(client, "saver@example.org").status_code == 302
    assert client.get("/documents/").status_code == 200
    monkeypatch.setattr(sessions, "db", type("Db", (), {"engine": SavingFails(), "session": db.session}))
    monkeypatch.setattr(sessions, "TOUCH_EVERY", timedelta(0))  # every request writes its session back
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # as in production: errors become pages
    r = client.get("/documents/")
    assert r.status_code == 503, r.status_code
    assert "unavailable" in r.get_data(as_text=True).lower()
