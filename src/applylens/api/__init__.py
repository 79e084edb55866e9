"""The HTTP API: chat, search, actions, health and the web page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from applylens.api.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    # Loaded on first use so that commands which only need the flag or user
    # stores (applylens flags, applylens users) do not import FastAPI.
    if name == "create_app":
        from applylens.api.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
