"""Evidence read from a real Prometheus server (the system's ``prometheus``, which ``make
system`` installs), scraping a small exporter this test runs and changes over time: up, then
down with half the requests failing, then not answering at all. What Prometheus holds nothing
for is unknown, never up. The rules ``accord rules prometheus`` writes load into that server
and evaluate without error."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from accord.core.report import judge
from accord.io.agreements import load_agreement
from accord.io.data import read_data
from accord.io.prometheus import Prometheus, PrometheusError, read_evidence
from accord.render.prometheus_rules import rules_of
from tests.test_cli import run

PHASE = 3.0  # seconds up, then down, then silent
SLACK = timedelta(seconds=1.5)  # a step (1s) and a scrape (0.5s): where a point may straddle

AGREEMENT = """\
id: live
version: "1"
overview: {title: Live}
objectives:
  - id: api-up
    metric: availability
    target: 99%
    method: slices
    slice: 1s
    scope: {service: [api]}
    prometheus:
      up: min_over_time(api_up[$window])
      staleness: 1s
  - id: api-requests
    metric: availability
    target: 99%
    method: occurrences
    scope: {service: [api]}
    prometheus:
      good: sum(increase(api_requests_good_total[$window]))
      total: sum(increase(api_requests_total[$window]))
      step: 1s
      staleness: 1s
"""


class Exporter:
    """An up/down gauge and good/total counters, advanced by the clock: 20 requests a second,
    all good while up, half good while down; ``silent`` answers 503 (a failed scrape)."""

    def __init__(self) -> None:
        self.up = True
        self.silent = False
        self.good = 0.0
        self.total = 0.0
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def text(self) -> str:
        with self._lock:
            now = time.monotonic()
            spent, self._last = now - self._last, now
            self.total += 20 * spent
            self.good += (20 if self.up else 10) * spent
            return (
                "# TYPE api_up gauge\n"
                f"api_up {1 if self.up else 0}\n"
                "# TYPE api_requests_total counter\n"
                f"api_requests_total {self.total:.3f}\n"
                "# TYPE api_requests_good_total counter\n"
                f"api_requests_good_total {self.good:.3f}\n"
            )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def exporter() -> Iterator[tuple[Exporter, int]]:
    state = Exporter()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if state.silent:
                self.send_error(503)
                return
            body = state.text().encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def _prometheus(tmp_path: Path, target: int, rules: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("prometheus")
    assert binary, "prometheus is missing: `make system` installs the prometheus package"
    port = _free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "global": {"scrape_interval": "500ms", "evaluation_interval": "1s"},
                "rule_files": [str(rules)],
                "scrape_configs": [
                    {
                        "job_name": "exporter",
                        "scrape_interval": "500ms",
                        "scrape_timeout": "400ms",
                        "static_configs": [{"targets": [f"127.0.0.1:{target}"]}],
                    }
                ],
            }
        )
    )
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "prometheus.log").open("wb"),
    )
    return process, f"http://127.0.0.1:{port}"


def _wait_for(url: str, query: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until ``query`` has a result (Prometheus is up and has scraped): a minute at most, as
    a start on a loaded machine can take tens of seconds."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-2000:]
        try:
            answer = httpx.get(f"{url}/api/v1/query", params={"query": query}, timeout=1).json()
            if answer["data"]["result"]:
                return
        except (httpx.HTTPError, KeyError, ValueError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"Prometheus never answered {query}: {log.read_text()[-2000:]}")


def test_evidence_and_rules_against_a_real_prometheus(
    tmp_path: Path, exporter: tuple[Exporter, int]
) -> None:
    state, port = exporter
    path = tmp_path / "live.yaml"
    path.write_text(AGREEMENT)
    agreement = load_agreement(path)
    document, skipped = rules_of(agreement)
    assert skipped == []
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump(document, sort_keys=False))
    process, url = _prometheus(tmp_path, port, rules)
    try:
        _wait_for(url, "api_up", process, tmp_path / "prometheus.log")
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
        time.sleep((start - datetime.now(UTC)).total_seconds() + PHASE)
        down = datetime.now(UTC)
        state.up = False
        time.sleep(PHASE)
        silent = datetime.now(UTC)
        state.silent = True
        time.sleep(PHASE)
        end = datetime.now(UTC)
        time.sleep(1.2)  # the staleness: the last step's samples are in

        server = Prometheus(url)
        reading = read_evidence(agreement, server, start, end)
        data = reading.data
        assert data.observed is not None
        assert data.observed[0] == start
        assert end - timedelta(seconds=1) <= data.observed[1] <= end

        # up while up, down while down, and nothing at all once the exporter fell silent
        probes = data.probes
        assert probes
        assert all(p.ok for p in probes if p.at < down - SLACK)
        assert any(p.ok for p in probes if p.at < down - SLACK)
        assert not any(p.ok for p in probes if down + SLACK <= p.at)
        assert any(not p.ok for p in probes if down + SLACK <= p.at < silent)
        assert not [p for p in probes if p.at >= silent + SLACK]
        steps = reading.steps["api-up"]
        assert steps == int((data.observed[1] - start) / timedelta(seconds=1))
        assert reading.unknown["api-up"] >= int(PHASE - 2)  # the silent phase: unknown

        # requests: about 20 a second, all good while up, about half while down
        counts = data.requests
        assert not [r for r in counts if r.at >= silent + SLACK]
        before = [r for r in counts if r.at < down - SLACK]
        during = [r for r in counts if down + SLACK <= r.at < silent]
        assert before
        assert during
        assert all(r.good == r.total for r in before)
        assert 15 <= sum(r.total for r in before) / len(before) <= 25
        share = sum(r.good for r in during) / sum(r.total for r in during)
        assert 0.4 <= share <= 0.6

        # judged: the silent phase is no slice at all (unknown, excluded), never up
        observed = data.observed
        judged = judge(agreement, agreement.objective("api-up"), data, *observed)
        assert judged.actual is not None
        assert 30 <= judged.actual <= 70, judged.detail  # about half up of what was seen
        assert "without data" in judged.detail

        # the rules loaded, and every one has evaluated without error (waiting up to 30 s: a
        # loaded machine may delay an evaluation)
        deadline = time.monotonic() + 30
        while True:
            groups = httpx.get(f"{url}/api/v1/rules", timeout=2).json()["data"]["groups"]
            loaded = [r for g in groups for r in g["rules"]]
            evaluated = all(not r["lastEvaluation"].startswith("0001") for r in loaded)
            if evaluated or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        names = {g["name"] for g in groups}
        assert names == {g["name"] for g in document["groups"]}
        assert len(loaded) == sum(len(g["rules"]) for g in document["groups"])
        assert evaluated, json.dumps(loaded)[:2000]
        assert all(r["health"] == "ok" and not r.get("lastError") for r in loaded), json.dumps(
            [r for r in loaded if r["health"] != "ok"]
        )[:2000]
        # and the recorded error ratio saw the down phase
        ratio = httpx.get(
            f"{url}/api/v1/query",
            params={"query": 'slo:sli_error:ratio_rate5m{sloth_slo="api-up"}'},
            timeout=2,
        ).json()["data"]["result"]
        assert ratio
        assert float(ratio[0]["value"][1]) > 0

        # the command writes the same evidence into a data folder a report reads
        folder = tmp_path / "data"
        command = ["evidence", "prometheus", str(path), "--url", url, "--from", start.isoformat()]
        command += ["--until", end.isoformat(), "--into", str(folder)]
        code, out = run(*command)
        assert code == 0, out
        written = read_data(folder)
        assert written.observed == data.observed
        assert written.probes == data.probes
        assert written.requests == data.requests
        code, out = run(*command)  # again: the files are there
        assert code == 2
        assert "already there; --replace" in out

        # a query Prometheus refuses is an error naming it
        with pytest.raises(PrometheusError, match="refused"):
            server.query_range("sum(", start, end, timedelta(seconds=1))
        server.close()
    finally:
        process.terminate()
        process.wait(timeout=10)
