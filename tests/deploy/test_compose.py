"""docker-compose.prod.yml checked by the compose client (`config` needs no
Docker engine), the Dockerfile read instruction by instruction, and the
production Prometheus configuration checked by promtool."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.stack import PROMETHEUS_DIR
from support.live import REPO_ROOT

COMPOSE = "/usr/bin/docker-compose"
PROMTOOL = "/usr/bin/promtool"
COMPOSE_FILE = REPO_ROOT / "docker-compose.prod.yml"
ENV_EXAMPLE = REPO_ROOT / "infra" / ".env.prod.example"
DOCKERFILE = REPO_ROOT / "Dockerfile"
SECRETS = {
    "APPLYLENS_ADMIN_TOKEN": "admin-token-for-the-test",
    "APPLYLENS_METRICS_TOKEN": "metrics-token-for-the-test",
    "GRAFANA_ADMIN_PASSWORD": "grafana-password-for-the-test",
}
LOOPBACK_SERVICES = ("grafana", "prometheus")


def env_lines(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value
    return values


def write_env(path: Path, overrides: dict[str, str]) -> None:
    """Write the example with `overrides` in place of its values."""
    lines = []
    for line in ENV_EXAMPLE.read_text().splitlines():
        name = line.partition("=")[0]
        if not line.startswith("#") and name in overrides:
            line = f"{name}={overrides[name]}"
        lines.append(line)
    path.write_text("\n".join(lines) + "\n")


def make_project(directory: Path, overrides: dict[str, str]) -> Path:
    """Copy the compose file and what it mounts into `directory`, with
    infra/.env.prod made from the example, as an operator would."""
    shutil.copy(COMPOSE_FILE, directory)
    shutil.copy(DOCKERFILE, directory)
    shutil.copytree(
        REPO_ROOT / "infra",
        directory / "infra",
        ignore=shutil.ignore_patterns(".env.prod"),
    )
    write_env(directory / "infra" / ".env.prod", overrides)
    return directory


def compose_config(project: Path) -> subprocess.CompletedProcess[str]:
    argv = [
        COMPOSE,
        "-f",
        "docker-compose.prod.yml",
        "--env-file",
        "infra/.env.prod",
        "config",
    ]
    # Only PATH, so that no variable of this shell fills in for the file.
    env = {"PATH": "/usr/bin:/bin"}
    return subprocess.run(
        argv, cwd=project, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    project = make_project(
        tmp_path_factory.mktemp("compose"),
        {**SECRETS, "CHAT_STREAMING_ENABLED": "false"},
    )
    result = compose_config(project)
    assert result.returncode == 0, result.stderr
    loaded: dict[str, Any] = yaml.safe_load(result.stdout)
    return loaded


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return loaded


def published(service: dict[str, Any]) -> list[tuple[str, str]]:
    """Return (host address, host port) of each published port; an empty
    address means every interface."""
    ports = []
    for port in service.get("ports", []):
        if isinstance(port, dict):
            ports.append((port.get("host_ip", ""), str(port["published"])))
            continue
        parts = str(port).split("/")[0].split(":")
        address = parts[0] if len(parts) == 3 else ""
        ports.append((address, parts[-2]))
    return ports


def test_compose_lists_every_service(config: dict[str, Any]) -> None:
    expected = {"api", "elasticsearch", "redis", "prometheus", "grafana", "nginx"}
    assert set(config["services"]) == expected


@pytest.mark.parametrize(
    "name", ["api", "elasticsearch", "redis", "prometheus", "grafana", "nginx"]
)
def test_compose_service_has_healthcheck(config: dict[str, Any], name: str) -> None:
    healthcheck = config["services"][name].get("healthcheck", {})
    assert healthcheck.get("test"), f"{name} has no health check: {healthcheck}"


def test_compose_only_nginx_publishes_to_network(config: dict[str, Any]) -> None:
    open_to_network = {
        name
        for name, service in config["services"].items()
        for address, _ in published(service)
        if address in ("", "0.0.0.0", "::")
    }
    assert open_to_network == {"nginx"}


@pytest.mark.parametrize("name", LOOPBACK_SERVICES)
def test_compose_operator_ports_bind_loopback(
    config: dict[str, Any], name: str
) -> None:
    for address, port in published(config["services"][name]):
        assert address == "127.0.0.1", f"{name} publishes {port} on {address!r}"


@pytest.mark.parametrize("name", ["api", "elasticsearch", "redis"])
def test_compose_backend_services_publish_nothing(
    config: dict[str, Any], name: str
) -> None:
    assert published(config["services"][name]) == []


def test_compose_grafana_password_has_no_default(raw: dict[str, Any]) -> None:
    value = raw["services"]["grafana"]["environment"]["GF_SECURITY_ADMIN_PASSWORD"]
    assert re.fullmatch(r"\$\{GRAFANA_ADMIN_PASSWORD:\?[^}]+\}", value), value


def test_compose_grafana_password_comes_from_environment(
    config: dict[str, Any],
) -> None:
    environment = config["services"]["grafana"]["environment"]
    expected = SECRETS["GRAFANA_ADMIN_PASSWORD"]
    assert environment["GF_SECURITY_ADMIN_PASSWORD"] == expected


def test_compose_without_grafana_password_fails(tmp_path: Path) -> None:
    project = make_project(tmp_path, {**SECRETS, "GRAFANA_ADMIN_PASSWORD": ""})
    result = compose_config(project)
    assert result.returncode != 0, result.stdout
    assert "GRAFANA_ADMIN_PASSWORD" in result.stderr, result.stderr


def test_compose_without_metrics_token_fails(tmp_path: Path) -> None:
    project = make_project(tmp_path, {**SECRETS, "APPLYLENS_METRICS_TOKEN": ""})
    result = compose_config(project)
    assert result.returncode != 0, result.stdout
    assert "APPLYLENS_METRICS_TOKEN" in result.stderr, result.stderr


def test_compose_api_reads_env_file(raw: dict[str, Any]) -> None:
    assert raw["services"]["api"]["env_file"] == ["infra/.env.prod"]


def test_compose_streaming_flag_comes_from_env_file(config: dict[str, Any]) -> None:
    environment = config["services"]["api"]["environment"]
    assert environment["CHAT_STREAMING_ENABLED"] == "false"


def test_env_example_sets_streaming_flag() -> None:
    assert env_lines(ENV_EXAMPLE)["CHAT_STREAMING_ENABLED"] == "true"


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_env_example_leaves_secret_empty(name: str) -> None:
    assert env_lines(ENV_EXAMPLE)[name] == ""


def test_env_file_is_ignored_by_git() -> None:
    ignored = (REPO_ROOT / ".gitignore").read_text().splitlines()
    assert "infra/.env.prod" in ignored


def test_compose_api_gets_no_grafana_password(config: dict[str, Any]) -> None:
    environment = config["services"]["api"]["environment"]
    assert environment.get("GRAFANA_ADMIN_PASSWORD", "") == ""


def test_compose_api_runs_multi_user(config: dict[str, Any]) -> None:
    environment = config["services"]["api"]["environment"]
    assert environment["APPLYLENS_MULTI_USER"] == "true"


def test_compose_prometheus_gets_metrics_token(config: dict[str, Any]) -> None:
    environment = config["services"]["prometheus"]["environment"]
    assert environment["APPLYLENS_METRICS_TOKEN"] == SECRETS["APPLYLENS_METRICS_TOKEN"]


def test_compose_prometheus_uses_production_config(config: dict[str, Any]) -> None:
    command = " ".join(config["services"]["prometheus"]["command"])
    assert "--config.file=/etc/prometheus/prometheus.prod.yml" in command, command


def test_compose_metrics_dir_belongs_to_api_user(config: dict[str, Any]) -> None:
    uid = re.search(r"--uid (\d+)", DOCKERFILE.read_text())
    assert uid, "the Dockerfile creates no user with a fixed uid"
    tmpfs = config["services"]["api"]["tmpfs"]
    assert f"/run/applylens/metrics:uid={uid.group(1)},mode=0700" in tmpfs, tmpfs


def without_authorization(config: dict[str, Any]) -> dict[str, Any]:
    for job in config["scrape_configs"]:
        job.pop("authorization", None)
    return config


def test_prometheus_prod_config_adds_only_authorization() -> None:
    base = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    prod = yaml.safe_load((PROMETHEUS_DIR / "prometheus.prod.yml").read_text())
    assert without_authorization(prod) == without_authorization(base)


def test_prometheus_prod_config_sends_bearer_token() -> None:
    prod = yaml.safe_load((PROMETHEUS_DIR / "prometheus.prod.yml").read_text())
    (job,) = prod["scrape_configs"]
    assert job["authorization"]["type"] == "Bearer"


def test_prometheus_prod_config_passes_promtool(tmp_path: Path) -> None:
    text = (PROMETHEUS_DIR / "prometheus.prod.yml").read_text()
    token = tmp_path / "metrics-token"
    token.write_text("token")
    text = text.replace("/run/applylens-secrets/metrics-token", str(token))
    shutil.copy(PROMETHEUS_DIR / "applylens-rules.yml", tmp_path)
    config = tmp_path / "prometheus.yml"
    config.write_text(text)
    result = subprocess.run(
        [PROMTOOL, "check", "config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# The Dockerfile


def instructions(path: Path) -> list[tuple[str, str]]:
    """Return the (instruction, arguments) pairs, continuation lines joined."""
    joined = re.sub(r"\\\n", " ", path.read_text())
    pairs = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            pairs.append((keyword.upper(), " ".join(rest.split())))
    return pairs


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    return instructions(DOCKERFILE)


def arguments_of(dockerfile: list[tuple[str, str]], keyword: str) -> list[str]:
    return [rest for name, rest in dockerfile if name == keyword]


def test_dockerfile_starts_from_python_311(dockerfile: list) -> None:
    assert dockerfile[0][0] == "FROM"
    assert dockerfile[0][1].startswith("python:3.11"), dockerfile[0]


def test_dockerfile_copies_existing_sources(dockerfile: list) -> None:
    for rest in arguments_of(dockerfile, "COPY"):
        *sources, _ = rest.split()
        for source in sources:
            assert (REPO_ROOT / source).exists(), f"COPY source {source!r} is missing"


def test_dockerfile_copies_package_and_constraints(dockerfile: list) -> None:
    sources = " ".join(arguments_of(dockerfile, "COPY"))
    for needed in ("pyproject.toml", "src", "requirements/constraints.txt"):
        assert needed in sources, sources


def test_dockerfile_installs_package_with_constraints(dockerfile: list) -> None:
    runs = " ".join(arguments_of(dockerfile, "RUN"))
    assert re.search(r"pip install -c requirements/constraints.txt \.(\s|$)", runs)


def test_dockerfile_runs_as_unprivileged_user(dockerfile: list) -> None:
    users = arguments_of(dockerfile, "USER")
    assert users and users[-1] not in ("root", "0"), users


def test_dockerfile_serves_with_workers(dockerfile: list) -> None:
    (command,) = arguments_of(dockerfile, "CMD")
    argv = yaml.safe_load(command)
    assert argv[:2] == ["applylens", "serve"], argv
    assert "--workers" in argv, argv


def test_dockerfile_port_matches_nginx_upstream(dockerfile: list) -> None:
    (port,) = arguments_of(dockerfile, "EXPOSE")
    site = (REPO_ROOT / "infra" / "nginx" / "applylens.conf").read_text()
    assert f"server api:{port};" in site


def test_dockerfile_has_healthcheck(dockerfile: list) -> None:
    (healthcheck,) = arguments_of(dockerfile, "HEALTHCHECK")
    assert "/healthz" in healthcheck, healthcheck
