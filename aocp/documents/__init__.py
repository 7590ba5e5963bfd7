"""Documents: sharing, finding and reading documents, their versions and who may see them.

The pages: browse.py (browse and search), sharing.py (upload, edit the details, change who may see it),
document_pages.py (a document's page, who may see it, comments), version_pages.py (new versions, downloads,
previews), trash_pages.py (the trash) and labels.py (their template filters). A document the viewer may not open
answers 404 on every route (its existence is not revealed); one they may open but not change answers 403
(`loading.load_document`, shared with the API).
"""
from flask import Blueprint

bp = Blueprint("documents", __name__, url_prefix="/documents")

from aocp.documents import browse, document_pages, labels, sharing, trash_pages, version_pages  # noqa: E402,F401
