"""`applylens serve`: run the HTTP API and the web page."""

from __future__ import annotations

import ipaddress
import logging
import os
import shutil
import sys
from pathlib import Path

import click

from applylens.cli.data_files import check_data_dir, state_database_errors
from applylens.config import Settings, get_settings
from applylens.state import connect_state

logger = logging.getLogger(__name__)

MULTIPROC_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_exposure(settings: Settings, host: str) -> None:
    # Single-user mode has no login, so anyone who can reach the port can
    # read the mailbox; it is only allowed on the loopback interface.
    if settings.multi_user or _is_loopback(host):
        return
    raise click.UsageError(
        f"--host {host!r} would expose the mailbox without a login: single-user "
        "mode serves only 127.0.0.1. Set APPLYLENS_MULTI_USER=true and add users "
        "with 'applylens users add' to serve other hosts."
    )


def prepare_multiprocess_dir(settings: Settings) -> Path:
    """Return an empty directory for Prometheus multiprocess files.

    Files left by an earlier run would add its counts to this one's, so any
    `*.db` file in the directory is removed; other files are left alone.
    """
    raw = os.environ.get(MULTIPROC_DIR_VARIABLE)
    directory = Path(raw) if raw else settings.data_dir / "prometheus-multiproc"
    if not raw and directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for leftover in directory.glob("*.db"):
        leftover.unlink()
    return directory


def _check_state_database(settings: Settings) -> None:
    """Open the state database once, so that a data folder the API cannot use
    fails here in one line instead of in the server's start-up."""
    check_data_dir(settings)
    with state_database_errors(settings):
        connect_state(settings.state_path).close()


def _prepare_metrics_dir(settings: Settings) -> Path:
    try:
        return prepare_multiprocess_dir(settings)
    except OSError as exc:
        variable = (
            MULTIPROC_DIR_VARIABLE
            if os.environ.get(MULTIPROC_DIR_VARIABLE)
            else "APPLYLENS_DATA_DIR"
        )
        raise click.ClickException(
            f"failed to prepare the folder for Prometheus multiprocess files: "
            f"{exc} (set {variable} to change it)"
        ) from exc


def _serve_one(settings: Settings, host: str, port: int, log_level: str) -> None:
    import uvicorn

    from applylens.api import create_app

    logging.getLogger("applylens").setLevel(log_level.upper())
    if os.environ.get(MULTIPROC_DIR_VARIABLE):
        _prepare_metrics_dir(settings)
    app = create_app(settings)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        # The API reads X-Forwarded-For itself, from trusted proxies only.
        proxy_headers=False,
        timeout_graceful_shutdown=10,
    )


def _serve_many(
    settings: Settings, host: str, port: int, workers: int, log_level: str
) -> None:
    directory = _prepare_metrics_dir(settings)
    if not settings.redis_url:
        click.echo(
            f"warning: without APPLYLENS_REDIS_URL each of the {workers} workers "
            f"counts its own rate limit, so a client may send up to {workers} "
            f"times {settings.rate_limit}",
            err=True,
        )
    env = {
        **os.environ,
        MULTIPROC_DIR_VARIABLE: str(directory),
        "APPLYLENS_BIND": f"{host}:{port}",
        "APPLYLENS_WORKERS": str(workers),
        "APPLYLENS_LOG_LEVEL": log_level.upper(),
    }
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:applylens.api.gunicorn_conf",
        "applylens.api.app:create_app()",
    ]
    click.echo(
        f"starting {workers} workers on http://{host}:{port} "
        f"(metrics files in {directory})",
        err=True,
    )
    # gunicorn runs as a fresh process because the multiprocess variable must
    # be set before prometheus_client is first imported in the workers.
    os.execve(sys.executable, argv, env)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes; more than 1 runs gunicorn with uvicorn workers.",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"]),
)
def serve_command(host: str, port: int, workers: int, log_level: str) -> None:
    """Serve the chat API and the web page over the imported mailbox."""
    settings = get_settings()
    _check_exposure(settings, host)
    _check_state_database(settings)
    if workers == 1:
        _serve_one(settings, host, port, log_level)
    else:
        _serve_many(settings, host, port, workers, log_level)


def register(group: click.Group) -> None:
    group.add_command(serve_command)
