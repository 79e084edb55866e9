"""The chat streaming switch: settings, runtime overrides, the admin endpoint."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from applylens.api.flags import (
    CHAT_STREAMING,
    StreamingFlag,
    owner_bucket,
    parse_switch,
    read_flag,
    write_flag,
)
from applylens.config import Settings
from applylens.errors import ConfigError
from applylens.store.sqlite import SQLiteStore

from .conftest import ApiFactory, RunningApi


def wait_for_status(api: RunningApi, status: int, timeout: float = 5.0) -> float:
    """Poll the stream endpoint until it returns `status`; return the seconds."""
    started = time.monotonic()
    with api.client() as client:
        while time.monotonic() - started < timeout:
            response = client.get("/api/chat/stream", params={"q": "summarize"})
            if response.status_code == status:
                return time.monotonic() - started
            time.sleep(0.05)
    pytest.fail(f"the stream endpoint did not answer {status} within {timeout} s")


def test_flag_without_override_follows_setting(settings: Settings) -> None:
    state = read_flag(settings.state_path, CHAT_STREAMING, default=False)

    assert state.enabled is False
    assert state.source == "settings"


def test_flag_override_wins_over_setting(settings: Settings) -> None:
    write_flag(settings.state_path, CHAT_STREAMING, True, "test")

    state = read_flag(settings.state_path, CHAT_STREAMING, default=False)
    assert state.enabled is True
    assert state.source == "override"
    assert state.updated_by == "test"


def test_flag_unknown_name_is_rejected(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="unknown flag 'nope'"):
        write_flag(settings.state_path, "nope", True, "test")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("on", True), ("OFF", False), ("true", True), ("0", False)],
)
def test_parse_switch_reads_synonyms(text: str, expected: bool) -> None:
    assert parse_switch(text) is expected


def test_parse_switch_invalid_value_names_it() -> None:
    with pytest.raises(ConfigError, match="'maybe'"):
        parse_switch("maybe")


def test_streaming_flag_caches_for_ttl(settings: Settings) -> None:
    clock = [0.0]
    flag = StreamingFlag(settings, ttl_seconds=1.0, clock=lambda: clock[0])
    assert flag.enabled() is True

    write_flag(settings.state_path, CHAT_STREAMING, False, "test")
    clock[0] = 0.5
    cached = flag.enabled()
    clock[0] = 1.01
    fresh = flag.enabled()
    flag.close()

    assert cached is True
    assert fresh is False


def test_streaming_flag_logs_each_change(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    clock = [0.0]
    flag = StreamingFlag(settings, ttl_seconds=1.0, clock=lambda: clock[0])
    with caplog.at_level(logging.INFO, logger="applylens.api.flags"):
        flag.enabled()
        write_flag(settings.state_path, CHAT_STREAMING, False, "operator")
        clock[0] = 2.0
        flag.enabled()
    flag.close()

    messages = [r.getMessage() for r in caplog.records]
    assert any("chat_streaming is on" in m for m in messages)
    assert any("flag changed: chat_streaming is off" in m for m in messages)


def test_streaming_flag_data_folder_is_file_keeps_setting(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    broken = settings.model_copy(update={"data_dir": blocker / "data"})
    flag = StreamingFlag(broken, ttl_seconds=1.0, clock=lambda: 0.0)

    with caplog.at_level(logging.WARNING, logger="applylens.api.flags"):
        enabled = flag.enabled()
    flag.close()

    assert enabled is True
    assert any("could not read flag" in r.getMessage() for r in caplog.records)


def test_owner_bucket_is_stable_and_case_blind() -> None:
    assert owner_bucket("Alice") == owner_bucket("alice")
    assert 0 <= owner_bucket("alice") < 100


def test_stream_when_switched_off_is_503_with_fallback(
    start_api: ApiFactory, store: SQLiteStore, settings: Settings
) -> None:
    write_flag(settings.state_path, CHAT_STREAMING, False, "test")
    api = start_api(store)
    with api.client() as client:
        response = client.get("/api/chat/stream", params={"q": "summarize"})

    assert response.status_code == 503
    assert response.headers["x-chat-streaming-disabled"] == "1"
    assert int(response.headers["retry-after"]) > 0
    assert "POST /api/chat" in response.json()["detail"]


def test_chat_keeps_working_when_streaming_off(
    start_api: ApiFactory, store: SQLiteStore, settings: Settings
) -> None:
    write_flag(settings.state_path, CHAT_STREAMING, False, "test")
    api = start_api(store)
    with api.client() as client:
        response = client.post(
            "/api/chat", json={"messages": [{"role": "user", "content": "summarize"}]}
        )

    assert response.status_code == 200


def test_stream_setting_false_starts_switched_off(
    start_api: ApiFactory, store: SQLiteStore, settings: Settings
) -> None:
    off = settings.model_copy(update={"chat_streaming_enabled": False})
    api = start_api(store, app_settings=off)

    wait_for_status(api, 503, timeout=1)


def test_stream_flip_is_seen_within_two_seconds(
    start_api: ApiFactory, store: SQLiteStore, settings: Settings
) -> None:
    api = start_api(store)
    wait_for_status(api, 200, timeout=2)

    write_flag(settings.state_path, CHAT_STREAMING, False, "test")
    seconds_to_off = wait_for_status(api, 503)
    write_flag(settings.state_path, CHAT_STREAMING, True, "test")
    seconds_to_on = wait_for_status(api, 200)

    assert seconds_to_off < 2
    assert seconds_to_on < 2


def test_stream_flip_sets_enabled_gauge(
    start_api: ApiFactory, store: SQLiteStore, settings: Settings
) -> None:
    api = start_api(store)
    write_flag(settings.state_path, CHAT_STREAMING, False, "test")
    wait_for_status(api, 503)

    assert api.metric("applylens_chat_streaming_enabled") == 0


def test_stream_percent_zero_streams_for_nobody(
    start_api: ApiFactory, store: SQLiteStore, settings: Settings
) -> None:
    api = start_api(
        store, app_settings=settings.model_copy(update={"chat_streaming_percent": 0})
    )
    with api.client() as client:
        response = client.get("/api/chat/stream", params={"q": "summarize"})

    assert response.status_code == 503
    assert response.headers["x-chat-streaming-disabled"] == "1"


def test_admin_flag_without_configured_token_is_403(api: RunningApi) -> None:
    with api.client() as client:
        response = client.put(
            "/api/admin/flags/chat_streaming",
            json={"enabled": False},
            headers={"Authorization": "Bearer anything"},
        )

    assert response.status_code == 403


def test_admin_flag_with_wrong_token_is_401(
    start_api: ApiFactory, store: SQLiteStore, settings: Settings
) -> None:
    api = start_api(
        store, app_settings=settings.model_copy(update={"admin_token": "s3cret"})
    )
    with api.client() as client:
        response = client.put(
            "/api/admin/flags/chat_streaming",
            json={"enabled": False},
            headers={"Authorization": "Bearer wrong"},
        )

    assert response.status_code == 401


def test_admin_flag_switches_streaming_off(
    start_api: ApiFactory, store: SQLiteStore, settings: Settings
) -> None:
    api = start_api(
        store, app_settings=settings.model_copy(update={"admin_token": "s3cret"})
    )
    headers = {"Authorization": "Bearer s3cret"}
    with api.client() as client:
        put = client.put(
            "/api/admin/flags/chat_streaming", json={"enabled": False}, headers=headers
        )
        stream = client.get("/api/chat/stream", params={"q": "summarize"})

    assert put.status_code == 200
    assert put.json()["enabled"] is False
    assert put.json()["updated_by"].startswith("admin-api@")
    assert stream.status_code == 503
