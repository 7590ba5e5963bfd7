"""Prometheus metrics at /metrics, for a scraper holding the AOCP_METRICS_TOKEN bearer token.

Requests are counted by method, endpoint (the Flask endpoint name, so the label set stays small
whatever paths people try) and status, with a latency histogram by endpoint. The email queue and
the documents are counted from the database when scraped.

Under gunicorn each worker has its own memory: set PROMETHEUS_MULTIPROC_DIR to an empty directory
(before the workers start) and prometheus_client writes every worker's values to files there, which
a scrape of any worker adds up; config/gunicorn.conf.py empties it at start and marks exited workers.
Without it the values live in this process.
"""
from __future__ import annotations

import hmac
import os

from flask import Blueprint, Flask, Response, abort, current_app, request
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func, select

from aocp import logs
from aocp.documents.models import Document, DocumentVersion
from aocp.extensions import db, limiter
from aocp.notifications.models import QueuedEmail
from aocp.policy import public

METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

# Not registered anywhere: each scrape builds its registry (in-process, or from the multiprocess files).
REQUESTS = Counter("aocp_http_requests", "HTTP requests answered", ["method", "endpoint", "status"],
                   registry=None)
LATENCY = Histogram("aocp_http_request_duration_seconds", "Time to answer an HTTP request", ["endpoint"],
                    registry=None)

bp = Blueprint("metrics", __name__)


class DatabaseCollector:
    """Gauges read from the database at scrape time: the email queue and the documents."""

    def collect(self):
        queued = dict(db.session.execute(select(QueuedEmail.status, func.count()).where(
            QueuedEmail.status.in_(("queued", "failed"))).group_by(QueuedEmail.status)).all())
        queue = GaugeMetricFamily("aocp_email_queue", "Notification emails waiting (pending) or given up (failed)",
                                  labels=["state"])
        queue.add_metric(["pending"], queued.get("queued", 0))
        queue.add_metric(["failed"], queued.get("failed", 0))
        yield queue

        trashed = Document.deleted_at.is_not(None)
        counts = dict(db.session.execute(select(trashed, func.count()).group_by(trashed)).all())
        documents = GaugeMetricFamily("aocp_documents", "Documents, in the trash or not", labels=["state"])
        documents.add_metric(["active"], counts.get(False, 0))
        documents.add_metric(["trashed"], counts.get(True, 0))
        yield documents
        stored = db.session.scalar(select(func.coalesce(func.sum(DocumentVersion.size), 0)))
        yield GaugeMetricFamily("aocp_document_bytes", "Bytes of every stored document version", value=stored)


def exposition() -> bytes:
    """The metrics in Prometheus' text format."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(REQUESTS)
        registry.register(LATENCY)
    registry.register(DatabaseCollector())
    return generate_latest(registry)


@bp.get("/metrics")
@public  # a scraper cannot sign in: the bearer token is the key
@limiter.exempt
def metrics():
    expected = current_app.config["METRICS_TOKEN"]
    if not expected:
        abort(404)
    scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not sent:
        return Response(status=401, headers={"WWW-Authenticate": "Bearer"})
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        return Response(status=403)
    return Response(exposition(), content_type=CONTENT_TYPE_PLAIN_0_0_4)


def init_app(app: Flask) -> None:
    """Serve /metrics and count every request."""
    app.register_blueprint(bp)

    @app.after_request
    def observe(response: Response) -> Response:
        endpoint = request.endpoint or "unmatched"
        method = request.method if request.method in METHODS else "other"
        REQUESTS.labels(method, endpoint, str(response.status_code)).inc()
        LATENCY.labels(endpoint).observe(logs.elapsed())
        return response
