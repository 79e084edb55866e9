"""The per-process objects every route shares: settings, the search backend,
state database connections, the streaming flag and the rate limiter."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from applylens.api.flags import FlagState, StreamingFlag
from applylens.api.ratelimit import ChatRateLimiter, IPNetwork, parse_trusted_proxies
from applylens.api.streams import StreamCache
from applylens.config import Settings
from applylens.demo.manifest import demo_owner_addresses
from applylens.observability.metrics import Metrics
from applylens.state import connect_state
from applylens.store.base import SearchBackend

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Owner:
    """The person a request acts for, and the addresses that are theirs."""

    name: str
    addresses: tuple[str, ...]


def _local_owner(settings: Settings) -> Owner:
    """Return the owner of single-user mode, with the addresses of the settings and,
    when the demo mailbox was imported for this owner, the demo's addresses."""
    addresses = [
        *settings.owner_address_list,
        *demo_owner_addresses(settings.data_dir, settings.owner),
    ]
    return Owner(settings.owner, tuple(dict.fromkeys(addresses)))


class AppContext:
    def __init__(
        self,
        settings: Settings,
        *,
        backend: SearchBackend | None,
        metrics: Metrics,
        ping_interval: float,
        flag_ttl: float,
        now: Callable[[], datetime] | None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.ping_interval = ping_interval
        self.now = now
        self.trusted_proxies: tuple[IPNetwork, ...] = parse_trusted_proxies(
            settings.trusted_proxies
        )
        self.limiter = ChatRateLimiter(settings.rate_limit, settings.redis_url)
        self.streaming = StreamingFlag(
            settings, ttl_seconds=flag_ttl, on_change=self._flag_changed
        )
        self.streams = StreamCache()
        self.token_cache: dict[str, tuple[Owner, float]] = {}
        self.local_owner = _local_owner(settings)
        # Stream work gets its own threads, so open streams cannot use up the
        # pool that serves POST /api/chat and the other blocking routes.
        self.stream_executor = ThreadPoolExecutor(
            max_workers=32, thread_name_prefix="chat-stream"
        )
        self._backend = backend
        self._owns_backend = backend is None
        self._backend_lock = threading.Lock()
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()

    def _flag_changed(self, state: FlagState) -> None:
        self.metrics.set_streaming_enabled(state.enabled)

    def backend(self) -> SearchBackend:
        """Return the search backend, opening it on first use.

        Opening lazily lets the API start (and /readyz report the cause) while
        the backend is down; a failed open is retried on the next request.
        """
        if self._backend is not None:
            return self._backend
        with self._backend_lock:
            if self._backend is None:
                from applylens.store.factory import open_backend

                self._backend = open_backend(self.settings)
                logger.info("opened the %s search backend", self._backend.name)
        return self._backend

    def state_conn(self) -> sqlite3.Connection:
        """Return this thread's connection to the state database.

        Each thread gets its own connection so that transactions of requests
        served in parallel never interleave on one connection.
        """
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect_state(self.settings.state_path)
            self._local.conn = conn
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    def thread_cache(self, name: str) -> dict[Any, Any]:
        """Return this thread's dictionary `name`, for objects bound to the
        thread's state connection."""
        caches: dict[str, dict[Any, Any]] = self._local.__dict__.setdefault(
            "caches", {}
        )
        return caches.setdefault(name, {})

    def close(self) -> None:
        self.stream_executor.shutdown(wait=False, cancel_futures=True)
        self.streaming.close()
        with self._connections_lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        if self._owns_backend and self._backend is not None:
            self._backend.close()
            self._backend = None
