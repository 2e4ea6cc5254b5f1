"""The API's people and invitations routes run on the portal tests' provider (its agreements
of two customers and a person of each role), on SQLite and on a PostgreSQL database of their
own (a session fixture imported from the portal's conftest would make a second database under
the portal's name)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from accord.store import Database, connect
from tests.portal.conftest import (  # noqa: F401 (fixtures)
    client,
    provider,
    quick_hashes,
    settings,
    sqlite_or_postgres,
    sqlite_template,
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
    yield from sqlite_or_postgres(request, tmp_path, "api_postgres")
