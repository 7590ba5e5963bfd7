"""Serving stored files, after the caller has checked the policy.

Always as an attachment with the original name (RFC 6266 `filename*` for names in any script),
the checked content type, `nosniff` (set for every response) and a CSP that forbids the content
from running anything. Only PDFs may be shown inline, for preview, inside a sandboxing CSP.
Werkzeug streams the file in chunks and answers Range requests. In production the transfer can
be handed to the web server (X-Sendfile or nginx's X-Accel-Redirect).
Every download and preview is audited, and the entry committed, before the response leaves.
"""
from __future__ import annotations

import unicodedata
from urllib.parse import quote

from flask import Response, current_app, request, send_file
from werkzeug.exceptions import RequestedRangeNotSatisfiable

from aocp import audit
from aocp.documents.models import DocumentVersion
from aocp.documents.storage import storage
from aocp.extensions import db

ATTACHMENT_CSP = "default-src 'none'; sandbox"
PREVIEW_CSP = "default-src 'none'; object-src 'self'; style-src 'unsafe-inline'; sandbox"


def previewable(version: DocumentVersion) -> bool:
    return version.content_type == "application/pdf"


def disposition(name: str, inline: bool = False) -> str:
    """RFC 6266: an ASCII fallback (never an empty name) and the exact name as UTF-8 `filename*`."""
    stem, dot, ext = name.rpartition(".")
    ascii_stem = unicodedata.normalize("NFKD", stem if dot else name).encode("ascii", "ignore").decode()
    ascii_stem = "".join(c for c in ascii_stem if c.isalnum() or c in " -_.()").strip() or "document"
    ascii_ext = "".join(c for c in ext if c.isascii() and c.isalnum()) if dot else ""
    fallback = ascii_stem + (f".{ascii_ext}" if ascii_ext else "")
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def send(version: DocumentVersion, actor, via: str, inline: bool = False) -> Response:
    """Deliver `version` to `actor` and commit its `document.downloaded` entry first ("page", "api", "preview").

    Like `services.committing()`, it owns its commit: the entry must be stored before the bytes go out,
    whoever then sends them (the app or the web server). The entry is the request's last write, so the
    chain's head stays locked for one INSERT and one UPDATE only.
    """
    response = deliver(version, inline)
    if _starts_a_transfer(response):
        try:
            audit.record("document.downloaded", actor, ("document", version.document_id),
                         {"version": version.number, "via": via})
            db.session.commit()
        except Exception:
            response.close()  # the file send_file opened
            raise
    return response


def _starts_a_transfer(response: Response) -> bool:
    # A resumed download or a viewer fetching a PDF in pieces asks for later ranges: one entry per transfer.
    if response.status_code == 200:
        return True
    byte_range = request.range
    return response.status_code == 206 and byte_range is not None and byte_range.ranges[0][0] == 0


def deliver(version: DocumentVersion, inline: bool = False) -> Response:
    """The response that sends `version`'s bytes (inline only for a PDF preview)."""
    inline = inline and previewable(version)
    path = storage().path(version.storage_key)
    offload = current_app.config.get("DOWNLOAD_OFFLOAD", "")
    try:
        response = send_file(path, mimetype=version.content_type, as_attachment=not inline,
                             download_name=version.original_name, conditional=True, etag=version.sha256, max_age=0,
                             last_modified=version.created_at)
    except RequestedRangeNotSatisfiable:
        # RFC 9110: tell the client the file's length so it can ask again (the error page would drop it).
        return Response(status=416, headers={"Content-Range": f"bytes */{version.size}"})
    if offload.startswith("x-accel:"):
        # nginx serves the bytes from an `internal` location mapped onto the upload directory.
        prefix = offload.split(":", 1)[1].rstrip("/")
        relative = path.relative_to(storage().root.parent)
        _hand_over(response, "X-Accel-Redirect", f"{prefix}/{quote(str(relative))}")
    elif offload == "x-sendfile":
        _hand_over(response, "X-Sendfile", str(path))
    response.headers["Content-Disposition"] = disposition(version.original_name, inline)
    response.headers["Content-Security-Policy"] = PREVIEW_CSP if inline else ATTACHMENT_CSP
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _hand_over(response: Response, header: str, value: str) -> None:
    """Let the web server send the bytes: close the file send_file opened and send an empty body."""
    response.close()
    response.headers[header] = value
    response.direct_passthrough = False
    response.set_data(b"")
