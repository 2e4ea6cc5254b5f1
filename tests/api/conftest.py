"""The API's people and invitations routes run on the portal tests' provider (its agreements
of two customers and a person of each role), on SQLite and on a PostgreSQL database of their
own (a session fixture imported from the portal's conftest would make a second database under
the portal's name)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from accord.store import Database, connect
from accord.store.schema import Base
from tests.portal.conftest import (  # noqa: F401 (fixtures)
    client,
    provider,
    quick_hashes,
    settings,
)
from tests.service.conftest import throwaway_postgres


@pytest.fixture(scope="session")
def api_postgres() -> Iterator[Database]:
    with throwaway_postgres("accord_api") as url:
        found = connect(url)
        yield found
        found.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        found = connect(f"sqlite:///{tmp_path / 'accord.db'}")
        yield found
        found.dispose()
        return
    found = request.getfixturevalue("api_postgres")
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with found.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield found
