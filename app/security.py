"""What every request gets, whatever the view: security headers, the real client behind the
proxy, rate-limit keys, `no-store` on personal pages, a safe recursion limit, and URLs with
their credentials cut off before they are shown or logged."""

from __future__ import annotations

import sys
from urllib.parse import urlsplit

from flask import Flask, Response, request, session
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

# No inline script or style anywhere: every script is a file under /static. Wallet icons arrive
# as data: URIs through EIP-6963 and are shown only with <img>, hence img-src data:.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

#: Python's own default. web3 imports py_ecc, whose package __init__ raises the limit to 100000;
#: with that limit the C JSON decoder's recursion guard no longer trips before the C stack
#: overflows, and one deeply nested body kills the process with SIGSEGV.
SAFE_RECURSION_LIMIT = 1000

#: Endpoints that set their own caching (immutable files) and never carry personal data.
PUBLIC_FILE_ENDPOINTS = frozenset({"static", "ipfs_gateway.ipfs_file", "pages.favicon"})
#: What a response to a signed-in person says when its view said nothing about caching.
PERSONAL_CACHE_CONTROL = "private, no-store"


def restore_recursion_limit() -> None:
    """Put the interpreter's recursion limit back at SAFE_RECURSION_LIMIT if a library raised it."""
    if sys.getrecursionlimit() > SAFE_RECURSION_LIMIT:
        sys.setrecursionlimit(SAFE_RECURSION_LIMIT)


def load_chain_libraries() -> None:
    """Import web3 (and with it py_ecc) now, so its side effect on the interpreter happens at
    start-up, where it is undone, rather than in the middle of some later request."""
    import web3  # noqa: F401

    restore_recursion_limit()


# -- who is asking ----------------------------------------------------------------------------------


def trust_proxies(app: Flask, hops: int) -> None:
    """Believe X-Forwarded-For and X-Forwarded-Proto from `hops` reverse proxies in front of the site.

    With 0 (no proxy) those headers are ignored, so a client cannot pick its own address. The
    Host header is never taken from X-Forwarded-Host: SITE_URL names the site.
    """
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0)  # type: ignore[method-assign]


def client_address() -> str:
    """The address of the client as the nearest trusted proxy saw it (or the socket's peer)."""
    return request.remote_addr or "unknown"


def rate_limit_key() -> str:
    """Count per signed-in account, else per client address: several residents may share one
    address (a venue's Wi-Fi, a mobile carrier's NAT), and one account may move between them."""
    if current_user.is_authenticated:
        return f"account:{current_user.get_id()}"
    return f"client:{client_address()}"


def client_key() -> str:
    """Count per client address whoever is signed in (for limits that protect signing in itself)."""
    return f"client:{client_address()}"


# -- credentials in URLs -------------------------------------------------------------------------------


def redacted_url(url: str) -> str:
    """Return only the scheme and host (and port) of `url`: providers put API keys in the path,
    the query or the user name, and a database URL carries its password."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port
    except ValueError:
        return "(a URL that could not be read)"
    if not parts.scheme or not host:
        return "(a URL without a host)" if "/" in url or ":" in url else url
    shown = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{shown}" + (f":{port}" if port is not None else "")


def redact(text: str, secrets: list[str] | tuple[str, ...]) -> str:
    """Replace every occurrence of a secret URL in `text` by its redacted form."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, redacted_url(secret))
        trimmed = secret.rstrip("/")
        if trimmed != secret and trimmed and trimmed in text:
            text = text.replace(trimmed, redacted_url(secret))
    return text


#: Settings whose value is a URL that may carry a credential (an API key in the path or query, a
#: user name and password): never shown in a page or a response, and logged as scheme and host.
CREDENTIAL_SETTINGS = ("CHAIN_RPC_URL", "SQLALCHEMY_DATABASE_URI", "IPFS_API_URL", "RATELIMIT_STORAGE_URI")


def credential_urls(app: Flask) -> list[str]:
    """This app's values of CREDENTIAL_SETTINGS that hold more than a scheme and host."""
    found = []
    for name in CREDENTIAL_SETTINGS:
        value = str(app.config.get(name) or "")
        try:
            has_host = bool(urlsplit(value).hostname)
        except ValueError:
            has_host = False
        if has_host and redacted_url(value) != value.rstrip("/"):
            found.append(value)
    return found


# -- responses ------------------------------------------------------------------------------------------


def _for_signed_in_person() -> bool:
    # dict.get leaves the session's "accessed" flag alone (no extra `Vary: Cookie`), and costs no query.
    return bool(dict.get(session._get_current_object(), "_user_id"))  # type: ignore[attr-defined]


def register_security_headers(app: Flask) -> None:
    """Security headers on every response; `no-store` on every page shown to a signed-in person."""

    @app.before_request
    def keep_recursion_limit_safe() -> None:
        restore_recursion_limit()

    @app.teardown_request
    def recheck_recursion_limit(error: BaseException | None) -> None:
        restore_recursion_limit()

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        # Anything shown to a signed-in person may hold personal data (the wallet, the pass, the
        # attendance, staff lists): no shared or browser cache may keep it, unless the view chose.
        if "Cache-Control" not in response.headers and request.endpoint not in PUBLIC_FILE_ENDPOINTS and _for_signed_in_person():
            response.headers["Cache-Control"] = PERSONAL_CACHE_CONTROL
        return response
