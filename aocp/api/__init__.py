"""The JSON API under /api/v1: bearer personal access tokens, the same services and policy as the pages."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from aocp.api import accounts, openapi  # noqa: E402,F401  (routes register on bp)
