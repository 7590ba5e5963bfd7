"""Form pieces shared by every domain."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo


class ActionForm(FlaskForm):
    """A button that changes something: carries only the CSRF token."""


def new_password_fields():
    """A new password and its confirmation; rules are checked by the service (in any script, as typed)."""
    password = PasswordField("New password", validators=[DataRequired()],
                             render_kw={"autocomplete": "new-password", "minlength": 12})
    confirm = PasswordField("Repeat the new password",
                            validators=[DataRequired(), EqualTo("password", "The two passwords differ.")],
                            render_kw={"autocomplete": "new-password"})
    return password, confirm


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a path on this site: no scheme, no host, no '//' or '/\\', no control characters."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ord(ch) < 32 or ord(ch) == 127 or ch == "\\" for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
