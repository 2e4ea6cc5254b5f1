"""``/metrics`` of `accord serve --workers N` run as people run it: whichever server process
answers a scrape, the counts are those of all of them and of `accord worker` processes sharing
the directory; the directory is emptied at start (a restart counts from zero); a temporary one
made for the run is removed at its end."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from accord import store
from tests.cli.server import STOPPED, start, stop, wait_healthy

TOKEN = "a-scrape-token-of-the-tests"
READY = {"route": "/ready", "status": "200"}
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(base: str) -> Samples:
    """Every sample of a scrape, by name and labels."""
    answer = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
    assert answer.status_code == 200, answer.text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
    }


def sample(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    """The sum of the samples named ``name`` with ``labels`` (0 when there are none)."""
    return sum(
        v
        for (n, found), v in samples.items()
        if n == name and labels.items() <= dict(found).items()
    )


def per_process(directory: Path, name: str, **labels: str) -> list[float]:
    """The value of a counter in each process's file of ``directory``, read alone."""
    found = []
    for path in sorted(directory.glob("counter_*.db")):
        alone = directory.parent / f"alone-{path.stem}"
        alone.mkdir()
        shutil.copy(path, alone)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(alone))
        found.append(
            sum(
                s.value
                for family in registry.collect()
                for s in family.samples
                if s.name == name and labels.items() <= s.labels.items()
            )
        )
        shutil.rmtree(alone)
    return found


def organisation_key(url: str) -> str:
    """A new organisation's admin key (`accord org create`)."""
    made = subprocess.run(
        [sys.executable, "-m", "accord.cli", "org", "create", "acme", "ACME"],
        env={**os.environ, "ACCORD_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return made.stdout.strip().splitlines()[-1]


def test_counts_add_up_across_server_and_worker_processes_from_zero_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'accord.db'}"
    shared = tmp_path / "metrics"
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(shared))
    # a file an earlier run left: emptied at start, or its counts would be added
    shared.mkdir()
    stale = "from accord import metrics as m; m.http_requests.labels('GET', '/ready', 200).inc(9)"
    subprocess.run([sys.executable, "-c", stale], timeout=120, check=True)
    assert list(shared.glob("counter_*.db"))
    settings = {
        "worker": "false",
        "demo": "false",
        "metrics_token": TOKEN,
        "metrics_cache_seconds": "0",
    }
    process, base = start(url, "--workers", "3", output=tmp_path / "first", **settings)
    try:
        wait_healthy(base, process)
        key = organisation_key(url)
        for _ in range(60):  # a connection each: the kernel spreads them over the processes
            assert httpx.get(f"{base}/ready", timeout=30).status_code == 200
        before = scrape(base)
        waiting = sample(before, "accord_worker_queue_depth", queue="tickets")
        for number in range(6):
            events = [
                {
                    "id": f"m{number}-{n}",
                    "ticket": f"M{number}-{n}",
                    "at": "2026-12-01T09:00:00+00:00",
                    "kind": "created",
                    "fields": {"status": "New", "customer": "acme-corp"},
                }
                for n in range(5)
            ]
            posted = httpx.post(
                f"{base}/v1/events",
                content=json.dumps(events),
                headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
                timeout=30,
            )
            assert posted.status_code == 200, posted.text
        worked = subprocess.run(
            [sys.executable, "-m", "accord.cli", "worker", "--once"],
            env={**os.environ, "ACCORD_DATABASE_URL": url},
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        scrapes = [scrape(base) for _ in range(6)]
    finally:
        assert stop(process) in STOPPED
    for samples in scrapes:  # whichever process answered
        assert sample(samples, "accord_http_requests_total", **READY) == 60
        stored = sample(samples, "accord_ingest_events_total", outcome="stored")
        assert stored == 30
        # the worker process's count, read by the servers: what the queue lost meanwhile
        left = sample(samples, "accord_worker_queue_depth", queue="tickets")
        recomputed = sample(samples, "accord_worker_tickets_recomputed_total")
        assert recomputed == waiting + 30 - left
        assert f"refreshed {int(recomputed)} tickets" in worked.stdout
    # several server processes answered /ready, and the counts are theirs added up
    counts = per_process(shared, "accord_http_requests_total", **READY)
    assert sum(counts) == 60
    assert sum(1 for c in counts if c > 0) >= 2, counts
    # every migration ran once, in the supervisor, before the server processes started
    migrations = list((Path(store.__file__).parent / "migrations" / "versions").glob("0*.py"))
    assert sample(scrapes[0], "accord_migrations_total") == len(migrations)


def test_a_directory_made_for_the_run_is_removed_at_its_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setenv("TMPDIR", str(temporary))
    url = f"sqlite:///{tmp_path / 'accord.db'}"
    settings = {"worker": "false", "demo": "false", "metrics_public": "true"}
    process, base = start(url, "--workers", "2", output=tmp_path / "serve", **settings)
    try:
        wait_healthy(base, process)
        (made,) = temporary.glob("accord-metrics-*")
        for _ in range(10):
            assert httpx.get(f"{base}/health", timeout=30).status_code == 200
        samples = scrape(base)
        health = sample(samples, "accord_http_requests_total", route="/health", status="200")
        assert health >= 10  # and wait_healthy's own
    finally:
        assert stop(process) in STOPPED
    assert not made.exists()
