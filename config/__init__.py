"""Settings per environment, chosen by AOCP_CONFIG and overridden by AOCP_* variables.

Every setting below can be set from the environment as AOCP_<NAME>; values are parsed
as the type of the default (bool, int, float, str).
"""
from __future__ import annotations

import hashlib
import hmac
import os
import re
from datetime import timedelta

DEFAULT_SECRET_KEY = "dev-only-insecure-secret-key"


class Base:
    SECRET_KEY = DEFAULT_SECRET_KEY
    DATABASE_URL = ""  # empty: SQLite file in instance/
    UPLOAD_DIR = ""  # empty: uploads/ beside app.py
    SITE_URL = "http://127.0.0.1:5000"
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto headers are trusted (0: none).
    PROXY_HOPS = 0

    # Rate limits (flask-limiter syntax). Storage: memory:// unless Redis is configured.
    RATELIMIT_STORAGE_URL = "memory://"
    RATELIMIT_DEFAULT = "600 per minute"
    LOGIN_RATE_LIMIT = "10 per minute;100 per hour"
    RATELIMIT_ENABLED = True

    # Sign-in throttling (aocp/accounts/throttle.py): after LOGIN_MAX_FAILURES failures within LOGIN_LOCKOUT_SECONDS
    # from one client address, that address may not try that account for LOGIN_LOCKOUT_SECONDS, twice as long at
    # each further pause up to LOGIN_LOCKOUT_MAX_SECONDS; other addresses are not paused. As many failures on the
    # account from anywhere slow each further failed answer by LOGIN_FAILURE_DELAY_SECONDS and email the holder.
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCKOUT_SECONDS = 900
    LOGIN_LOCKOUT_MAX_SECONDS = 86400
    LOGIN_FAILURE_DELAY_SECONDS = 1.0

    # Server-side sessions.
    SESSION_IDLE_MINUTES = 60
    SESSION_ABSOLUTE_HOURS = 12
    SESSION_COOKIE_NAME = "aocp_session"
    SESSION_COOKIE_SECURE = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"

    # Passwords: argon2id parameters (OWASP: m=19 MiB, t=2 is the floor; we use more).
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536  # KiB
    ARGON2_PARALLELISM = 1
    PASSWORD_MIN_LENGTH = 12
    PASSWORD_MAX_LENGTH = 128

    INVITATION_TTL_HOURS = 72
    RESET_TTL_MINUTES = 60
    TOKEN_DEFAULT_DAYS = 90
    MFA_ISSUER = "AOCP"

    # Email: SMTP when MAIL_SERVER is set, else messages are written to MAIL_OUTBOX_DIR.
    MAIL_SERVER = ""
    MAIL_PORT = 587
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    MAIL_USE_TLS = True
    MAIL_USE_SSL = False
    MAIL_FROM = "AOCP <no-reply@aocp.local>"
    MAIL_OUTBOX_DIR = ""  # empty: instance/outbox

    # Notification emails wait in a queue table for `flask --app app notifications run`: a failed send is
    # tried again after NOTIFY_RETRY_SECONDS, doubling each time, and marked failed after NOTIFY_MAX_ATTEMPTS.
    NOTIFY_MAX_ATTEMPTS = 6
    NOTIFY_RETRY_SECONDS = 60
    NOTIFY_POLL_SECONDS = 10

    PAGE_SIZE = 25
    # AMCAP progress reports are due this many days after their quarter ends.
    PLAN_REPORT_GRACE_DAYS = 15
    API_MAX_CONTENT_LENGTH = 1024 * 1024  # bytes of JSON the API reads from one request

    # Documents: the largest file accepted (bytes), and how long the trash keeps documents.
    MAX_FILE_SIZE = 200 * 1024 * 1024
    # The whole request may carry several files; Flask refuses bigger bodies with 413.
    MAX_CONTENT_LENGTH = 1024 * 1024 * 1024
    TRASH_RETENTION_DAYS = 90
    # After the policy check, hand the file transfer to the web server:
    # "" (the app streams it), "x-sendfile" (Apache, lighttpd) or "x-accel:/protected-uploads/" (nginx internal location).
    DOWNLOAD_OFFLOAD = ""

    # Logs on stderr: "text" for people, "json" (one object per line) for log collectors; LOG_LEVEL applies
    # to AOCP's own loggers (other libraries log warnings and above).
    LOG_FORMAT = "text"
    LOG_LEVEL = "INFO"
    # Single sign-on: seconds AOCP waits for a provider's whole answer (discovery, keys, token exchange).
    SSO_TIMEOUT_SECONDS = 5.0
    # Bearer token for scraping /metrics (Prometheus); empty: the endpoint answers 404.
    METRICS_TOKEN = ""
    # The audit chain is keyed with HMAC-SHA256: a copy of the database without this key cannot forge an entry.
    # AUDIT_KEY signs new entries under the id AUDIT_KEY_ID; AUDIT_KEYS ("id:secret,id:secret") keeps the keys
    # of earlier ids so their entries still verify after a rotation. Outside production an empty AUDIT_KEY is
    # derived from SECRET_KEY; production requires one of its own.
    AUDIT_KEY = ""
    AUDIT_KEY_ID = "1"
    AUDIT_KEYS = ""
    # Log the chain's head (entry id and hash) every this many entries, so the log holds copies outside the database.
    AUDIT_HEAD_LOG_EVERY = 1000
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    PREFERRED_URL_SCHEME = "http"
    HSTS = False


class Development(Base):
    DEBUG = False


class Testing(Base):
    TESTING = True
    SECRET_KEY = "testing-secret-key"
    # Cheaper argon2id for a fast suite; production keeps the defaults above.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8192
    RATELIMIT_DEFAULT = "10000 per minute"
    LOGIN_RATE_LIMIT = "1000 per minute"
    LOGIN_FAILURE_DELAY_SECONDS = 0.0


class Production(Base):
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-aocp_session"
    PREFERRED_URL_SCHEME = "https"
    HSTS = True
    LOG_FORMAT = "json"


CONFIGS = {"development": Development, "testing": Testing, "production": Production}


def _parse(raw: str, default):
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return raw


def load(name: str | None = None, overrides: dict | None = None) -> dict:
    """Settings for environment `name` as a dict, with AOCP_* variables and overrides applied."""
    name = name or os.environ.get("AOCP_CONFIG", "development")
    if name not in CONFIGS:
        raise RuntimeError(f"AOCP_CONFIG must be one of {', '.join(CONFIGS)}, not {name!r}")
    cls = CONFIGS[name]
    settings = {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
    settings["ENV_NAME"] = name
    for key, default in list(settings.items()):
        raw = os.environ.get(f"AOCP_{key}")
        if raw is not None:
            settings[key] = _parse(raw, default)
    settings.update(overrides or {})
    settings["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=settings["SESSION_ABSOLUTE_HOURS"])
    if name == "production":
        check_production(settings)
    elif not settings["AUDIT_KEY"]:
        settings["AUDIT_KEY"] = hmac.new(settings["SECRET_KEY"].encode(), b"aocp audit chain",
                                         hashlib.sha256).hexdigest()
    audit_keys(settings)  # refuse malformed keys at start rather than at the first audit entry
    return settings


KEY_ID = re.compile(r"[A-Za-z0-9_.-]{1,32}")


def audit_keys(settings: dict) -> tuple[str, dict[str, bytes]]:
    """The id that signs new audit entries and every known audit key by id (AUDIT_KEY under AUDIT_KEY_ID)."""
    keys: dict[str, bytes] = {}
    for pair in filter(None, (p.strip() for p in settings["AUDIT_KEYS"].split(","))):
        key_id, _, secret = (part.strip() for part in pair.partition(":"))
        if not KEY_ID.fullmatch(key_id) or not secret:
            raise RuntimeError("AOCP_AUDIT_KEYS must list id:secret pairs separated by commas "
                               "(ids of letters, digits, . _ -, at most 32)")
        keys[key_id] = secret.encode()
    current = settings["AUDIT_KEY_ID"]
    if not KEY_ID.fullmatch(current):
        raise RuntimeError("AOCP_AUDIT_KEY_ID must be letters, digits, . _ - (at most 32)")
    if keys.get(current, settings["AUDIT_KEY"].encode()) != settings["AUDIT_KEY"].encode():
        raise RuntimeError(f"AOCP_AUDIT_KEYS names key {current!r} with another secret than AOCP_AUDIT_KEY")
    keys[current] = settings["AUDIT_KEY"].encode()
    return current, keys


def check_production(settings: dict) -> None:
    """Refuse to run in production with settings that would be unsafe."""
    problems = []
    if settings["SECRET_KEY"] in (DEFAULT_SECRET_KEY, Testing.SECRET_KEY) or len(settings["SECRET_KEY"]) < 32:
        problems.append("AOCP_SECRET_KEY must be set to a random value of at least 32 characters")
    if len(settings["AUDIT_KEY"]) < 32 or settings["AUDIT_KEY"] == settings["SECRET_KEY"]:
        problems.append("AOCP_AUDIT_KEY must be set to a random value of at least 32 characters, not the secret key")
    if not settings["SESSION_COOKIE_SECURE"]:
        problems.append("AOCP_SESSION_COOKIE_SECURE must stay on (HTTPS-only cookies)")
    if not settings["SESSION_COOKIE_NAME"].startswith("__Host-"):
        problems.append("AOCP_SESSION_COOKIE_NAME must start with __Host- in production")
    if not settings["SESSION_COOKIE_HTTPONLY"]:
        problems.append("AOCP_SESSION_COOKIE_HTTPONLY must stay on (no script may read the session cookie)")
    if settings["SESSION_COOKIE_SAMESITE"] not in ("Lax", "Strict"):
        problems.append("AOCP_SESSION_COOKIE_SAMESITE must be Lax or Strict")
    if problems:
        raise RuntimeError("Unsafe production settings: " + "; ".join(problems))
