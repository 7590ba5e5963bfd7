"""The JSON API under /api/v1: bearer personal access tokens, the same services and policy as the pages."""
from flask import Blueprint, current_app, request

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.before_request
def limit_body_size():
    """JSON bodies are small: refuse a larger one with 413 before reading it into memory."""
    request.max_content_length = current_app.config["API_MAX_CONTENT_LENGTH"]


# Importing the modules registers their routes on bp (openapi_meetings adds to the OpenAPI document).
from aocp.api import (  # noqa: E402,F401
    accounts,
    document_access,
    document_versions,
    documents,
    meeting_agenda,
    meeting_guests,
    meeting_records,
    meetings,
    my_work,
    openapi,
    openapi_guests,
    openapi_meetings,
    openapi_plans,
    plan_reports,
    plans,
    workspaces,
)
