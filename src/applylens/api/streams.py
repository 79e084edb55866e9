"""Server-Sent Events for the chat stream: event encoding, the replay cache
behind Last-Event-ID, and an ASGI response that notices a client leaving.

Event ids have the form ``<stream id>.<sequence>``, sequence 1 being `ready`.
A client that lost its connection may reconnect once with the last id it saw:

- if this process still has the stream and it finished, the events after that
  id are replayed exactly;
- otherwise (the stream was cancelled when the connection dropped, it was
  evicted, or another worker served it) the question runs again and only the
  events after that id are sent. The rerun matches the first run unless the
  mailbox changed in between; the final `answer` event always carries the
  whole answer.

The last 8 digits of a stream id are a digest of the owner and the request
(question, window and filters). An id that came with another request starts a
new stream from its first event, so that two answers never mix in one stream.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

logger = logging.getLogger(__name__)

# The app installs no compression middleware, so events leave unencoded and
# unbuffered; X-Accel-Buffering asks nginx in front to pass them on at once.
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def encode_event(name: str, data: dict[str, Any], event_id: str) -> bytes:
    payload = json.dumps(data, separators=(",", ":"), default=str)
    return f"id: {event_id}\nevent: {name}\ndata: {payload}\n\n".encode()


PING = b": ping\n\n"
# Stream ids are 16 hex digits; nothing else a client sends becomes one.
_EVENT_ID = re.compile(r"(?P<stream>[0-9a-f]{16})\.(?P<sequence>[0-9]{1,6})")


def request_digest(owner: str, request_json: str) -> str:
    """Return the 8 hex digits that tie a stream id to one owner's request."""
    text = f"{owner}\n{request_json}".encode("utf-8", "surrogatepass")
    return hashlib.sha256(text).hexdigest()[:8]


def answers_request(stream_id: str, digest: str) -> bool:
    """Tell whether `stream_id` was made for the request with `digest`."""
    return stream_id[8:] == digest


@dataclass(slots=True)
class StreamRecord:
    """The events one stream sent, kept so a reconnecting client can resume."""

    stream_id: str
    owner: str
    question: str
    events: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)
    finished: bool = False
    created: float = field(default_factory=time.monotonic)
    cancel: threading.Event = field(default_factory=threading.Event)
    """Set when the client left or the stream ended; the work stops on it."""

    def event_id(self, sequence: int) -> str:
        return f"{self.stream_id}.{sequence}"


def parse_event_id(value: str | None) -> tuple[str, int] | None:
    """Split a Last-Event-ID into (stream id, sequence), or None if malformed."""
    match = _EVENT_ID.fullmatch(value.strip()) if value else None
    if match is None:
        return None
    return match["stream"], int(match["sequence"])


class StreamCache:
    """The last `max_streams` streams of this process, each for `ttl_seconds`."""

    def __init__(self, max_streams: int = 256, ttl_seconds: float = 600.0) -> None:
        self._records: OrderedDict[str, StreamRecord] = OrderedDict()
        self._max = max_streams
        self._ttl = ttl_seconds
        self._lock = threading.Lock()

    def new(
        self,
        owner: str,
        question: str,
        stream_id: str | None = None,
        digest: str | None = None,
    ) -> StreamRecord:
        """Start a stream record, reusing `stream_id` when the stream resumes
        one of the same owner's; another owner's id is never taken over.

        A new id ends with `digest` (see `request_digest`) when one is given.
        """
        with self._lock:
            existing = self._records.get(stream_id) if stream_id else None
            if stream_id is None or (existing and existing.owner != owner):
                stream_id = (
                    secrets.token_hex(4) + digest if digest else secrets.token_hex(8)
                )
            record = StreamRecord(stream_id, owner, question)
            self._records[record.stream_id] = record
            self._records.move_to_end(record.stream_id)
            self._evict()
        return record

    def get(self, stream_id: str, owner: str) -> StreamRecord | None:
        """Return the stream if it exists and belongs to `owner`."""
        with self._lock:
            self._evict()
            record = self._records.get(stream_id)
        if record is None or record.owner != owner:
            return None
        return record

    def _evict(self) -> None:
        cutoff = time.monotonic() - self._ttl
        while self._records:
            oldest = next(iter(self._records.values()))
            if len(self._records) <= self._max and oldest.created >= cutoff:
                break
            self._records.popitem(last=False)


class EventStreamResponse(StreamingResponse):
    """Send `chunks` as text/event-stream and watch for the client leaving.

    A task waits on the ASGI `receive` channel the whole time, so an
    `http.disconnect` is seen at once rather than at the next failed write.
    The task then calls `on_disconnect` and stops the sending, and nothing
    more is written.
    """

    def __init__(
        self,
        chunks: AsyncIterator[bytes],
        *,
        on_disconnect: Callable[[], None],
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(
            chunks,
            headers={**SSE_HEADERS, **(headers or {})},
            media_type="text/event-stream",
        )
        self.chunks = chunks
        self.on_disconnect = on_disconnect

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": self.status_code,
                "headers": self.raw_headers,
            }
        )
        disconnected = False
        async with anyio.create_task_group() as group:

            async def watch_disconnect() -> None:
                nonlocal disconnected
                while (await receive())["type"] != "http.disconnect":
                    pass
                disconnected = True
                self.on_disconnect()
                group.cancel_scope.cancel()

            group.start_soon(watch_disconnect)
            try:
                async for chunk in self.chunks:
                    await send(
                        {"type": "http.response.body", "body": chunk, "more_body": True}
                    )
            except OSError:
                disconnected = True
                self.on_disconnect()
            finally:
                with anyio.CancelScope(shield=True):
                    await self._close_chunks()
            group.cancel_scope.cancel()
        if not disconnected:
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _close_chunks(self) -> None:
        close = getattr(self.chunks, "aclose", None)
        if close is not None:
            await close()
