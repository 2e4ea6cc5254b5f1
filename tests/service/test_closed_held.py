"""The kept results of the months before the open one, as the Home page checks them while it
holds what it read (docs/standing.md): once the organisation's data mark moves, only what was
received or changed since the last check is asked about. Against a second engine that holds
nothing and asks about everything since the results were kept, after ticket events and
outages reaching into the closed months (late data: the months judged again), and views, in
random order, on SQLite and PostgreSQL; and the credits the page lists, read from only a few
fields of the kept text, against those of the whole reports."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from accord.core.periods import months_before
from accord.service import reports, tenants
from accord.store import Database
from tests.service.conftest import Clock, Tenant
from tests.service.test_standing import NOW, OTHER, STANDING
from tests.service.test_standing_topup import (
    CUSTOMERS,
    EXAMPLES,
    TICKETS,
    _replayed,
    _start,
    clock,
    second,
)

__all__ = ["clock", "second"]  # the fixtures, used by name

YEAR = 60 * 24 * 330  # minutes: back to January, the agreement's first month
# minutes from the instant of the change: into the closed months (late data), or into the open
# month (the mark moves, the closed months' check finds nothing: the next check starts there)
DAYS_40 = 60 * 24 * 40
instants = st.one_of(st.integers(-YEAR, 60), st.integers(-600, 60))
events = st.tuples(
    st.just("event"),
    st.sampled_from(TICKETS),
    st.sampled_from(["created", "updated", "comment", "resolved", "closed"]),
    instants,
    st.sampled_from(CUSTOMERS),
    st.sampled_from(["New", "Open", "Resolved"]),
)
outages = st.tuples(
    st.just("outage"),
    st.integers(0, 3),  # sent again under the same id with another span
    st.sampled_from(["api", "web"]),
    instants,
    st.integers(30, 600),
    st.sampled_from(["acme-corp", "globex"]),
)
views = st.tuples(st.just("view"), st.integers(0, 600))
actions = st.lists(st.one_of(events, outages, views), min_size=1, max_size=10)
_slugs = itertools.count()


def _closed(
    database: Database, key: str, moment: datetime, held: bool
) -> tuple[list[Any], list[reports.Totals]]:
    """The closed months' reports and totals as the Home page asks for them (``held``: with
    the organisation's data mark, as a process holding what it read), else asked whole."""
    periods = [p for p in months_before(moment, 12, "UTC") if p >= "2026-01"]
    with database.session() as session:
        principal = tenants.authenticate(session, key)
        mark = reports.data_mark(session, principal.organisation_id) if held else None
        found = reports.closed_reports(
            session, principal, "cloud", periods, moment=moment, held=mark
        )
        totals = reports.closed_totals(
            session, principal, "cloud", periods, moment=moment, held=mark
        )
    return found, totals


@EXAMPLES
@given(steps=actions)
# something stored that leaves the kept months valid (the next check starts from its mark),
# then late data into a closed month: an outage, a ticket opened and resolved
@example(
    steps=[
        ("outage", 1, "api", -300, 60, "acme-corp"),
        ("outage", 2, "api", -DAYS_40, 300, "acme-corp"),
    ]
)
@example(
    steps=[
        ("event", "T1", "created", -300, "acme-corp", "New"),
        ("event", "T2", "created", -DAYS_40, "acme-corp", "New"),
        ("event", "T2", "resolved", -DAYS_40 + 600, None, "Resolved"),
    ]
)
def test_the_kept_months_checked_from_the_last_check_are_those_checked_whole(
    database: Database, second: Database, clock: Clock, steps: list[tuple[Any, ...]]
) -> None:
    tenant = Tenant(database, f"closed{next(_slugs)}")  # an organisation per example
    with database.session() as session:
        _, key = tenants.create_key(session, tenant.id, "read", customer="acme-corp")
    clock.moment = datetime(2026, 1, 1, tzinfo=UTC)
    _start(database, tenant, STANDING, OTHER)
    moment = clock.moment = NOW
    _closed(database, key, moment, held=True)  # kept, and found valid at this mark
    for number, action, moment in _replayed(database, tenant, clock, steps, NOW):
        held, totals = _closed(database, key, moment, held=True)
        reports.forget(second.engine)
        whole, _ = _closed(second, key, moment, held=False)
        assert held == whole, f"after step {number}: {action}"
        assert totals == [reports.Totals.of(r) for r in whole]
