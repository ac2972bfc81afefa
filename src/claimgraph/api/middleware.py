"""ASGI middleware: the request body size limit, and the security headers of every answer.

`settings.max_body_bytes` (CLAIMGRAPH_MAX_BODY_BYTES, 50 MB by default) caps
every request body: a declared Content-Length over the limit is refused with
413 before anything is read, and a chunked body is cut off with 413 as soon as
it passes the limit. Bigger loads go through `claimgraph ingest` or straight
into the store, not through HTTP.
"""
from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BODY_BYTES = 50_000_000

# Every page is built from untrusted data, so a browser may run only this server's own files:
# no inline script or style, no eval, no plugins, nothing loaded from elsewhere, no framing, and
# forms post only here. Results of `SERVICE` queries come back through /sparql (connect-src 'self').
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def policy_allowing_styles(hashes: list[str]) -> str:
    """CONTENT_SECURITY_POLICY, plus these `<style>` elements (by the sha256 of their text) for a
    page whose own script adds known, fixed style elements (YASGUI's column resizer, ui.py)."""
    if not hashes:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace("style-src 'self'", "style-src 'self' " + " ".join(
        f"'sha256-{h}'" for h in hashes), 1)


SECURITY_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),  # a Turtle or JSON answer is never sniffed into HTML
    (b"x-frame-options", b"DENY"),  # for browsers that predate frame-ancestors
    (b"referrer-policy", b"same-origin"),
)


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every HTTP answer (HTML or not: an RDF/XML or SVG answer opened
    in a browser is a document too), unless a route set the header itself."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY_BYTES):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.max_bytes or self.max_bytes <= 0:
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    await self._refuse(send)
                    return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = (f"The request body is larger than this server's limit of {self.max_bytes:,} bytes "
                "(CLAIMGRAPH_MAX_BODY_BYTES). Split the data, or load it with `claimgraph ingest`.\n").encode()
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
