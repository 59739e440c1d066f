"""Standard security headers on every response of the gateway and the services (OWASP's secure headers for
an API): no MIME sniffing, no framing, no referrer, and a Content-Security-Policy that lets an API answer load
nothing at all. Our own HTML pages (GraphiQL in development at /graphql, /docs and /redoc where KAOHE_PUBLIC_DOCS
opens them) get a policy that allows exactly what they load: their scripts and styles from this same origin
(the process serves them itself: no CDN, so they work on an intranet), and each of their inline scripts by the
SHA-256 of its text, computed from the page as it is sent. Any other
HTML (a downloaded attachment, say) keeps the API's policy: nothing in it runs."""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
# GraphiQL (gateway/static/graphiql) and Swagger UI and ReDoc (the fastapi-offline package) are served by the
# process itself; ReDoc runs its search in a blob: worker; the three inject <style> elements and inline fonts
# and icons as data: URLs. Nothing of them needs eval (webpack's `new Function` fallback is caught).
PAGE_POLICY = ("default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; "
               "script-src 'self'{hashes}; style-src 'self' 'unsafe-inline'; font-src 'self' data:; "
               "img-src 'self' data:; connect-src 'self'; worker-src blob:")
COMMON = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
HSTS = "max-age=31536000"
PAGES = frozenset({"/graphql", "/docs", "/docs/oauth2-redirect", "/redoc"})  # the only HTML we write ourselves
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)


def page_policy(html: bytes) -> str:
    """The policy of one HTML page: its inline scripts allowed by hash, nothing else inline."""
    hashes = "".join(f" 'sha256-{base64.b64encode(hashlib.sha256(body).digest()).decode()}'"
                     for body in _INLINE_SCRIPT.findall(html))
    return PAGE_POLICY.format(hashes=hashes)


class SecurityHeadersMiddleware:
    """Adds the headers a response does not already carry; HTML pages are read whole (they are small) to
    hash their inline scripts. `production` adds HSTS (the TLS proxy in front passes it on to browsers)."""

    def __init__(self, app: ASGIApp, production: bool) -> None:
        self.app = app
        self.fixed = {**COMMON, **({"Strict-Transport-Security": HSTS} if production else {})}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ours = scope["path"] in PAGES
        start: Message | None = None
        page: list[bytes] = []

        async def secured(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.fixed.items():
                    headers.setdefault(name, value)
                if not (ours and headers.get("content-type", "").startswith("text/html")):
                    headers.setdefault("Content-Security-Policy", API_POLICY)
                    await send(message)
                    return
                start = message  # held until the page is whole
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            page.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            html = b"".join(page)
            MutableHeaders(scope=start).setdefault("Content-Security-Policy", page_policy(html))
            await send(start)
            await send({"type": "http.response.body", "body": html, "more_body": False})

        await self.app(scope, receive, secured)
