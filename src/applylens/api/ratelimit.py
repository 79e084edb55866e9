"""Per-owner rate limits on the chat endpoints, and the client address they use.

The `limits` library counts hits in a moving window, in process memory by
default or in Redis when several processes must share the counts.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from dataclasses import dataclass

from limits.errors import ConfigurationError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from applylens.config import (
    REDIS_URL_EXAMPLE,
    check_redis_url,
    parse_rate_limit,
    redact_url,
)
from applylens.errors import ConfigError

logger = logging.getLogger(__name__)

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class LimitDecision:
    allowed: bool
    retry_after_seconds: int
    remaining: int


class ChatRateLimiter:
    """Moving-window limit `rate` (like "60/minute") per key."""

    def __init__(self, rate: str, redis_url: str | None = None) -> None:
        try:
            self.item = parse_rate_limit(rate)
        except ValueError as exc:
            raise ConfigError(str(exc)) from exc
        if redis_url:
            # Settings check the URL too, but model_copy() skips that check.
            try:
                check_redis_url(redis_url)
            except ValueError as exc:
                raise ConfigError(str(exc)) from exc
        uri = redis_url or "memory://"
        try:
            storage = storage_from_string(uri)
        except (ConfigurationError, ValueError) as exc:
            raise ConfigError(
                f"invalid APPLYLENS_REDIS_URL {redact_url(uri)!r}: {exc}; use a URL "
                f"like {REDIS_URL_EXAMPLE}"
            ) from exc
        self.storage_uri = uri.split("@")[-1]
        self._limiter = MovingWindowRateLimiter(storage)

    def hit(self, key: str) -> LimitDecision:
        """Count one request for `key` and return whether it is within the limit."""
        allowed = self._limiter.hit(self.item, "chat", key)
        stats = self._limiter.get_window_stats(self.item, "chat", key)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        return LimitDecision(allowed, 0 if allowed else retry_after, stats.remaining)


def parse_trusted_proxies(value: str) -> tuple[IPNetwork, ...]:
    """Read APPLYLENS_TRUSTED_PROXIES: comma-separated addresses or networks."""
    networks: list[IPNetwork] = []
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError as exc:
            raise ConfigError(
                f"invalid APPLYLENS_TRUSTED_PROXIES entry {part!r}: expected an IP "
                "address or a network like 10.0.0.0/8"
            ) from exc
    return tuple(networks)


def _is_trusted(address: str, trusted: tuple[IPNetwork, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def client_address(
    peer: str | None, forwarded_for: str | None, trusted: tuple[IPNetwork, ...]
) -> str:
    """Return the address of the client behind any trusted proxies.

    X-Forwarded-For is read only when the connection itself comes from a
    trusted proxy. Proxies append to the header, so the right-most entry that
    is not a trusted proxy is the first one no client could have forged.
    """
    address = peer or "unknown"
    if not forwarded_for or not _is_trusted(address, trusted):
        return address
    for entry in reversed([e.strip() for e in forwarded_for.split(",")]):
        if not entry:
            continue
        if not _is_trusted(entry, trusted):
            return entry
        address = entry
    return address
