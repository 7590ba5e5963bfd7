"""One search for the whole site: the box in the header of every page and its results page, grouped by kind.

groups.py finds each kind (documents, meetings, action lines, and for ASEC people and organisations), each through
the same access rule as that kind's own list; pages.py is the results page.
"""
from flask import Blueprint

bp = Blueprint("search", __name__)

from aocp.search import pages  # noqa: E402,F401
