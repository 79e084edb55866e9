"""Metrics with several workers: `applylens serve --workers 2` runs gunicorn with
uvicorn workers in Prometheus multiprocess mode, and every scrape, whichever
worker serves it, shows the requests of all workers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families

from support.live import Service, start_api

pytestmark = [pytest.mark.services, pytest.mark.slow]

ROUTE = "/api/chat/intents"
ROUNDS = 5
REQUESTS_PER_ROUND = 20
EXTRA_BATCHES = 20


@dataclass
class Workers:
    service: Service
    base_url: str
    multiproc_dir: Path


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workers]:
    data_dir = tmp_path_factory.mktemp("workers-data")
    multiproc_dir = tmp_path_factory.mktemp("workers-multiproc")
    service, base_url = start_api(
        data_dir,
        tmp_path_factory.mktemp("workers-logs"),
        "--workers",
        "2",
        PROMETHEUS_MULTIPROC_DIR=str(multiproc_dir),
    )
    try:
        yield Workers(service, base_url, multiproc_dir)
    finally:
        service.stop()


def fresh_connection_get(url: str) -> httpx.Response:
    # A new connection per request lets the kernel hand it to either worker,
    # whereas a kept-alive connection would stay with one.
    return httpx.get(url, headers={"Connection": "close"}, timeout=30)


def send_batch(base_url: str, count: int) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(
            pool.map(
                lambda _: fresh_connection_get(base_url + ROUTE).status_code,
                range(count),
            )
        )
    assert statuses == [200] * count


def scrape_total(base_url: str) -> float:
    response = fresh_connection_get(base_url + "/metrics")
    assert response.status_code == 200, response.text
    total = 0.0
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if (
                sample.name == "applylens_http_requests_total"
                and sample.labels.get("path") == ROUTE
            ):
                total += sample.value
    return total


def requests_per_worker(multiproc_dir: Path) -> dict[str, float]:
    """Read each worker's counter file and return its count of ROUTE."""
    counts: dict[str, float] = {}
    for path in multiproc_dir.glob("counter_*.db"):
        pid = path.stem.removeprefix("counter_")
        for key, value, _timestamp, _position in MmapedDict.read_all_values_from_file(
            str(path)
        ):
            name, sample_name, labels, *_ = json.loads(key)
            if (
                sample_name == "applylens_http_requests_total"
                and labels.get("path") == ROUTE
            ):
                counts[pid] = counts.get(pid, 0.0) + value
    return counts


@pytest.fixture(scope="module")
def round_totals(workers: Workers) -> list[tuple[int, float]]:
    """Send ROUNDS batches of requests, scraping after each; return the
    number sent so far with the total each scrape showed."""
    sent = 0
    totals = []
    for _ in range(ROUNDS):
        send_batch(workers.base_url, REQUESTS_PER_ROUND)
        sent += REQUESTS_PER_ROUND
        totals.append((sent, scrape_total(workers.base_url)))
    return totals


def test_workers_scrapes_count_every_request(
    round_totals: list[tuple[int, float]],
) -> None:
    for sent, total in round_totals:
        assert total >= sent, f"scrape shows {total} after {sent} requests"

    assert round_totals[-1][0] >= 100
    assert round_totals[-1][1] == round_totals[-1][0], round_totals


def test_workers_scrape_totals_never_go_down(
    workers: Workers, round_totals: list[tuple[int, float]]
) -> None:
    totals = [total for _, total in round_totals]
    totals += [scrape_total(workers.base_url) for _ in range(ROUNDS)]

    assert min(totals[-ROUNDS:]) >= 100, totals
    assert totals == sorted(totals), f"totals went down: {totals}"


def test_workers_both_serve_requests(workers: Workers) -> None:
    # The kernel decides which worker accepts each connection; more batches
    # make it all but certain that both get some.
    for _ in range(EXTRA_BATCHES):
        counts = requests_per_worker(workers.multiproc_dir)
        if sum(1 for value in counts.values() if value > 0) >= 2:
            break
        send_batch(workers.base_url, REQUESTS_PER_ROUND)

    counts = requests_per_worker(workers.multiproc_dir)
    assert sum(1 for value in counts.values() if value > 0) >= 2, counts
    assert scrape_total(workers.base_url) == sum(counts.values())


def test_workers_streaming_flag_is_one_sample(workers: Workers) -> None:
    response = fresh_connection_get(workers.base_url + "/metrics")

    samples = [
        sample
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
        if sample.name == "applylens_chat_streaming_enabled"
    ]
    assert len(samples) == 1, samples
    assert samples[0].value == 1.0
