"""Request dependencies: who the owner is, and whether they are over the limit."""

from __future__ import annotations

import hmac
import logging
import time
from typing import Annotated

from fastapi import Depends, Request

from applylens.api.context import AppContext, Owner
from applylens.api.problems import ApiProblem
from applylens.api.ratelimit import client_address
from applylens.api.users import find_user_by_token, hash_token

logger = logging.getLogger(__name__)

# Verified tokens are remembered briefly so that a burst of requests does not
# query the state database for each one.
_TOKEN_CACHE_SECONDS = 5.0


def get_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


Context = Annotated[AppContext, Depends(get_context)]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _unauthorized(detail: str) -> ApiProblem:
    return ApiProblem(
        401, "unauthorized", detail, headers={"WWW-Authenticate": "Bearer"}
    )


def current_owner(request: Request, context: Context) -> Owner:
    """Return the owner of the request: the local owner in single-user mode,
    else the user whose API token is in the Authorization header."""
    if not context.settings.multi_user:
        return context.local_owner
    token = bearer_token(request)
    if token is None:
        raise _unauthorized(
            "missing API token: send 'Authorization: Bearer TOKEN' with a token "
            "from 'applylens users add'"
        )
    return _owner_for_token(context, token)


def _owner_for_token(context: AppContext, token: str) -> Owner:
    digest = hash_token(token)
    cache: dict[str, tuple[Owner, float]] = context.token_cache
    cached = cache.get(digest)
    if cached is not None and cached[1] > time.monotonic():
        return cached[0]
    user = find_user_by_token(context.state_conn(), token)
    if user is None:
        raise _unauthorized("invalid API token: check the token or issue a new one")
    owner = Owner(user.name, user.addresses)
    if len(cache) > 10_000:
        cache.clear()
    cache[digest] = (owner, time.monotonic() + _TOKEN_CACHE_SECONDS)
    return owner


CurrentOwner = Annotated[Owner, Depends(current_owner)]


def require_admin(request: Request, context: Context) -> str:
    """Accept only the APPLYLENS_ADMIN_TOKEN bearer; return who acted.

    Without a configured admin token the endpoint is closed to everyone, so
    only someone with access to the state database (the CLI) can flip flags.
    """
    expected = context.settings.admin_token
    if not expected:
        raise ApiProblem(
            403,
            "admin_disabled",
            "the admin API is disabled: set APPLYLENS_ADMIN_TOKEN, or use "
            "'applylens flags set' on the server",
        )
    token = bearer_token(request)
    if token is None or not hmac.compare_digest(token.encode(), expected.encode()):
        raise _unauthorized("missing or invalid admin token")
    peer = request.client.host if request.client else "unknown"
    return f"admin-api@{peer}"


def enforce_chat_limit(
    request: Request, context: AppContext, owner: Owner, path: str
) -> None:
    """Count one chat request; raise a 429 problem when over the limit.

    In multi-user mode the key is the owner alone. In single-user mode every
    client acts as the same owner, so the client address is part of the key.
    """
    if context.settings.multi_user:
        key = f"user:{owner.name.lower()}"
    else:
        peer = request.client.host if request.client else None
        address = client_address(
            peer, request.headers.get("x-forwarded-for"), context.trusted_proxies
        )
        key = f"client:{address}|{owner.name.lower()}"
    decision = context.limiter.hit(key)
    if decision.allowed:
        return
    context.metrics.record_rate_limited(path)
    logger.debug("rate limit hit on %s for %s", path, key)
    raise ApiProblem(
        429,
        "rate_limited",
        f"too many chat requests: the limit is {context.settings.rate_limit}; "
        f"retry in {decision.retry_after_seconds} s",
        headers={"Retry-After": str(decision.retry_after_seconds)},
        extra={"retry_after": decision.retry_after_seconds},
    )
