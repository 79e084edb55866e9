"""A limit on the size of request bodies (APPLYLENS_MAX_BODY_BYTES).

Without it a client could make the API read and parse a body of any size,
because FastAPI reads the whole body into memory before validating it.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from applylens.api.problems import ApiProblem

logger = logging.getLogger(__name__)


class BodyTooLarge(Exception):
    """The request body grew past the limit while the app was reading it."""


def declared_length(scope: Scope) -> int | None:
    """Return the request's Content-Length, or None when the header is missing
    or is not a number."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def body_too_large_problem(max_body_bytes: int) -> ApiProblem:
    return ApiProblem(
        413,
        "content_too_large",
        f"the request body is larger than the limit of {max_body_bytes} bytes "
        "set by APPLYLENS_MAX_BODY_BYTES. Send a smaller body.",
        extra={"max_body_bytes": max_body_bytes},
    )


class BodySizeLimitMiddleware:
    """ASGI middleware that returns 413 for a request body over `max_body_bytes`.

    A Content-Length over the limit is rejected before the app runs. The bytes
    that arrive are counted too, which covers chunked bodies. The read that
    takes the count past the limit raises BodyTooLarge in the app, and the 413
    replaces whatever response the app then sends. A response the app started
    before that read is left as it is, because its status is already sent.
    Requests without a body, such as GET /api/chat/stream, pass through.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = declared_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await self._reject(scope, receive, send, declared)
            return

        received = 0
        response_started = False
        replaced = False

        async def receive_within_limit() -> Message:
            nonlocal received, replaced
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    replaced = replaced or not response_started
                    raise BodyTooLarge(f"request body over {self.max_body_bytes} bytes")
            return message

        async def send_unless_replaced(message: Message) -> None:
            nonlocal response_started
            if replaced:
                return
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, receive_within_limit, send_unless_replaced)
        except BodyTooLarge:
            if not replaced:
                raise
        if replaced:
            await self._reject(scope, receive, send, received)

    async def _reject(
        self, scope: Scope, receive: Receive, send: Send, size: int
    ) -> None:
        logger.info(
            "rejected %s %s: request body of %d bytes or more is over the limit "
            "of %d bytes",
            scope.get("method"),
            scope.get("path"),
            size,
            self.max_body_bytes,
        )
        response = body_too_large_problem(self.max_body_bytes).response()
        await response(scope, receive, send)
