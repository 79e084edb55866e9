"""The HTTP API: chat, search, actions, health and the web page."""

from __future__ import annotations

from applylens.api.app import create_app

__all__ = ["create_app"]
