"""URL options and settings of the `applylens` command: an invalid URL is a
one-line usage error, exit code 2, before any connection is tried."""

from __future__ import annotations

import socket
import sys

import pytest
from click.testing import CliRunner, Result

from applylens.cli.main import cli, main
from applylens.cli.urls import ES_URL, http_url
from applylens.config import Settings

BAD_URLS = {
    "word port": "http://127.0.0.1:notaport",
    "port too high": "http://127.0.0.1:99999",
    "port zero": "http://127.0.0.1:0",
    "no scheme": "notaurl",
    "host and port only": "127.0.0.1:9200",
    "other scheme": "ftp://127.0.0.1:2121",
    "no host": "http://:9200",
}

# Each command with a URL option, the option and the service the message names.
URL_OPTIONS = [
    (["--es-url", "{url}", "es", "verify"], "--es-url", "Elasticsearch"),
    (["es", "--es-url", "{url}", "verify"], "--es-url", "Elasticsearch"),
    (
        ["--backend", "elasticsearch", "--es-url", "{url}", "search", "interview"],
        "--es-url",
        "Elasticsearch",
    ),
    (["grafana", "push", "--url", "{url}", "--token", "x"], "--url", "Grafana"),
    (["drill", "--api-url", "{url}"], "--api-url", "API"),
    (["drill", "--proxy-url", "{url}"], "--proxy-url", "proxy"),
    (["drill", "--prometheus-url", "{url}"], "--prometheus-url", "Prometheus"),
    (["drill", "--es-url", "{url}"], "--es-url", "Elasticsearch"),
]


@pytest.fixture(autouse=True)
def no_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that opens a connection: every URL here must be rejected
    before the command connects."""

    def reject_connection(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a connection was attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", reject_connection)
    monkeypatch.setattr(socket.socket, "connect_ex", reject_connection)
    monkeypatch.setattr(socket, "create_connection", reject_connection)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def run_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int | str | None, str]:
    """Run `applylens ARGS` through main(), which reports invalid settings."""
    monkeypatch.setattr(sys, "argv", ["applylens", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    return exited.value.code, capsys.readouterr().err


def error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith("Error: ")]
    assert len(lines) == 1, output
    return lines[0]


# Options


@pytest.mark.parametrize("url", BAD_URLS.values(), ids=BAD_URLS.keys())
@pytest.mark.parametrize(
    ("arguments", "option", "service"),
    URL_OPTIONS,
    ids=[" ".join(case[0]).replace("{url}", "URL") for case in URL_OPTIONS],
)
def test_url_option_rejects_invalid_url(
    arguments: list[str], option: str, service: str, url: str
) -> None:
    result = invoke(*[url if part == "{url}" else part for part in arguments])

    assert result.exit_code == 2, result.output
    # CliRunner keeps an uncaught exception here, which would be a traceback.
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    line = error_line(result.output)
    assert f"Invalid value for '{option}'" in line
    assert f"invalid {service} URL {url!r}: " in line
    assert "use a URL like http://127.0.0.1:" in line


def test_url_option_names_bad_port() -> None:
    result = invoke("--es-url", "http://127.0.0.1:notaport", "es", "verify")

    line = error_line(result.output)
    assert "the port 'notaport' is not a number from 1 to 65535" in line


def test_url_option_names_missing_scheme() -> None:
    result = invoke("grafana", "push", "--url", "notaurl", "--token", "x")

    line = error_line(result.output)
    assert "missing scheme, expected http:// or https://" in line


def test_url_option_hides_password() -> None:
    url = "http://elastic:s3cret@127.0.0.1:notaport"

    result = invoke("es", "--es-url", url, "verify")

    assert result.exit_code == 2, result.output
    assert "s3cret" not in result.output
    assert "'http://elastic:***@127.0.0.1:notaport'" in result.output


def test_es_url_option_requires_http_port() -> None:
    result = invoke("es", "--es-url", "http://127.0.0.1", "verify")

    assert result.exit_code == 2, result.output
    assert "missing port" in error_line(result.output)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:3000",
        "https://127.0.0.1",
        "http://127.0.0.1",
        "HTTP://127.0.0.1:65535",
        "http://[::1]:3000",
        "http://localhost:3000/grafana/",
        "https://admin:secret@127.0.0.1:3000",
    ],
)
def test_http_url_option_accepts_valid_url(url: str) -> None:
    grafana_url = http_url("Grafana", "http://127.0.0.1:3000")

    assert grafana_url.convert(url, None, None) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9200",
        "https://127.0.0.1",
        "http://elastic:secret@127.0.0.1:9200/prefix",
        "http://[::1]:9200",
    ],
)
def test_es_url_option_accepts_valid_url(url: str) -> None:
    assert ES_URL.convert(url, None, None) == url


def test_drill_help_shows_url_metavar() -> None:
    result = invoke("drill", "--help")

    assert result.exit_code == 0, result.output
    for option in ("--api-url", "--proxy-url", "--prometheus-url", "--es-url"):
        assert f"{option} URL" in result.output


# Settings


@pytest.mark.parametrize("url", BAD_URLS.values(), ids=BAD_URLS.keys())
def test_es_url_setting_rejected_by_es_verify(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], url: str
) -> None:
    monkeypatch.setenv("APPLYLENS_ES_URL", url)

    code, error = run_main(monkeypatch, capsys, "es", "verify")

    assert code == 2, error
    assert error.startswith(f"Error: invalid APPLYLENS_ES_URL {url!r}: "), error
    assert len(error.strip().splitlines()) == 1, error


def test_es_url_setting_rejected_by_search(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("APPLYLENS_ES_URL", "http://127.0.0.1:notaport")

    code, error = run_main(
        monkeypatch, capsys, "--backend", "elasticsearch", "search", "interview"
    )

    assert code == 2, error
    assert "invalid APPLYLENS_ES_URL 'http://127.0.0.1:notaport'" in error
    assert "the port 'notaport' is not a number from 1 to 65535" in error


def test_es_url_setting_hides_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("APPLYLENS_ES_URL", "http://elastic:s3cret@127.0.0.1:99999")

    code, error = run_main(monkeypatch, capsys, "es", "verify")

    assert code == 2, error
    assert "s3cret" not in error
    assert "'http://elastic:***@127.0.0.1:99999'" in error


@pytest.mark.parametrize(
    "url",
    [
        "redis://127.0.0.1:notaport",
        "redis://127.0.0.1:99999/0",
        "http://127.0.0.1:6379",
        "notaurl",
        "redis+sentinel://127.0.0.1:26379,127.0.0.1:x/primary",
    ],
)
def test_redis_url_setting_rejected_by_serve(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], url: str
) -> None:
    def fail_serve(*args: object) -> None:
        raise AssertionError("serve started with an invalid APPLYLENS_REDIS_URL")

    monkeypatch.setattr("applylens.cli.serve._serve_one", fail_serve)
    monkeypatch.setattr("applylens.cli.serve._serve_many", fail_serve)
    monkeypatch.setenv("APPLYLENS_REDIS_URL", url)

    code, error = run_main(monkeypatch, capsys, "serve", "--port", "0")

    assert code == 2, error
    assert error.startswith(f"Error: invalid APPLYLENS_REDIS_URL {url!r}: "), error
    assert "use a URL like redis://127.0.0.1:6379/0" in error


@pytest.mark.parametrize(
    "url",
    [
        "redis://127.0.0.1:6379/0",
        "rediss://:secret@127.0.0.1:6380",
        "redis://127.0.0.1",
        "redis+unix:///run/redis/redis.sock",
        "redis+sentinel://127.0.0.1:26379,127.0.0.1:26380/primary",
    ],
)
def test_redis_url_setting_accepts_valid_url(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("APPLYLENS_REDIS_URL", url)

    assert Settings().redis_url == url


def test_empty_redis_url_setting_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPLYLENS_REDIS_URL", "")

    assert Settings().redis_url is None


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9200", "https://127.0.0.1", "http://[::1]:9200"]
)
def test_es_url_setting_accepts_valid_url(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("APPLYLENS_ES_URL", url)

    assert Settings().es_url == url


def test_other_invalid_setting_names_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("APPLYLENS_RETENTION_DAYS", "many")

    code, error = run_main(monkeypatch, capsys, "retention", "status")

    assert code == 2, error
    assert error.startswith("Error: invalid APPLYLENS_RETENTION_DAYS='many': "), error
