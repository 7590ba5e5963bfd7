"""Body workspaces and their meetings. Pages live in views.py (workspaces, meetings, agenda, participants,
action items), minutes.py (minutes and decisions) and calendar.py (.ics files and private feeds)."""
from flask import Blueprint

bp = Blueprint("meetings", __name__)


def register_views() -> None:
    """Import the view modules so their routes attach to `bp` (called once by the app factory)."""
    import importlib

    for name in ("views", "minutes", "calendar"):
        try:
            importlib.import_module(f"aocp.meetings.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"aocp.meetings.{name}":
                raise
