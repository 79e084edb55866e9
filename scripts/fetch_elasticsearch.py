#!/usr/bin/env python3
"""Fetch, cache and run the Elasticsearch builds the test suite uses.

The builds are the `integ-test-zip` distribution from Maven Central, fetched
through Maven so that its local repository (~/.m2) keeps the archive, and
unpacked once into a cache folder. That distribution has no ILM, reindex or
analysis-common module; the tests rely only on what it has.

Elasticsearch refuses to start as root, so when this runs as root it creates
the unprivileged system account `applylens-es` and starts nodes under it.

    scripts/fetch_elasticsearch.py              fetch every pinned version
    scripts/fetch_elasticsearch.py run 8.19.8   start one node in the foreground
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

MAVEN_GROUP = "org.elasticsearch.distribution.integ-test-zip"
SERVICE_USER = "applylens-es"

# Elasticsearch 8.x runs on Java 17; 9.x needs Java 21 or newer.
JAVA_HOMES = {
    "8": Path("/usr/lib/jvm/java-17-openjdk-amd64"),
    "9": Path("/usr/lib/jvm/temurin-25-jdk-amd64"),
}
PINNED_VERSIONS = ("8.19.8", "9.2.0")
START_TIMEOUT_SECONDS = 180.0


def cache_root() -> Path:
    """Return the folder that keeps unpacked builds.

    As root it sits outside /root, which is private, so that the service
    account can read the build.
    """
    if os.geteuid() == 0:
        return Path("/var/cache/applylens/elasticsearch")
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "applylens" / "elasticsearch"


def java_home_for(version: str) -> Path:
    major = version.split(".", 1)[0]
    java_home = JAVA_HOMES.get(major)
    if java_home is None or not (java_home / "bin" / "java").exists():
        raise SystemExit(
            f"no JDK for Elasticsearch {version!r}: expected one of "
            f"{sorted(str(p) for p in JAVA_HOMES.values())}"
        )
    return java_home


def _maven_archive(version: str) -> Path:
    group_path = MAVEN_GROUP.replace(".", "/")
    return (
        Path.home()
        / ".m2/repository"
        / group_path
        / f"elasticsearch/{version}/elasticsearch-{version}.zip"
    )


def _download_with_maven(version: str) -> Path:
    archive = _maven_archive(version)
    if archive.exists():
        return archive
    if shutil.which("mvn") is None:
        raise SystemExit("Maven (mvn) is missing: install the Debian package maven")
    artifact = f"{MAVEN_GROUP}:elasticsearch:{version}:zip"
    print(f"fetching {artifact} with Maven", flush=True)
    with tempfile.TemporaryDirectory() as out_dir:
        subprocess.run(
            [
                "mvn",
                "-q",
                "dependency:copy",
                f"-Dartifact={artifact}",
                f"-DoutputDirectory={out_dir}",
            ],
            check=True,
        )
    if not archive.exists():
        raise SystemExit(f"Maven finished but {archive} is missing")
    return archive


def _unzip_with_modes(archive: Path, target: Path) -> None:
    # zipfile drops the Unix mode bits; the launch scripts need their x bit.
    with zipfile.ZipFile(archive) as zipped:
        for info in zipped.infolist():
            path = Path(zipped.extract(info, target))
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                path.chmod(mode | 0o444 | (0o111 if path.is_dir() else 0))


def fetch(version: str) -> Path:
    """Return the home folder of Elasticsearch `version`, unpacking it once."""
    home = cache_root() / version / f"elasticsearch-{version}"
    if (home / "bin" / "elasticsearch").exists():
        return home
    archive = _download_with_maven(version)
    staging = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=_make_cache_dir()))
    _unzip_with_modes(archive, staging)
    home.parent.mkdir(parents=True, exist_ok=True)
    (staging / home.name).rename(home)
    shutil.rmtree(staging, ignore_errors=True)
    subprocess.run(["chmod", "-R", "a+rX", str(home)], check=True)
    print(f"unpacked Elasticsearch {version} into {home}", flush=True)
    return home


def _make_cache_dir() -> Path:
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    for folder in (root, *root.parents):
        if folder == Path("/var/cache"):
            break
        folder.chmod(folder.stat().st_mode | 0o755)
    return root


def ensure_service_user() -> str | None:
    """Return the account to run nodes as: None for the current user, or the
    system account created on first use when running as root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                SERVICE_USER,
            ],
            check=True,
        )
    return SERVICE_USER


@dataclass
class LocalNode:
    """A single-node Elasticsearch on 127.0.0.1 with its files in a temporary
    folder, started by `start()` and removed by `stop()`."""

    version: str
    heap: str = "512m"
    run_dir: Path = field(init=False)
    url: str = field(init=False, default="")
    process: subprocess.Popen[bytes] | None = field(init=False, default=None)

    def start(self, timeout: float = START_TIMEOUT_SECONDS) -> str:
        home = fetch(self.version)
        user = ensure_service_user()
        self.run_dir = Path(tempfile.mkdtemp(prefix=f"applylens-es-{self.version}-"))
        self._prepare_dirs(home, user)
        with (self.run_dir / "console.log").open("wb") as console:
            self.process = subprocess.Popen(
                self._command(home),
                cwd=self.run_dir,
                env=self._environment(),
                stdout=console,
                stderr=subprocess.STDOUT,
                user=user,
                group=user,
                extra_groups=[] if user else None,
                start_new_session=True,
            )
        self.url = self._wait_until_ready(timeout)
        return self.url

    def _prepare_dirs(self, home: Path, user: str | None) -> None:
        shutil.copytree(home / "config", self.run_dir / "config")
        for name in ("data", "logs", "tmp"):
            (self.run_dir / name).mkdir()
        if user is not None:
            entry = pwd.getpwnam(user)
            for path in [self.run_dir, *self.run_dir.rglob("*")]:
                os.chown(path, entry.pw_uid, entry.pw_gid)

    def _command(self, home: Path) -> list[str]:
        settings = {
            "cluster.name": f"applylens-test-{self.version}",
            "node.name": "node-1",
            "discovery.type": "single-node",
            "network.host": "127.0.0.1",
            # Port 0 lets the kernel pick free ports; the ports file tells
            # which ones, so two test runs never race for a port.
            "http.port": "0",
            "transport.port": "0",
            "node.portsfile": "true",
            "path.data": str(self.run_dir / "data"),
            "path.logs": str(self.run_dir / "logs"),
            "xpack.security.enabled": "false",
            "cluster.routing.allocation.disk.threshold_enabled": "false",
            "action.destructive_requires_name": "false",
        }
        command = [str(home / "bin" / "elasticsearch")]
        for key, value in settings.items():
            command += ["-E", f"{key}={value}"]
        return command

    def _environment(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("ES_", "JAVA_"))
        }
        env.update(
            ES_JAVA_HOME=str(java_home_for(self.version)),
            ES_PATH_CONF=str(self.run_dir / "config"),
            ES_TMPDIR=str(self.run_dir / "tmp"),
            ES_JAVA_OPTS=f"-Xms{self.heap} -Xmx{self.heap}",
        )
        return env

    def _wait_until_ready(self, timeout: float) -> str:
        ports_file = self.run_dir / "logs" / "http.ports"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(
                    f"Elasticsearch {self.version} exited with code "
                    f"{self.process.returncode}:\n{self.console_tail()}"
                )
            if ports_file.exists() and ports_file.read_text().strip():
                url = "http://" + ports_file.read_text().split()[0]
                if _cluster_is_ready(url):
                    return url
            time.sleep(0.5)
        self.stop()
        raise TimeoutError(
            f"Elasticsearch {self.version} was not ready after {timeout:.0f}s:\n"
            f"{self.console_tail()}"
        )

    def console_tail(self, lines: int = 30) -> str:
        path = self.run_dir / "console.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, timeout: float = 60.0) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout)
        if getattr(self, "run_dir", None) is not None:
            shutil.rmtree(self.run_dir, ignore_errors=True)


def _cluster_is_ready(url: str) -> bool:
    health_url = f"{url}/_cluster/health?wait_for_status=yellow&timeout=1s"
    try:
        with urllib.request.urlopen(health_url, timeout=5) as response:
            status = json.load(response).get("status")
    except (OSError, urllib.error.URLError, ValueError):
        return False
    return status in ("green", "yellow")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", help="start one node and wait for Ctrl-C")
    run.add_argument("version", choices=PINNED_VERSIONS)
    args = parser.parse_args(argv)

    if args.command == "run":
        node = LocalNode(args.version)
        print(f"Elasticsearch {args.version} is up at {node.start()}", flush=True)
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass
        finally:
            node.stop()
        return 0

    ensure_service_user()
    for version in PINNED_VERSIONS:
        java_home_for(version)
        print(f"Elasticsearch {version}: {fetch(version)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
