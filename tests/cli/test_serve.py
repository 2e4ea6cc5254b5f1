"""`accord serve` as a newcomer meets it: where it answers, the demo's key shown once and on
top, how to get a key on a restart, a taken port in one line, server processes kept at N."""

from __future__ import annotations

from pathlib import Path

import httpx

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

    process, base = start(url, output=tmp_path / "again", worker="false")
    try:
        wait_healthy(base, process)
        answer = httpx.get(f"{base}/v1/agreements", headers={"Authorization": f"Bearer {keys[0]}"})
        assert answer.status_code == 200
    finally:
        assert stop(process) in STOPPED
    again = (tmp_path / "again.out").read_text()
    assert "acc_" not in again
    assert "accord key create demo --role admin" in again
