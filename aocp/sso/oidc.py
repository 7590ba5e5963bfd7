"""The OpenID Connect relying party: discovery, the authorization request, the code exchange, the ID token.

Authlib does the cryptography and the claim checks (signature against the provider's JWKS, issuer, audience,
expiry, nonce, at_hash); this module only carries the messages. Providers live in the database, so nothing is
registered at start-up: each call takes the provider row. Discovery documents and key sets are cached per URL.
"""
from __future__ import annotations

import base64
import ipaddress
import json
import time
from urllib.error import HTTPError
from urllib.parse import quote, urlencode, urlsplit
from urllib.request import (
    HTTPDefaultErrorHandler,
    HTTPErrorProcessor,
    HTTPHandler,
    HTTPSHandler,
    OpenerDirector,
    ProxyHandler,
    Request,
)

from authlib.common.security import generate_token
from authlib.jose import JsonWebKey, JsonWebToken
from authlib.jose.errors import JoseError
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from flask import current_app

from aocp.sso.models import IdentityProvider

WELL_KNOWN = "/.well-known/openid-configuration"
CACHE_SECONDS = 3600
LEEWAY_SECONDS = 60  # clock difference tolerated between AOCP and a provider
MAX_ANSWER_BYTES = 1024 * 1024
CHUNK_BYTES = 64 * 1024
# Reasons that mean the provider is down or slow rather than wrong: the page answers 502.
UNAVAILABLE = ("unreachable", "timeout")
SCOPES = "openid email profile"

_cache: dict[str, tuple[float, dict]] = {}


class OidcError(Exception):
    """A provider could not be used or sent something unacceptable; the message ends "Sign-in with X failed: …"."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason  # short code for the audit log


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a provider address: HTTPS only, except plain HTTP on this machine's loopback."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname:
        if parts.hostname == "localhost":
            return None
        try:
            if ipaddress.ip_address(parts.hostname).is_loopback:
                return None
        except ValueError:
            pass
    return "Use an https:// address (plain http only on this machine's loopback)."


def _now() -> int:
    return int(time.time())


def _opener() -> OpenerDirector:
    """HTTP(S) only, and no redirect handler: a 3xx arrives as an HTTPError and is never followed."""
    opener = OpenerDirector()
    for handler in (ProxyHandler(), HTTPHandler(), HTTPSHandler(), HTTPDefaultErrorHandler(), HTTPErrorProcessor()):
        opener.add_handler(handler)
    return opener


def _read(answer, deadline: float) -> bytes:
    """The body, read in chunks: refused past MAX_ANSWER_BYTES or when the whole answer takes too long."""
    body = bytearray()
    while chunk := answer.read1(CHUNK_BYTES):
        body += chunk
        if len(body) > MAX_ANSWER_BYTES:
            raise OidcError("the provider's answer is larger than AOCP accepts.", "too_large")
        if time.monotonic() > deadline:  # the socket timeout is per read: a trickle could last for ever
            raise OidcError("the provider did not answer in time.", "timeout")
    return bytes(body)


def _error_detail(err: HTTPError, deadline: float) -> str:
    try:
        body = json.loads(_read(err, deadline))
    except (OidcError, OSError, ValueError):
        return ""
    if not isinstance(body, dict):
        return ""
    return " ".join(str(body.get(k, "")) for k in ("error", "error_description")).strip()[:300]


def _fetch_json(url: str, form: dict | None = None, headers: dict | None = None) -> dict:
    """GET (or POST `form` to) a provider endpoint: https only (http on loopback), no redirect, capped, timed."""
    if url_problem(url):
        raise OidcError("the provider gave an address AOCP will not use.", "bad_endpoint")
    request = Request(url, data=urlencode(form).encode() if form is not None else None,
                      headers={"Accept": "application/json", **(headers or {})})
    timeout = current_app.config["SSO_TIMEOUT_SECONDS"]
    deadline = time.monotonic() + timeout
    try:
        with _opener().open(request, timeout=timeout) as answer:
            data = json.loads(_read(answer, deadline))
    except HTTPError as err:
        with err:  # a refused answer still holds its connection
            if 300 <= err.code < 400:
                raise OidcError("the provider answered with a redirect, which AOCP does not follow.",
                                "redirect") from err
            detail = _error_detail(err, deadline)
        raise OidcError(f"the provider answered {err.code}{': ' + detail if detail else ''}.",
                        "provider_http_error") from err
    except OSError as err:  # URLError too, which carries the socket's error as its reason
        if isinstance(err, TimeoutError) or isinstance(getattr(err, "reason", None), TimeoutError):
            raise OidcError("the provider did not answer in time.", "timeout") from err
        raise OidcError("the provider could not be reached.", "unreachable") from err
    except ValueError as err:
        raise OidcError("the provider's answer was not JSON.", "bad_answer") from err
    if not isinstance(data, dict):
        raise OidcError("the provider's answer was not a JSON object.", "bad_answer")
    return data


def _cached(url: str, refresh: bool = False) -> dict:
    hit = _cache.get(url)
    if hit and not refresh and hit[0] > time.monotonic():
        return hit[1]
    data = _fetch_json(url)
    _cache[url] = (time.monotonic() + CACHE_SECONDS, data)
    return data


def forget(provider: IdentityProvider) -> None:
    """Drop what is cached for a provider (its settings changed)."""
    _cache.pop(discovery_url(provider.issuer), None)


def discovery_url(issuer: str) -> str:
    return issuer if issuer.endswith(WELL_KNOWN) else issuer.rstrip("/") + WELL_KNOWN


def metadata(provider: IdentityProvider) -> dict:
    """The provider's discovery document, checked to be the issuer ASEC configured (OpenID Discovery §4.3)."""
    url = discovery_url(provider.issuer)
    meta = _cached(url)
    expected = url[: -len(WELL_KNOWN)].rstrip("/")
    if str(meta.get("issuer", "")).rstrip("/") != expected:
        _cache.pop(url, None)
        raise OidcError("the discovery document names another issuer.", "issuer_mismatch")
    missing = [k for k in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not meta.get(k)]
    if missing:
        raise OidcError(f"the discovery document lacks {', '.join(missing)}.", "bad_discovery")
    return meta


def begin(provider: IdentityProvider, redirect_uri: str) -> tuple[str, dict]:
    """The authorization URL (code flow, PKCE S256) and the secrets the callback must check."""
    meta = metadata(provider)
    flow = {"state": generate_token(32), "nonce": generate_token(32), "verifier": generate_token(64)}
    params = {"response_type": "code", "client_id": provider.client_id, "redirect_uri": redirect_uri,
              "scope": SCOPES, "state": flow["state"], "nonce": flow["nonce"],
              "code_challenge": create_s256_code_challenge(flow["verifier"]), "code_challenge_method": "S256"}
    endpoint = meta["authorization_endpoint"]
    return endpoint + ("&" if "?" in endpoint else "?") + urlencode(params), flow


def check_response_issuer(provider: IdentityProvider, iss: str | None) -> None:
    """RFC 9207: when the provider names itself in the callback, it must be the one we asked (mix-up defence)."""
    if iss is not None and iss != metadata(provider)["issuer"]:
        raise OidcError("the answer came from another issuer.", "issuer_mismatch")


def exchange_code(provider: IdentityProvider, code: str, redirect_uri: str, verifier: str) -> dict:
    """Trade the authorization code (with the PKCE verifier) for tokens at the token endpoint."""
    meta = metadata(provider)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
            "code_verifier": verifier}
    headers = {}
    methods = meta.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    if "client_secret_basic" in methods:
        # RFC 6749 §2.3.1: both parts are form-encoded before base64.
        pair = f"{quote(provider.client_id, safe='')}:{quote(provider.client_secret, safe='')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    else:
        form |= {"client_id": provider.client_id, "client_secret": provider.client_secret}
    tokens = _fetch_json(meta["token_endpoint"], form, headers)
    if not isinstance(tokens.get("id_token"), str):
        raise OidcError("the provider sent no ID token.", "no_id_token")
    return tokens


def id_token_claims(provider: IdentityProvider, tokens: dict, nonce: str) -> dict:
    """Verify the ID token (signature, iss, aud, exp, iat, nonce, at_hash) and return its claims."""
    meta = metadata(provider)
    # Only signatures by the provider's published keys: never "none", never HMAC with the client secret.
    algorithms = [a for a in meta.get("id_token_signing_alg_values_supported") or ["RS256"]
                  if a != "none" and not a.startswith("HS")] or ["RS256"]

    def load_key(header, _payload):
        for refresh in (False, True):  # a key id we do not know yet: the provider may have rotated its keys
            keys = JsonWebKey.import_key_set(_cached(meta["jwks_uri"], refresh=refresh))
            try:
                return keys.find_by_kid(header.get("kid"))
            except ValueError:
                continue
        raise OidcError("the ID token is signed with a key the provider does not publish.", "unknown_key")

    try:
        claims = JsonWebToken(algorithms).decode(
            tokens["id_token"], key=load_key, claims_cls=CodeIDToken,
            claims_options={"iss": {"essential": True, "value": meta["issuer"]},
                            "aud": {"essential": True, "value": provider.client_id},
                            "nonce": {"essential": True}},
            claims_params={"nonce": nonce, "client_id": provider.client_id,
                           "access_token": tokens.get("access_token")})
        claims.validate(now=_now(), leeway=LEEWAY_SECONDS)
    except JoseError as err:
        raise OidcError(f"the ID token was refused ({err.error}: {err.description}).", f"id_token:{err.error}") \
            from err
    except ValueError as err:  # not a JWT at all, or a key that does not fit the algorithm
        raise OidcError("the ID token could not be read.", "id_token:malformed") from err
    return dict(claims)
