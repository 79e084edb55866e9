"""The production configuration rendered for 127.0.0.1: Debian's nginx with
the project's nginx files, Prometheus with the production scrape
configuration, Redis and a real Elasticsearch, each stopped by its fixture."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import httpx
import yaml

from support.live import (
    REPO_ROOT,
    SCRAPE_INTERVAL_SECONDS,
    Service,
    free_port,
    launch_prometheus,
    start_service,
    wait_until,
)

NGINX = "/usr/sbin/nginx"
REDIS = "/usr/bin/redis-server"
PROMETHEUS = "/usr/bin/prometheus"
NGINX_DIR = REPO_ROOT / "infra" / "nginx"
PROMETHEUS_DIR = REPO_ROOT / "infra" / "prometheus"
MIME_TYPES = Path("/etc/nginx/mime.types")


def _replace_once(text: str, old: str, new: str, source: Path) -> str:
    # Exactly one match, so that a changed file fails here rather than
    # rendering into a configuration that silently differs from production.
    count = text.count(old)
    assert count == 1, f"expected {old!r} once in {source}, found it {count} times"
    return text.replace(old, new)


def render_nginx(directory: Path, upstream: str, listen: str) -> Path:
    """Write the project's nginx files into `directory` with the upstream and
    listen addresses, pid and temporary paths changed; return nginx.conf."""
    main_source = NGINX_DIR / "nginx.conf"
    site_source = NGINX_DIR / "applylens.conf"
    site = site_source.read_text()
    site = _replace_once(site, "server api:8000;", f"server {upstream};", site_source)
    site = _replace_once(site, "listen 8080;", f"listen {listen};", site_source)
    (directory / "applylens.conf").write_text(site)

    main = main_source.read_text()
    main = _replace_once(
        main,
        "include /etc/nginx/conf.d/applylens.conf;",
        f"include {directory / 'applylens.conf'};",
        main_source,
    )
    main = _replace_once(
        main, "include /etc/nginx/mime.types;", f"include {MIME_TYPES};", main_source
    )
    main = _replace_once(
        main, "pid /tmp/nginx.pid;", f"pid {directory / 'nginx.pid'};", main_source
    )
    main = main.replace("/tmp/nginx-", f"{directory}/nginx-")
    path = directory / "nginx.conf"
    path.write_text(main)
    return path


def nginx_argv(config: Path, *extra: str) -> list[str]:
    directory = config.parent
    # Workers run as root so that they can use the temporary folders under
    # pytest's private directory.
    return [
        NGINX,
        "-p",
        str(directory),
        "-c",
        str(config),
        "-e",
        str(directory / "error.log"),
        "-g",
        "daemon off; user root;",
        *extra,
    ]


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def start_nginx(directory: Path, upstream_url: str) -> tuple[Service, str]:
    """Start Debian's nginx with the project's configuration in front of
    `upstream_url` (http://127.0.0.1:PORT); return it with its URL."""
    port = free_port()
    upstream = upstream_url.removeprefix("http://")
    config = render_nginx(directory, upstream, f"127.0.0.1:{port}")
    service = start_service("nginx", nginx_argv(config), {}, directory / "nginx.log")

    def ready() -> bool:
        service.assert_running()
        return port_open(port)

    try:
        wait_until(ready, 30, f"nginx on port {port}", directory / "error.log")
    except BaseException:
        service.stop()
        raise
    return service, f"http://127.0.0.1:{port}"


def start_redis(directory: Path) -> tuple[Service, str]:
    port = free_port()
    argv = [
        REDIS,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(directory),
    ]
    service = start_service("redis", argv, {}, directory / "redis.log")
    try:
        wait_until(lambda: port_open(port), 30, f"Redis on port {port}", service.log)
    except BaseException:
        service.stop()
        raise
    return service, f"redis://127.0.0.1:{port}/0"


def write_prometheus_prod_config(directory: Path, target: str, token: str) -> Path:
    """Write prometheus.prod.yml with `target` as the API, a one-second
    scrape interval, the rules by absolute path and `token` as credentials."""
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.prod.yml").read_text())
    interval = f"{SCRAPE_INTERVAL_SECONDS}s"
    config["global"]["scrape_interval"] = interval
    config["global"]["evaluation_interval"] = interval
    config["rule_files"] = [str(PROMETHEUS_DIR / name) for name in config["rule_files"]]
    (job,) = config["scrape_configs"]
    job["scrape_interval"] = interval
    job["scrape_timeout"] = interval
    job["static_configs"][0]["targets"] = [target]
    token_file = directory / "metrics-token"
    token_file.write_text(token)
    job["authorization"]["credentials_file"] = str(token_file)
    path = directory / "prometheus.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def start_prometheus_prod(
    directory: Path, target: str, token: str
) -> tuple[Service, str]:
    config = write_prometheus_prod_config(directory, target, token)
    return launch_prometheus(directory, config)


def scrape_health(prometheus_url: str, job: str) -> str:
    """Return the health Prometheus reports for `job`'s target."""
    answer = httpx.get(prometheus_url + "/api/v1/targets", timeout=10).json()
    for target in answer["data"]["activeTargets"]:
        if target["labels"].get("job") == job:
            return str(target["health"])
    return "missing"


def wait_for_healthy_scrape(prometheus_url: str, job: str) -> None:
    wait_until(
        lambda: scrape_health(prometheus_url, job) == "up",
        30,
        f"a successful scrape of {job}",
    )


def load_fetch_elasticsearch() -> ModuleType:
    """Load scripts/fetch_elasticsearch.py, which starts the cached builds."""
    name = "fetch_elasticsearch"
    if name in sys.modules:
        return sys.modules[name]
    path = REPO_ROOT / "scripts" / "fetch_elasticsearch.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def run_command(
    argv: list[str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
