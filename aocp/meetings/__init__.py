"""Body workspaces and their meetings. Pages live in views.py (workspaces, meetings, participants), agenda.py,
action_items.py, minutes.py (minutes and decisions), calendar.py (.ics files and private feeds) and export.py (the
meeting record as PDF or DOCX)."""
from flask import Blueprint

bp = Blueprint("meetings", __name__)


def register_views() -> None:
    """Import the view modules so their routes attach to `bp` (called once by the app factory)."""
    import importlib

    for name in ("views", "person_search", "paper_search", "agenda", "action_items", "minutes", "calendar", "export"):
        try:
            importlib.import_module(f"aocp.meetings.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"aocp.meetings.{name}":
                raise
