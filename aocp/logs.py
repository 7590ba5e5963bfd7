"""Logs: one line per event on stderr, as JSON objects or as text, each tagged with its request.

Every request gets an id: the caller's `X-Request-ID` when it is sane, else a new one. It is echoed
in the response header, stamped on every log record made while the request runs (by a record
factory, so AOCP's, Flask's, werkzeug's and gunicorn's records all carry it) and shown on the error
page for people to quote. One access line per request gives method, path, status and duration.
Secrets never reach the log: URL parts and query values named like tokens are replaced. Nor does a forged
line: control characters in any value (a path with `%0a`…) are written as escapes, so one record is one line.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import datetime, timezone
from typing import IO

from flask import Flask, Response, g, has_request_context, request
from flask.logging import default_handler
from sqlalchemy import inspect as sa_inspect

access_log = logging.getLogger("aocp.access")

FORMATS = ("json", "text")
REQUEST_ID = re.compile(r"[\x21-\x7e]{1,128}")  # printable ASCII without spaces, as proxies send it
# `token`, `access_token`, `api_key`… but not `token_id`.
SECRET_NAME = re.compile(r"(^|_)(token|secret|password|passwd|signature|key)$", re.IGNORECASE)
REDACTED = "[redacted]"
# The attributes every LogRecord has; anything else on a record came from `extra=` and is logged as a field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}
_INSTALLED = "_aocp_handler"
# What would end a line or disguise one in a terminal: C0 and C1 controls, DEL, the Unicode line and paragraph
# separators, bidirectional marks and overrides.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def escape(value: object) -> str:
    """`value` as text on one line: each control character written as its escape (`\\n`, `\\x1b`, `\\u2028`)."""
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode(), str(value))


def request_id() -> str | None:
    """The current request's id (made on first use), or None outside a request."""
    if not has_request_context():
        return None
    if "request_id" not in g:
        sent = request.headers.get("X-Request-ID", "")
        g.request_id = sent if REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex
    return g.request_id


def _user_id() -> int | None:
    # Only a person already loaded for this request (page or API): logging must never run a query.
    for user in (g.get("api_user"), g.get("_login_user")):
        state = sa_inspect(user, raiseerr=False) if user is not None else None
        if state is not None and state.identity:
            return state.identity[0]
    return None


def safe_path() -> str:
    """The request's path and query string with secret parts (a calendar feed's token…) replaced."""
    path = request.path
    for name, value in (request.view_args or {}).items():
        if SECRET_NAME.search(name) and str(value) in path:
            head, _, tail = path.rpartition(str(value))  # secrets are the last variable part of their routes
            path = head + REDACTED + tail
    if request.args:
        pairs = [f"{k}={REDACTED if SECRET_NAME.search(k) else v}" for k, v in request.args.items(multi=True)]
        path += "?" + "&".join(pairs)
    return path


def _with_context(factory):
    def make(*args, **kwargs) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        if has_request_context():
            record.request_id = request_id()
            record.user_id = _user_id()
        return record
    make.aocp_context = True
    return make


def _fields(record: logging.LogRecord) -> dict:
    """What the record carries beyond the standard attributes: request context and `extra=` values."""
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_") and v is not None}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC), level, logger, message, request fields, extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_fields(record))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # json.dumps escapes C0 controls only; the rest can only occur inside strings, where \uXXXX is valid.
        return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(entry, ensure_ascii=False, default=str))


class TextFormatter(logging.Formatter):
    """`time LEVEL logger [request id] message key=value…` (times in UTC) for reading in a terminal."""

    converter = time.gmtime

    def format(self, record: logging.LogRecord) -> str:
        fields = _fields(record)
        line = escape(f"{record.levelname} {record.name} [{fields.pop('request_id', '-')}] {record.getMessage()}")
        line = f"{self.formatTime(record)} {line}" + "".join(f" {escape(k)}={escape(v)}" for k, v in fields.items())
        if record.exc_info:  # a traceback's lines are indented: only a record's first line starts with its time
            line += "".join(f"\n    {escape(part)}" for part in self.formatException(record.exc_info).split("\n"))
        return line


def make_formatter(kind: str) -> logging.Formatter:
    if kind not in FORMATS:
        raise RuntimeError(f"AOCP_LOG_FORMAT must be json or text, not {kind!r}")
    return JsonFormatter() if kind == "json" else TextFormatter()


class _SkipWerkzeugAccess(logging.Filter):
    # The development server's own access line repeats ours with the raw URL (secrets included).
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name == "werkzeug" and record.msg == '"%s" %s %s')


def configure(kind: str, level: str, stream: IO[str] | None = None) -> logging.Handler:
    """Send every log record to `stream` (stderr) in format `kind`; AOCP's loggers at `level`."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise RuntimeError(f"AOCP_LOG_LEVEL must be a level such as INFO or WARNING, not {level!r}")
    formatter = make_formatter(kind)
    if not getattr(logging.getLogRecordFactory(), "aocp_context", False):
        logging.setLogRecordFactory(_with_context(logging.getLogRecordFactory()))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _INSTALLED, False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    setattr(handler, _INSTALLED, True)
    handler.setFormatter(formatter)
    handler.addFilter(_SkipWerkzeugAccess())
    root.addHandler(handler)
    root.setLevel(max(numeric, logging.WARNING))
    logging.getLogger("aocp").setLevel(numeric)
    return handler


def gunicorn_logconfig(kind: str) -> dict:
    """gunicorn's `logconfig_dict`: its error log in AOCP's format (its access log stays off: AOCP writes one)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"aocp": {"()": "aocp.logs.make_formatter", "kind": kind}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "aocp",
                                "stream": "ext://sys.stderr"}},
        "root": {"handlers": []},  # the app adds its own handler when it loads
        "loggers": {"gunicorn.error": {"handlers": ["stderr"], "propagate": False}},
    }


def init_app(app: Flask) -> None:
    """Configure logging from LOG_FORMAT and LOG_LEVEL and register the request id and access line hooks."""
    configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    app.logger.removeHandler(default_handler)

    def start_request():
        g.request_started = time.perf_counter()
        request_id()
    # First of all hooks, ahead of the extensions' (the rate limiter refuses in its own): time everything.
    app.before_request_funcs.setdefault(None, []).insert(0, start_request)

    @app.after_request
    def finish_request(response: Response) -> Response:
        response.headers["X-Request-ID"] = request_id()
        access_log.info("%s %s %s", request.method, safe_path(), response.status_code, extra={
            "method": request.method, "path": safe_path(), "status": response.status_code,
            "duration_ms": round(elapsed() * 1000, 1)})
        return response


def elapsed() -> float:
    """Seconds since the current request started."""
    started = g.get("request_started")
    return time.perf_counter() - started if started is not None else 0.0
