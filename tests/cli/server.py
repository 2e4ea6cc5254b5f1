"""`accord serve` run as people run it: a process of its own, on a free port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(
    database_url: str, *args: str, output: Path, **settings: str
) -> tuple[subprocess.Popen[bytes], str]:
    """`accord serve ARGS` on a free port, its stdout and stderr in ``output``.out and .err;
    the process and its base URL (not waited for: see ``wait_healthy``)."""
    port = free_port()
    environment = {
        **os.environ,
        "ACCORD_DATABASE_URL": database_url,
        "ACCORD_PORT": str(port),
        **{f"ACCORD_{name.upper()}": value for name, value in settings.items()},
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "accord.cli", "serve", *args],
        env=environment,
        stdout=output.with_suffix(".out").open("wb"),
        stderr=output.with_suffix(".err").open("wb"),
    )
    return process, f"http://127.0.0.1:{port}"


def wait_healthy(base: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited"
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{base} did not answer within {seconds} s")


# a clean stop: uvicorn shuts down gracefully, then lets SIGTERM end it as a service manager
# expects; the multi-process parent stops its children and returns
STOPPED = (0, -signal.SIGTERM)


def stop(process: subprocess.Popen[bytes], seconds: float = 30) -> int:
    """SIGTERM, as a service manager stops it; its exit code (one of STOPPED when clean)."""
    if process.poll() is None:
        process.terminate()
    try:
        return process.wait(seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise
