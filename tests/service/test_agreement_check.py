"""Checking an agreement before publishing it: validated as an upload is, compared with the
version in force (not a version scheduled for later), and nothing stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from accord.io.agreements import AgreementFileError
from accord.service import agreements
from accord.service.errors import ForbiddenError
from accord.service.tenants import Principal
from accord.store import Database
from accord.store.schema import AgreementVersion
from tests.service.agreements import DESK, DESK_V2
from tests.service.conftest import Tenant


def _count(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(AgreementVersion)) or 0


def test_a_check_compares_with_the_version_in_force_and_stores_nothing(
    database: Database, acme: Tenant
) -> None:
    admin = Principal(acme.id, acme.slug, "admin", actor="admin@us.example")
    later = datetime.now(UTC) + timedelta(days=30)
    with database.session() as session:
        agreements.upload(session, admin, DESK)
        agreements.upload(session, admin, DESK_V2, in_force_from=later)  # scheduled
    third = DESK_V2.replace('version: "2"', 'version: "3"').replace("within: 1h", "within: 2h")
    with database.session() as session:
        checked = agreements.check(session, admin, third)
        assert checked.key == "desk"
        assert checked.in_force is not None
        assert checked.in_force.number == 1  # version 2 takes over only in 30 days
        assert not checked.unchanged
        assert sorted(
            (c["item"], c["field"], c["before"], c["after"]) for c in checked.changes
        ) == [
            ("resolution", "within", "4h", "8h"),
            ("response", "within", "1h", "2h"),
        ]
        after = agreements.check(session, admin, third, later + timedelta(days=1))
        assert [c["item"] for c in after.changes] == ["response"]
        assert agreements.check(session, admin, DESK_V2).unchanged
        new = agreements.check(session, admin, DESK.replace("id: desk", "id: fresh"))
        assert (new.key, new.in_force, new.changes) == ("fresh", None, [])
    assert _count(database) == 2


def test_a_check_names_the_line_and_field_and_is_the_admins(
    database: Database, acme: Tenant
) -> None:
    admin = Principal(acme.id, acme.slug, "admin")
    with database.session() as session:
        with pytest.raises(AgreementFileError) as raised:
            agreements.check(
                session, admin, DESK.replace("target: 90%", "target: 190%", 1), source="a.yaml"
            )
        (problem,) = raised.value.located
        assert (problem.source, problem.line, problem.problem.where) == (
            "a.yaml",
            DESK.split("\n").index("    target: 90%") + 1,
            "objectives[0].target",
        )
        for who in (
            Principal(acme.id, acme.slug, "read"),
            Principal(acme.id, acme.slug, "ingest", customer="acme-corp"),
        ):
            with pytest.raises(ForbiddenError):
                agreements.check(session, who, DESK)
    assert _count(database) == 0
