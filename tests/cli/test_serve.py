"""`accord serve` as a newcomer meets it: where it answers, the demo's key shown once and on
top, how to get a key on a restart, a taken port in one line, server processes kept at N."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from accord.store import connect
from tests.cli.server import STOPPED, start, stop, wait_healthy


def test_serve_says_where_it_answers_and_shows_the_demo_key_once_then_how_to_get_one(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'accord.db'}"
    process, base = start(url, output=tmp_path / "first", worker="false")
    try:
        wait_healthy(base, process)
    finally:
        assert stop(process) in STOPPED
    shown = (tmp_path / "first.out").read_text()
    assert f"serving on {base}" in shown
    assert f"API documentation  {base}/docs" in shown
    keys = [line.strip(" │") for line in shown.splitlines() if line.strip(" │").startswith("acc_")]
    assert len(keys) == 1  # on a line of its own, once (and in the curl line to try it)
    assert "acc_" not in (tmp_path / "first.err").read_text()  # not among the log lines

    process, base = start(url, output=tmp_path / "again", worker="false", access_log="true")
    try:
        wait_healthy(base, process)
        answer = httpx.get(
            f"{base}/v1/agreements",
            headers={"Authorization": f"Bearer {keys[0]}", "X-Request-ID": "newcomer-1"},
        )
        assert answer.status_code == 200
    finally:
        assert stop(process) in STOPPED
    again = (tmp_path / "again.out").read_text()
    assert "acc_" not in again
    assert "accord key create demo --role admin" in again
    # stderr is a file here, not a terminal: every log line is a JSON object
    logged = [json.loads(line) for line in (tmp_path / "again.err").read_text().splitlines()]
    assert {"uvicorn.error", "accord.access"} <= {line["logger"] for line in logged}
    (request,) = [line for line in logged if line.get("request_id") == "newcomer-1"]
    assert (request["method"], request["path"], request["status"]) == ("GET", "/v1/agreements", 200)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_port_in_use_is_one_line_and_a_failed_exit(tmp_path: Path, workers: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "accord.cli",
                "serve",
                "--port",
                str(port),
                "--workers",
                workers,
            ],
            env={**os.environ, "ACCORD_DATABASE_URL": f"sqlite:///{tmp_path / 'accord.db'}"},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode != 0
    assert done.stderr == f"error: port {port} is in use; set ACCORD_PORT or --port\n"
    assert not (tmp_path / "accord.db").exists()  # it failed first, before touching anything


def _children(parent: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if int(fields[1]) == parent and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


def _listening(pid: int, port: int) -> bool:
    """Whether process ``pid`` holds a socket listening on ``port`` (``/proc/net/tcp``): a
    server process connections can be given to, not one still starting."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":  # LISTEN
                inodes.add(f"socket:[{fields[9]}]")
    try:
        held = {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}
    except OSError:  # gone, or a descriptor closed meanwhile: not (yet) to be counted
        return False
    return bool(held & inodes)


def _eventually(check: Callable[[], bool], seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_a_server_process_that_dies_is_replaced_and_sigterm_still_stops_them_all(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'accord.db'}"
    process, base = start(url, "--workers", "2", output=tmp_path / "serve", worker="false")
    try:
        wait_healthy(base, process)
        port = int(base.rsplit(":", 1)[1])
        # both listening before one is killed: a process that exists may still be starting,
        # and with the other killed a connection would wait for it (queued on the sockets the
        # supervisor holds, not refused: the test below)
        assert _eventually(lambda: len(_children(process.pid)) == 2)
        before = _children(process.pid)
        assert _eventually(lambda: all(_listening(pid, port) for pid in before))
        killed = min(before)
        os.kill(killed, signal.SIGKILL)
        assert _eventually(lambda: len(_children(process.pid) - before) == 1), "not replaced"
        after = _children(process.pid)
        assert len(after) == 2
        assert killed not in after
        # the replacement is counted once it listens, not once it exists
        assert _eventually(lambda: all(_listening(pid, port) for pid in after)), "not listening"
        for _ in range(20):  # whichever process the kernel gives them to answers
            assert httpx.get(f"{base}/health", timeout=60).status_code == 200
    finally:
        code = stop(process)
    assert code in STOPPED
    assert not any(Path(f"/proc/{pid}").exists() for pid in after)
    assert "ended (exit code -9); starting another" in (tmp_path / "serve.err").read_text()


def test_a_worker_process_that_dies_is_replaced_too(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'accord.db'}"
    connect(url).dispose()
    process = subprocess.Popen(
        [sys.executable, "-m", "accord.cli", "worker", "--processes", "2"],
        env={**os.environ, "ACCORD_DATABASE_URL": url},
        stderr=(tmp_path / "worker.err").open("wb"),
    )
    try:
        assert _eventually(lambda: len(_children(process.pid)) == 2)
        before = _children(process.pid)
        os.kill(min(before), signal.SIGKILL)
        assert _eventually(lambda: len(_children(process.pid) - before) == 1), "not replaced"
        after = _children(process.pid)
    finally:
        code = stop(process)
    assert code in STOPPED
    assert not any(Path(f"/proc/{pid}").exists() for pid in after)


def _asked(port: int) -> socket.socket:
    """A connection to ``port`` with a request for /health sent on it, not yet answered
    (refused: ConnectionRefusedError)."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=60)
    connection.sendall(b"GET /health HTTP/1.1\r\nHost: accord\r\nConnection: close\r\n\r\n")
    return connection


def _answer(connection: socket.socket) -> bytes:
    with connection:
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    return received


def test_the_port_accepts_connections_as_soon_as_it_is_announced_and_while_no_process_listens(
    tmp_path: Path,
) -> None:
    """The supervisor binds the port's sockets before it says where it serves and holds them:
    a connection is accepted at once and answered when a server process takes it, even when
    every server process is dead and not yet replaced (the supervisor stopped meanwhile)."""
    url = f"sqlite:///{tmp_path / 'accord.db'}"
    process, base = start(url, "--workers", "2", output=tmp_path / "serve", worker="false")
    port = int(base.rsplit(":", 1)[1])
    stopped = False
    try:
        announced = tmp_path / "serve.out"
        assert _eventually(lambda: "serving on" in announced.read_text()), "not announced"
        # announced: accepted now, not refused, though no process may be listening yet
        assert _answer(_asked(port)).startswith(b"HTTP/1.1 200")
        wait_healthy(base, process)
        assert _eventually(lambda: len(_children(process.pid)) == 2)
        before = _children(process.pid)
        # no server process and none started meanwhile: the supervisor is held still
        os.kill(process.pid, signal.SIGSTOP)
        stopped = True
        for pid in before:
            os.kill(pid, signal.SIGKILL)
        assert _eventually(lambda: not _children(process.pid))
        # several connections, so that each of the port's sockets gets some
        waiting = [_asked(port) for _ in range(8)]
        os.kill(process.pid, signal.SIGCONT)
        stopped = False
        for connection in waiting:  # answered by the replacements
            assert _answer(connection).startswith(b"HTTP/1.1 200")
        assert len(_children(process.pid) - before) == 2
    finally:
        if stopped:
            os.kill(process.pid, signal.SIGCONT)
        code = stop(process)
    assert code in STOPPED
