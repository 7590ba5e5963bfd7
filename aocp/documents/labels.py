"""The template filters of the document pages: file sizes, access levels, what an activity entry says."""
from __future__ import annotations

import json

from aocp import audit
from aocp.documents import access, bp
from aocp.documents.models import Document

ACTIVITY_LABELS = {
    "document.uploaded": "shared the document", "document.version_added": "uploaded a new version",
    "document.version_restored": "restored an older version", "document.updated": "changed the details",
    "document.access_changed": "changed who may see it", "document.commented": "commented",
    "document.trashed": "moved it to the trash", "document.restored": "restored it from the trash",
}
DOWNLOAD_LABELS = {"page": "downloaded version {}", "api": "downloaded version {} through the API",
                   "preview": "previewed version {}"}


@bp.app_template_filter("filesize")
def filesize(n: int | None) -> str:
    size = float(n or 0)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{int(size)} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return ""


@bp.app_template_filter("access_label")
def access_label(level: str, doc: Document | None = None) -> str:
    return access.describe_level(doc) if doc is not None else level


@bp.app_template_filter("activity_label")
def activity_label(action: str) -> str:
    return ACTIVITY_LABELS.get(action, action)


@bp.app_template_filter("activity_text")
def activity_text(entry: audit.AuditEntry) -> str:
    """What an activity entry says happened; a download names its version and how it was fetched."""
    if entry.action != "document.downloaded":
        return activity_label(entry.action)
    details = json.loads(entry.details)
    return DOWNLOAD_LABELS.get(details.get("via"), "downloaded version {}").format(details.get("version", "?"))

