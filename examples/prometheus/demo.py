"""A Prometheus holding November 2026 of the series examples/prometheus/api-availability.yaml
queries, so that README's "Accord in a Prometheus shop" commands can be tried on any machine
with the system's ``prometheus`` and ``promtool`` (``make system`` installs them).

    python examples/prometheus/demo.py &          # serves http://localhost:9090 until stopped

It writes the month as OpenMetrics (a sample every 30 seconds, 7 seconds past, as scrapes
land: ``increase(...[1m])`` needs two samples in each one-minute step), turns it into TSDB
blocks with ``promtool tsdb create-blocks-from openmetrics`` (the backfill Prometheus
documents) in a temporary folder, and starts ``prometheus`` on it:

- ``probe_success{job="blackbox", instance="https://api.example.com"}``: 1, but 0 for the 50
  minutes from 2026-11-12 10:00 UTC, and no sample at all for the 20 minutes from 2026-11-18
  03:00 (the blackbox exporter was down: unknown, never up);
- ``http_requests_total{job="checkout", code="200"|"500"}``: 100 requests every 30 seconds,
  all good but from 2026-11-20 14:00 to 16:00, when 40 of each 100 fail.

What Accord then reads (``accord evidence prometheus ... --from 2026-11-01T00:00Z --until
2026-12-01T00:00Z``): api-up 50 bad one-minute slices of the 43,180 known (20 unknown,
excluded), 99.884%, missing 99.9%; checkout-requests 9,600 failed of 8,640,000, 99.889%,
meeting 99.5%. tests/io/test_prometheus_demo.py runs the README's commands against it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

START = datetime(2026, 11, 1, tzinfo=UTC)
END = datetime(2026, 12, 1, tzinfo=UTC)
EVERY = timedelta(seconds=30)
OFFSET = timedelta(seconds=7)
OUTAGE = (datetime(2026, 11, 12, 10, 0, tzinfo=UTC), timedelta(minutes=50))
SILENT = (datetime(2026, 11, 18, 3, 0, tzinfo=UTC), timedelta(minutes=20))
FAILING = (datetime(2026, 11, 20, 14, 0, tzinfo=UTC), timedelta(hours=2))
REQUESTS, FAILED = 100, 40
PROBE = 'probe_success{job="blackbox",instance="https://api.example.com"}'


def _within(moment: datetime, span: tuple[datetime, timedelta]) -> bool:
    return span[0] <= moment < span[0] + span[1]


def openmetrics() -> str:
    """The month's samples in the OpenMetrics text format promtool backfills from."""
    moments = []
    moment = START + OFFSET
    while moment < END:
        moments.append(moment)
        moment += EVERY
    lines = ["# TYPE probe_success gauge"]
    for moment in moments:
        if not _within(moment, SILENT):
            up = 0 if _within(moment, OUTAGE) else 1
            lines.append(f"{PROBE} {up} {moment.timestamp():.0f}")
    lines.append("# TYPE http_requests counter")
    for code in ("200", "500"):
        count = 0
        for moment in moments:
            failing = FAILED if _within(moment, FAILING) else 0
            count += failing if code == "500" else REQUESTS - failing
            labels = f'job="checkout",code="{code}"'
            lines.append(f"http_requests_total{{{labels}}} {count} {moment.timestamp():.0f}")
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def backfill(folder: Path) -> Path:
    """TSDB blocks of the month in ``folder``/tsdb."""
    promtool = shutil.which("promtool")
    if promtool is None:
        sys.exit("promtool is missing: `make system` installs the prometheus package")
    source = folder / "november.om"
    source.write_text(openmetrics())
    tsdb = folder / "tsdb"
    subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", "--quiet", str(source), str(tsdb)],
        check=True,
    )
    source.unlink()
    return tsdb


def serve(tsdb: Path, port: int, folder: Path) -> subprocess.Popen[bytes]:
    binary = shutil.which("prometheus")
    if binary is None:
        sys.exit("prometheus is missing: `make system` installs the prometheus package")
    config = folder / "prometheus.yml"
    config.write_text("global: {scrape_interval: 30s}\n")
    return subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={tsdb}",
            "--storage.tsdb.retention.time=100y",  # the month stays, however old it is
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ],
        stdout=subprocess.DEVNULL,
    )


def wait_ready(port: int, process: subprocess.Popen[bytes]) -> None:
    """Until Prometheus answers a query over the month's last minute."""
    query = urllib.parse.urlencode({"query": "probe_success", "time": END.timestamp() - 60})
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"prometheus stopped (exit {process.returncode})")
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/api/v1/query?{query}", timeout=2
            ) as answer:
                if b'"result":[{' in answer.read():
                    return
        except OSError:
            pass
        time.sleep(0.2)
    process.terminate()
    sys.exit("prometheus did not answer within 120 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=9090, help="where to listen (9090)")
    port = parser.parse_args().port
    with tempfile.TemporaryDirectory(prefix="accord-prometheus-demo-") as made:
        folder = Path(made)
        tsdb = backfill(folder)
        process = serve(tsdb, port, folder)
        signal.signal(signal.SIGTERM, lambda *_: process.terminate())
        try:
            wait_ready(port, process)
            print(f"Prometheus with November 2026 of the example's series: http://localhost:{port}")
            print("Try (in another shell):")
            print(
                "  accord evidence prometheus examples/prometheus/api-availability.yaml "
                f"--url http://localhost:{port} --from 2026-11-01T00:00Z "
                "--until 2026-12-01T00:00Z --into nov/"
            )
            print(
                "  accord report examples/prometheus/api-availability.yaml --data nov/ "
                "--period 2026-11"
            )
            print(f"Stop it with Ctrl-C, or kill {os.getpid()} (started with &).", flush=True)
            process.wait()
        except KeyboardInterrupt:
            pass
        finally:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
