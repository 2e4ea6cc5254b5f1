"""README's "Evidence in" commands, run as written against examples/prometheus/demo.py: the
system's Prometheus serving November 2026 of the example agreement's series, backfilled with
promtool. The port is a free one instead of 9090, and the commands run in a folder of their
own; otherwise they are README's words, checked to be there."""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEMO = "python examples/prometheus/demo.py &"
EVIDENCE = (
    "accord evidence prometheus examples/prometheus/api-availability.yaml --url "
    "http://localhost:9090 --from 2026-11-01T00:00Z --until 2026-12-01T00:00Z --into nov/"
)
REPORT = "accord report examples/prometheus/api-availability.yaml --data nov/ --period 2026-11"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _readme() -> str:
    """README's words with line breaks and indentation taken out."""
    return re.sub(r"\s+", " ", (ROOT / "README.md").read_text())


def _accord(command: str, port: int, cwd: Path) -> subprocess.CompletedProcess[str]:
    words = shlex.split(command.replace("localhost:9090", f"localhost:{port}"))
    assert words[0] == "accord"
    return subprocess.run(
        [sys.executable, "-m", "accord.cli", *words[1:]],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_readme_s_evidence_commands_work_against_the_demo_prometheus(tmp_path: Path) -> None:
    readme = _readme()
    for command in (DEMO, EVIDENCE, REPORT):
        assert f"`{command}`" in readme, command
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    port = _free_port()
    demo = subprocess.Popen(
        [sys.executable, "examples/prometheus/demo.py", "--port", str(port)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    said = []
    try:
        assert demo.stdout is not None
        deadline = time.monotonic() + 600  # a backfill on a busy machine
        for line in demo.stdout:
            said.append(line)
            if "Stop it with Ctrl-C" in line or time.monotonic() > deadline:
                break
        assert demo.poll() is None, "".join(said)
        assert f"http://localhost:{port}" in said[0]
        read = _accord(EVIDENCE, port, tmp_path)
        assert read.returncode == 0, read.stderr
        assert "api-up: 43200 steps read, 20 unknown (no usable point)" in read.stderr
        assert "checkout-requests: 43200 steps read, 0 unknown" in read.stderr
        assert "nov: 43180 probes, 43200 request counts" in read.stderr
    finally:
        demo.send_signal(signal.SIGTERM)
        demo.wait(timeout=120)
    report = _accord(REPORT, port, tmp_path)
    assert report.returncode == 0, report.stderr
    rows = {line.split("|")[1].strip(): line for line in report.stdout.splitlines() if "|" in line}
    assert "| 99.9% | 99.884% | **missed** |" in rows["api-up"]
    assert "| 99.5% | 99.889% | met |" in rows["checkout-requests"]
    assert "43180 slices counted: 43130 good, 50 bad, 20 without data" in report.stdout
    assert "8630400 good of 8640000 requests" in report.stdout
    # the demo's temporary folder went with it
    assert demo.returncode == 0
