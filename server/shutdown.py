"""The end of a graceful shutdown: requests still running get a retryable 503, not a 500."""

from __future__ import annotations

import asyncio
import json
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("zhurnal.shutdown")

BODY = json.dumps({"data": None, "errors": [{
    "message": "the server stopped before this request finished; its transaction was rolled "
               "back: retry in a moment (a write with the same clientKey)",
    "extensions": {"code": "SERVICE_UNAVAILABLE", "retryable": True}}]}).encode()


class ShutdownCutoff:
    """On SIGTERM uvicorn waits `--graceful-timeout` seconds for the requests in flight, then
    cancels the rest; the cancellation rolls back their transactions on its way out. Without
    this middleware such a request ends as a 500 with a stack trace in the log; with it, the
    client gets the same retryable 503 as during a database outage."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except asyncio.CancelledError:
            if started:
                raise  # part of an answer is out: nothing better to send
            log.warning("request cancelled at the end of the shutdown grace period: %s %s",
                        scope.get("method"), scope.get("path"))
            # The task ends right here, so the cancellation is not swallowed for anyone else.
            await send({"type": "http.response.start", "status": 503, "headers": [
                (b"content-type", b"application/json"), (b"retry-after", b"1"),
                (b"content-length", str(len(BODY)).encode())]})
            await send({"type": "http.response.body", "body": BODY})
