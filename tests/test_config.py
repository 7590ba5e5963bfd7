"""Settings: one class per environment, AOCP_* environment overrides, and refusals of unsafe production settings."""
from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest

import config
from aocp import create_app
from aocp.extensions import db

GOOD_SECRET = "Zq8vN3rT6yW1bE4hK7mP0sU2xA5cF9jL"  # 32 characters
GOOD_AUDIT_KEY = "r4Kd9Pq2Xv7Lm3Tz8Bw1Nh6Cy5Gf0Jsu"  # 32 characters, not the secret key


@pytest.fixture(autouse=True)
def _no_aocp_environment(monkeypatch):
    """Each test starts with no AOCP_* variable set, whatever the shell running the suite has."""
    for key in list(os.environ):
        if key.startswith("AOCP_"):
            monkeypatch.delenv(key)


def production(**overrides):
    return config.load("production", {"SECRET_KEY": GOOD_SECRET, "AUDIT_KEY": GOOD_AUDIT_KEY} | overrides)


# --- choosing an environment ----------------------------------------------------------

@pytest.mark.parametrize("name", ["development", "testing", "production"])
def test_each_environment_loads_by_name(monkeypatch, name):
    if name == "production":
        monkeypatch.setenv("AOCP_SECRET_KEY", GOOD_SECRET)
        monkeypatch.setenv("AOCP_AUDIT_KEY", GOOD_AUDIT_KEY)
    settings = config.load(name)
    assert settings["ENV_NAME"] == name
    assert settings["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=settings["SESSION_ABSOLUTE_HOURS"])


def test_aocp_config_chooses_the_environment(monkeypatch):
    monkeypatch.setenv("AOCP_CONFIG", "testing")
    assert config.load()["ENV_NAME"] == "testing"


def test_development_is_the_default_environment():
    settings = config.load()
    assert settings["ENV_NAME"] == "development"
    assert settings["DEBUG"] is False
    assert settings["SESSION_COOKIE_SECURE"] is False and settings["HSTS"] is False


def test_an_unknown_environment_is_refused(monkeypatch):
    with pytest.raises(RuntimeError, match="AOCP_CONFIG must be one of"):
        config.load("staging")
    monkeypatch.setenv("AOCP_CONFIG", "prod")
    with pytest.raises(RuntimeError, match="'prod'"):
        config.load()


def test_testing_uses_cheap_hashing_and_generous_limits():
    testing, base = config.load("testing"), config.load("development")
    assert testing["TESTING"] is True
    assert testing["ARGON2_MEMORY_COST"] < base["ARGON2_MEMORY_COST"]
    assert testing["SECRET_KEY"] != config.DEFAULT_SECRET_KEY


def test_development_and_production_hash_passwords_at_least_at_the_owasp_floor():
    for settings in (config.load("development"), production()):
        assert settings["ARGON2_MEMORY_COST"] >= 19 * 1024 and settings["ARGON2_TIME_COST"] >= 2


def test_cookies_are_httponly_and_lax_in_every_environment(monkeypatch):
    for settings in (config.load("development"), config.load("testing"), production()):
        assert settings["SESSION_COOKIE_HTTPONLY"] is True
        assert settings["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_passwords_may_be_at_least_64_characters():
    settings = config.load("development")
    assert settings["PASSWORD_MIN_LENGTH"] >= 12 and settings["PASSWORD_MAX_LENGTH"] >= 64


def test_loading_does_not_change_the_classes():
    config.load("development", {"SECRET_KEY": "changed"})
    assert config.Development.SECRET_KEY == config.DEFAULT_SECRET_KEY
    assert config.load("development")["SECRET_KEY"] == config.DEFAULT_SECRET_KEY


# --- AOCP_* overrides ---------------------------------------------------------------

@pytest.mark.parametrize("key,value", [
    ("SECRET_KEY", "from-the-environment-" + "x" * 20),
    ("DATABASE_URL", "postgresql+psycopg://aocp:pw@db.internal:5432/aocp"),
    ("UPLOAD_DIR", "/srv/aocp/uploads"),
    ("RATELIMIT_STORAGE_URL", "redis://cache.internal:6379/0"),
    ("LOGIN_RATE_LIMIT", "5 per minute;50 per hour"),
    ("MAIL_SERVER", "smtp.example.org"),
    ("MAIL_USERNAME", "aocp-mailer"),
    ("MAIL_PASSWORD", "s3cret mail password"),
    ("MAIL_FROM", "AOCP <aocp@asean.example.org>"),
    ("MAIL_OUTBOX_DIR", "/tmp/aocp-outbox"),
    ("SITE_URL", "https://aocp.example.org"),
])
def test_a_text_setting_comes_from_its_aocp_variable(monkeypatch, key, value):
    monkeypatch.setenv(f"AOCP_{key}", value)
    for name in ("development", "testing"):
        assert config.load(name)[key] == value


@pytest.mark.parametrize("raw,expected", [("2525", 2525), ("465", 465)])
def test_the_mail_port_is_read_as_a_number(monkeypatch, raw, expected):
    monkeypatch.setenv("AOCP_MAIL_PORT", raw)
    assert config.load("development")["MAIL_PORT"] == expected


@pytest.mark.parametrize("raw,expected", [("true", True), ("1", True), ("yes", True), ("ON", True),
                                          ("false", False), ("0", False), ("no", False), ("", False)])
def test_mail_tls_and_ssl_flags_are_read_as_booleans(monkeypatch, raw, expected):
    monkeypatch.setenv("AOCP_MAIL_USE_TLS", raw)
    monkeypatch.setenv("AOCP_MAIL_USE_SSL", raw)
    settings = config.load("development")
    assert settings["MAIL_USE_TLS"] is expected and settings["MAIL_USE_SSL"] is expected


def test_a_number_setting_that_is_not_a_number_is_refused(monkeypatch):
    monkeypatch.setenv("AOCP_MAIL_PORT", "smtp")
    with pytest.raises(ValueError):
        config.load("development")


def test_explicit_overrides_win_over_the_environment(monkeypatch):
    monkeypatch.setenv("AOCP_UPLOAD_DIR", "/from/env")
    assert config.load("development", {"UPLOAD_DIR": "/from/code"})["UPLOAD_DIR"] == "/from/code"


def test_variables_without_the_prefix_are_ignored(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "not-ours-" + "x" * 30)
    monkeypatch.setenv("DATABASE_URL", "postgresql://elsewhere/db")
    settings = config.load("development")
    assert settings["SECRET_KEY"] == config.DEFAULT_SECRET_KEY and settings["DATABASE_URL"] == ""


def test_the_app_uses_the_environment_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("AOCP_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    monkeypatch.setenv("AOCP_UPLOAD_DIR", str(tmp_path / "uploads-from-env"))
    monkeypatch.setenv("AOCP_LOGIN_RATE_LIMIT", "3 per minute")
    app = create_app("testing", {"MAIL_OUTBOX_DIR": str(tmp_path / "out"), "RATELIMIT_STORAGE_URL": "memory://"})
    try:
        assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'env.db'}"
        assert app.config["UPLOAD_DIR"] == str(tmp_path / "uploads-from-env")
        assert app.config["LOGIN_RATE_LIMIT"] == "3 per minute"
        assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
        with app.app_context():
            assert db.engine.url.database == str(tmp_path / "env.db")
    finally:
        with app.app_context():
            db.engine.dispose()


def test_without_a_database_url_the_app_uses_sqlite_under_instance(tmp_path):
    app = create_app("testing", {"RATELIMIT_STORAGE_URL": "memory://", "MAIL_OUTBOX_DIR": str(tmp_path)})
    try:
        uri = app.config["SQLALCHEMY_DATABASE_URI"]
        assert uri.startswith("sqlite:///") and uri.endswith("/instance/aocp.db")
    finally:
        with app.app_context():
            db.engine.dispose()


# --- production refusals -------------------------------------------------------------------------

@pytest.mark.parametrize("secret", [config.DEFAULT_SECRET_KEY, config.Testing.SECRET_KEY, "short", "x" * 31, ""])
def test_production_refuses_a_default_or_short_secret_key(secret):
    with pytest.raises(RuntimeError) as err:
        production(SECRET_KEY=secret)
    assert "AOCP_SECRET_KEY" in str(err.value) and "at least 32 characters" in str(err.value)


def test_production_refuses_to_start_without_a_secret_key_in_the_environment():
    with pytest.raises(RuntimeError, match="AOCP_SECRET_KEY"):
        config.load("production")


def test_production_refuses_to_start_the_app_with_the_default_secret_key(tmp_path):
    with pytest.raises(RuntimeError, match="Unsafe production settings"):
        create_app("production", {"DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"})


def test_production_refuses_cookies_that_are_not_https_only(monkeypatch):
    with pytest.raises(RuntimeError) as err:
        production(SESSION_COOKIE_SECURE=False)
    assert "HTTPS-only cookies" in str(err.value)
    monkeypatch.setenv("AOCP_SESSION_COOKIE_SECURE", "false")
    with pytest.raises(RuntimeError, match="SESSION_COOKIE_SECURE"):
        production()


@pytest.mark.parametrize("name", ["aocp_session", "session", "__Secure-aocp_session", "__host-aocp"])
def test_production_refuses_a_cookie_name_without_the_host_prefix(monkeypatch, name):
    with pytest.raises(RuntimeError) as err:
        production(SESSION_COOKIE_NAME=name)
    assert "__Host-" in str(err.value)
    monkeypatch.setenv("AOCP_SESSION_COOKIE_NAME", name)
    with pytest.raises(RuntimeError, match="__Host-"):
        production()


def test_production_lists_every_problem_at_once():
    with pytest.raises(RuntimeError) as err:
        config.load("production", {"SESSION_COOKIE_SECURE": False, "SESSION_COOKIE_NAME": "aocp"})
    message = str(err.value)
    assert message.startswith("Unsafe production settings")
    assert "AOCP_SECRET_KEY" in message and "SESSION_COOKIE_SECURE" in message and "__Host-" in message


@pytest.mark.parametrize("key,value", [("SESSION_COOKIE_HTTPONLY", False), ("SESSION_COOKIE_SAMESITE", "None"),
                                       ("SESSION_COOKIE_SAMESITE", None), ("SESSION_COOKIE_SAMESITE", "")])
def test_production_refuses_cookies_that_scripts_can_read_or_other_sites_can_send(key, value):
    with pytest.raises(RuntimeError) as err:
        production(**{key: value})
    assert str(err.value).startswith("Unsafe production settings") and f"AOCP_{key}" in str(err.value)


def test_production_refuses_an_httponly_cookie_turned_off_in_the_environment(monkeypatch):
    monkeypatch.setenv("AOCP_SESSION_COOKIE_HTTPONLY", "0")
    with pytest.raises(RuntimeError, match="AOCP_SESSION_COOKIE_HTTPONLY"):
        production()


def test_production_with_good_settings_loads_with_safe_cookies(monkeypatch):
    monkeypatch.setenv("AOCP_SECRET_KEY", GOOD_SECRET)
    monkeypatch.setenv("AOCP_AUDIT_KEY", GOOD_AUDIT_KEY)
    settings = config.load("production")
    assert settings["SECRET_KEY"] == GOOD_SECRET
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["SESSION_COOKIE_HTTPONLY"] is True
    assert settings["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert settings["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert settings["HSTS"] is True and settings["PREFERRED_URL_SCHEME"] == "https"
    assert settings.get("DEBUG", False) is False and settings.get("TESTING", False) is False


def test_the_production_app_starts_with_good_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("AOCP_SECRET_KEY", GOOD_SECRET)
    monkeypatch.setenv("AOCP_AUDIT_KEY", GOOD_AUDIT_KEY)
    monkeypatch.setenv("AOCP_DATABASE_URL", f"sqlite:///{tmp_path / 'prod.db'}")
    app = create_app("production", {"RATELIMIT_STORAGE_URL": "memory://", "MAIL_OUTBOX_DIR": str(tmp_path)})
    try:
        assert app.config["SESSION_COOKIE_SECURE"] is True
        assert app.config["SESSION_COOKIE_NAME"].startswith("__Host-")
        assert app.config["SECRET_KEY"] == GOOD_SECRET and app.debug is False
    finally:
        with app.app_context():
            db.engine.dispose()


# --- every setting the code reads is declared and documented ---------------------------

_READ = re.compile(r"""(?:config|cfg|settings)(?:\.get\(|\[)\s*["']([A-Z][A-Z0-9_]+)["']""")
_WRITTEN = re.compile(r"""(?:config|cfg|settings)\[\s*["']([A-Z][A-Z0-9_]+)["']\s*\]\s*=(?!=)""")
_ENV = re.compile(r"""["']AOCP_([A-Z][A-Z0-9_]+)["']""")
_ROOT = Path(__file__).resolve().parent.parent


def _code() -> str:
    return "\n".join(p.read_text() for p in sorted((_ROOT / "aocp").rglob("*.py")))


def test_every_setting_the_code_reads_is_declared_in_config():
    from flask import Flask

    source = _code()
    declared = {k for cls in config.CONFIGS.values() for k in dir(cls) if k.isupper()}
    # Flask's and the extensions' own settings, and those the app derives from ours while it starts.
    known = set(Flask.default_config) | set(_WRITTEN.findall(source)) | {"ENV_NAME"}
    read = set(_READ.findall(source)) | {k for k in _ENV.findall(source) if k != "CONFIG"}
    assert read, "the pattern found no setting at all: it no longer matches how the code reads settings"
    assert sorted(read - declared - known) == []


def test_every_declared_setting_is_listed_in_the_configuration_guide():
    guide = (_ROOT / "docs" / "configuration.md").read_text()
    declared = {k for k in dir(config.Base) if k.isupper()}
    assert sorted(k for k in declared if f"AOCP_{k}" not in guide) == []


# --- the audit key ---------------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["", "short", GOOD_SECRET])
def test_production_refuses_a_missing_short_or_reused_audit_key(key):
    with pytest.raises(RuntimeError) as err:
        production(AUDIT_KEY=key)
    assert "AOCP_AUDIT_KEY" in str(err.value)


def test_outside_production_the_audit_key_is_derived_from_the_secret_key():
    first, again = config.load("testing"), config.load("testing")
    other = config.load("testing", {"SECRET_KEY": "another-secret"})
    assert first["AUDIT_KEY"] == again["AUDIT_KEY"] != other["AUDIT_KEY"]
    assert first["AUDIT_KEY"] != first["SECRET_KEY"] and len(first["AUDIT_KEY"]) == 64


def test_the_audit_keys_of_earlier_ids_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("AOCP_AUDIT_KEYS", "2025:old-secret, 2026:current")
    monkeypatch.setenv("AOCP_AUDIT_KEY", "current")
    monkeypatch.setenv("AOCP_AUDIT_KEY_ID", "2026")
    assert config.audit_keys(config.load("testing")) == ("2026", {"2025": b"old-secret", "2026": b"current"})


@pytest.mark.parametrize("keys, key_id", [("no-secret", "1"), (":secret", "1"), ("bad id:secret", "1"),
                                          ("1:another", "1"), ("", "bad id")])
def test_malformed_audit_keys_are_refused_at_start(keys, key_id):
    with pytest.raises(RuntimeError, match="AOCP_AUDIT_KEY"):
        config.load("testing", {"AUDIT_KEYS": keys, "AUDIT_KEY_ID": key_id})
