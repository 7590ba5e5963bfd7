"""The ASEC administration console: people, invitations, organisations, bodies, audit log."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from aocp.admin import audit_views, people, structure  # noqa: E402,F401  (routes register on bp)
