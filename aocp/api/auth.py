"""Bearer-token authentication and the policy check for API endpoints."""
from __future__ import annotations

from functools import wraps
from typing import Callable

from flask import g, request

from aocp.accounts.services import user_by_token
from aocp.http import json_error
from aocp.policy import RULES, can, record_denial

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def api_guard(rule: str) -> Callable:
    """Authenticate the bearer token, check its scope and then the policy rule (default deny)."""
    if rule not in RULES:
        raise KeyError(f"unknown policy rule {rule!r}")

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            scheme, _, raw = header.partition(" ")
            user, token = (user_by_token(raw.strip()) if scheme.lower() == "bearer" and raw.strip()
                           else (None, None))
            if user is None:
                response = json_error(401, "A valid, unexpired bearer token of an active account is required.",
                                      "unauthorized")
                response[0].headers["WWW-Authenticate"] = 'Bearer realm="aocp"'
                return response
            if request.method in WRITE_METHODS and token.scope != "write":
                return json_error(403, "This token has read scope; this request needs write scope.",
                                  "insufficient_scope")
            if not can(user, rule):
                record_denial(user, rule)
                return json_error(403, "You are not allowed to do this.", "forbidden")
            g.api_user, g.api_token = user, token
            return view(*args, **kwargs)

        wrapped.policy_rule = rule
        return wrapped
    return decorator
