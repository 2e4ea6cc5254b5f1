"""Migrations run once however many processes start together on a fresh database, and the
schema they leave is at the newest migration."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text

from accord.store import connect
from accord.store.database import MIGRATIONS
from tests.service.conftest import throwaway_postgres

PROCESSES = 4
# each process gets ready (imports done), then waits for the word to connect, so that they
# all migrate within a millisecond of each other
STARTER = """
import sys, time
from pathlib import Path
from alembic.runtime.migration import MigrationContext
from accord.store import connect
folder = Path(sys.argv[2])
(folder / f"ready-{sys.argv[3]}").touch()
while not (folder / "go").exists():
    time.sleep(0.001)
database = connect(sys.argv[1])
with database.engine.connect() as connection:
    print(MigrationContext.configure(connection).get_current_revision())
"""


@pytest.fixture
def fresh_postgresql() -> Iterator[str]:
    with throwaway_postgres("accord_migrate") as url:
        yield url


def _start_together(url: str, folder: Path) -> list[subprocess.CompletedProcess[str]]:
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", STARTER, url, str(folder), str(n)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(PROCESSES)
    ]
    deadline = time.monotonic() + 120
    while len(list(folder.glob("ready-*"))) < PROCESSES and time.monotonic() < deadline:
        time.sleep(0.01)
    (folder / "go").touch()
    done = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        done.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    return done


def head_revision() -> str | None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def _assert_migrated_once(url: str, done: list[subprocess.CompletedProcess[str]]) -> None:
    assert [(d.returncode, d.stderr[-300:]) for d in done] == [(0, "")] * PROCESSES
    assert {d.stdout.strip() for d in done} == {head_revision()}
    database = connect(url, upgrade=False)
    with database.engine.connect() as connection:
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    database.dispose()
    assert [v for (v,) in versions] == [head_revision()]


def test_processes_starting_together_on_a_fresh_postgresql_database_migrate_it_once(
    fresh_postgresql: str, tmp_path: Path
) -> None:
    _assert_migrated_once(fresh_postgresql, _start_together(fresh_postgresql, tmp_path))


def test_processes_starting_together_on_a_fresh_sqlite_file_migrate_it_once(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'accord.db'}"
    _assert_migrated_once(url, _start_together(url, tmp_path))
