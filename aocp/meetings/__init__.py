"""Body workspaces and their meetings.

The pages: views.py (workspaces, scheduling and the meeting page), participants.py (replies, invitations,
attendance), agenda.py, paper_search.py and person_search.py (naming a paper or a person by typing), action_items.py,
minutes.py (minutes and decisions), calendar.py (.ics files and private feeds), calendar_pages.py (the month
and list views), upcoming.py (meetings ahead, with readiness) and export.py (the meeting record
as PDF or DOCX). A body or meeting the viewer may not see answers 404 on every route (its existence is not
revealed); one they may see but not change answers 403 (`loading`, shared with the API). The `meetings` commands
are in cli.py.
"""
from flask import Blueprint

bp = Blueprint("meetings", __name__)

from aocp.meetings import (  # noqa: E402,F401
                           action_items,
                           agenda,
                           calendar,
                           calendar_pages,
                           export,
                           guest_pages,
                           meeting_pages,
                           minutes,
                           paper_search,
                           papers_pack,
                           participants,
                           person_search,
                           readiness_pages,
                           upcoming,
                           views,
)
