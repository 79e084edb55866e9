"""The project's nginx configuration: accepted by Debian's `nginx -t`, and the
stream location configured for Server-Sent Events."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from applylens.api.app import create_app
from deploy.stack import NGINX_DIR, nginx_argv, render_nginx, run_command
from support.live import free_port

SITE = (NGINX_DIR / "applylens.conf").read_text()


def location_block(path: str) -> str:
    match = re.search(rf"location = {re.escape(path)} \{{(.*?)\n    \}}", SITE, re.S)
    assert match, f"no `location = {path}` block in applylens.conf"
    return match.group(1)


def directive(block: str, name: str) -> str | None:
    match = re.search(rf"^\s*{name}\s+([^;]+);", block, re.M)
    return match.group(1).strip() if match else None


def test_nginx_accepts_configuration(tmp_path: Path) -> None:
    upstream = f"127.0.0.1:{free_port()}"
    config = render_nginx(tmp_path, upstream, f"127.0.0.1:{free_port()}")
    result = run_command(nginx_argv(config, "-t"))
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr, result.stderr


def test_nginx_rejects_broken_configuration(tmp_path: Path) -> None:
    config = render_nginx(tmp_path, "127.0.0.1:9", f"127.0.0.1:{free_port()}")
    site = tmp_path / "applylens.conf"
    broken = site.read_text().replace("proxy_buffering off;", "proxy_buffering;")
    site.write_text(broken)
    result = run_command(nginx_argv(config, "-t"))
    assert result.returncode != 0, result.stderr


def test_nginx_render_points_upstream_at_loopback(tmp_path: Path) -> None:
    render_nginx(tmp_path, "127.0.0.1:18000", "127.0.0.1:18080")
    site = (tmp_path / "applylens.conf").read_text()
    assert "server 127.0.0.1:18000;" in site


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("proxy_buffering", "off", id="no-buffering"),
        pytest.param("proxy_cache", "off", id="no-cache"),
        pytest.param("gzip", "off", id="no-compression"),
        pytest.param("proxy_pass_header", "X-Accel-Buffering", id="accel-header"),
    ],
)
def test_nginx_stream_location_directive(name: str, expected: str) -> None:
    assert directive(location_block("/api/chat/stream"), name) == expected


def test_nginx_stream_read_timeout_exceeds_ping() -> None:
    timeout = directive(location_block("/api/chat/stream"), "proxy_read_timeout")
    assert timeout and timeout.endswith("s"), timeout
    ping_seconds = create_app.__kwdefaults__["ping_interval"]
    assert float(timeout[:-1]) > 2 * ping_seconds, timeout


def test_nginx_replaces_forwarded_for() -> None:
    assert directive(SITE, "proxy_set_header X-Forwarded-For") == "$remote_addr"


def test_nginx_hides_metrics() -> None:
    assert directive(location_block("/metrics"), "return") == "404"
