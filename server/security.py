"""The HTTP edge: security headers, a body size limit, JSON-only POST (CSRF) and CORS.

Pure ASGI middleware (no BaseHTTPMiddleware): it only looks at headers and counts body bytes,
so it adds microseconds, not a task per request.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.media import response_media_type

STRICT_CSP = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# GraphiQL's page (server/graphiql.py; development only): same-origin scripts, styles and
# fetches; fonts and icons are data: URLs in graphiql's CSS; React and CodeMirror set inline
# styles. 'self' in connect-src covers the same-origin WebSocket of subscriptions.
GRAPHIQL_CSP = (b"default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                b"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
                b"frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
COMMON_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


class _BodyTooLarge(Exception):
    pass


def _refusal(status: int, code: str, message: str, *, media: str = "application/json"
             ) -> tuple[Message, Message]:
    # A request error in GraphQL over HTTP's terms: a 4xx, `errors` and no `data`.
    body = json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]}).encode()
    headers = [(b"content-type", media.encode()), (b"content-length", str(len(body)).encode())]
    if status == 405:
        headers.append((b"allow", b"POST"))  # RFC 9110: a 405 names the methods that work
    start: Message = {"type": "http.response.start", "status": status, "headers": headers}
    return start, {"type": "http.response.body", "body": body}


def _is_plain_text(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(k.lower() == b"content-type" and v.startswith(b"text/plain") for k, v in headers)


def _explain(message: str) -> str:
    if message.strip() == "Batching is not enabled":
        return ("query batching is disabled: send one operation per request, as a JSON object "
                "(not an array)")
    return message.strip() or "bad request"


class EdgeMiddleware:
    """Refuses what the GraphQL endpoint must never serve, and adds the security headers."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, graphql_path: str = "/graphql"
                 ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.graphql_path = graphql_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        held: Message | None = None
        plain = b""
        accept = next((v for k, v in scope["headers"] if k.lower() == b"accept"), b"")
        media = response_media_type(accept.decode("latin-1"))

        async def send_secured(message: Message) -> None:
            nonlocal started, held, plain
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                if message["status"] == 400 and _is_plain_text(headers):
                    held = message  # strawberry's refusals are plain text: made JSON below
                    return
                message = {**message, "headers": self._secure(headers)}
            elif held is not None:
                plain += message.get("body", b"")
                if message.get("more_body", False):
                    return
                for part in _refusal(400, "BAD_REQUEST",
                                     _explain(plain.decode(errors="replace")), media=media):
                    await send(part if part["type"] != "http.response.start" else
                               {**part, "headers": self._secure(list(part["headers"]))})
                return
            await send(message)

        refusal = self._refuse(scope)
        if refusal is not None:
            for message in _refusal(*refusal, media=media):
                await send_secured(message)
            return

        received = 0

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, receive_limited, send_secured)
        except _BodyTooLarge:
            if started:
                raise
            for message in _refusal(*self._too_large(), media=media):
                await send_secured(message)

    def _too_large(self) -> tuple[int, str, str]:
        return (413, "BODY_TOO_LARGE",
                f"the request body is larger than {self.max_body_bytes} bytes")

    def _refuse(self, scope: Scope) -> tuple[int, str, str] | None:
        headers = {k.lower(): v for k, v in scope["headers"]}
        length = headers.get(b"content-length")
        if length is not None:
            if not length.isdigit():
                return 400, "BAD_REQUEST", "Content-Length is not a number"
            if int(length) > self.max_body_bytes:
                return self._too_large()
        if scope["path"] != self.graphql_path:
            return None
        method = scope["method"]
        if method == "POST":
            media = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
            if media != b"application/json":
                # Forms and multipart can be sent cross-site without a preflight (CSRF).
                return (415, "UNSUPPORTED_MEDIA_TYPE",
                        "send GraphQL requests as POST with 'Content-Type: application/json'")
        elif method in ("GET", "HEAD") and scope.get("query_string"):
            # A GET runs from any link or <img>: queries and mutations go by POST only.
            return (405, "METHOD_NOT_ALLOWED",
                    "GraphQL over GET is disabled: send POST with a JSON body")
        return None

    def _secure(self, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        present = {k.lower() for k, _ in headers}
        content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
        csp = GRAPHIQL_CSP if content_type.startswith(b"text/html") else STRICT_CSP
        extra = [*COMMON_HEADERS, (b"content-security-policy", csp),
                 # Answers hold personal data: no shared cache may keep them.
                 (b"cache-control", b"no-store")]
        return headers + [(k, v) for k, v in extra if k not in present]


# What browser clients send besides Content-Type: the token, Apollo's client awareness and CSRF
# headers, and the tracing headers of Sentry and W3C Trace Context. X-Request-Id is only sent
# by the server (exposed below), never read from a request.
CORS_REQUEST_HEADERS = [
    "Authorization", "Content-Type",
    "Apollographql-Client-Name", "Apollographql-Client-Version", "Apollo-Require-Preflight",
    "Sentry-Trace", "Baggage", "Traceparent", "Tracestate",
]


def cors_options(origins: tuple[str, ...], origin_regex: str | None = None
                 ) -> dict[str, object]:
    """CORSMiddleware's options: only the listed origins, and those `origin_regex` matches
    whole, may call from a browser (none by default); tokens travel in the Authorization
    header, never in cookies."""
    return {"allow_origins": list(origins), "allow_origin_regex": origin_regex,
            "allow_methods": ["GET", "POST"], "allow_headers": CORS_REQUEST_HEADERS,
            "expose_headers": ["X-Request-Id"], "max_age": 600}
