"""What the benchmarks of the service's use cases share: a settable clock, a count of the
periods judged, and a scratch database (a SQLite file, or a PostgreSQL database made and
dropped). Imported as ``benchmarks.use_cases`` (the benchmark puts the repository's root on
the import path, as benchmarks/live.py does); not a benchmark itself.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import psycopg

from accord.service import reports
from accord.store import Database, connect

ADMIN = os.environ.get("ACCORD_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


class Clock:
    """``now`` for the service's modules, moved by the benchmark."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


def count_evaluations() -> list[str]:
    """From now on, every period ``accord.service.reports.evaluate`` judges adds an entry to
    the list returned (clear it before what is counted)."""
    evaluated: list[str] = []
    evaluate = reports.evaluate

    def counting(*args: Any, **kwargs: Any) -> Any:
        evaluated.append("")
        return evaluate(*args, **kwargs)

    reports.evaluate = counting  # type: ignore[assignment]
    return evaluated


@contextmanager
def scratch_database(name: str, postgres: bool) -> Iterator[Database]:
    """A new database for one run: ``name`` on the PostgreSQL server of ``ADMIN`` (dropped
    afterwards), or a SQLite file in a temporary folder (removed afterwards)."""
    folder = tempfile.TemporaryDirectory()
    if postgres:
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        url = ADMIN.rsplit("/", 1)[0] + f"/{name}"
    else:
        url = f"sqlite:///{folder.name}/accord.db"
    database = connect(url)
    try:
        yield database
    finally:
        database.dispose()
        folder.cleanup()
        if postgres:
            with psycopg.connect(ADMIN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
