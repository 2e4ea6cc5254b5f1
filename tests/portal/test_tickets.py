"""The tickets pages by direct requests: a person's tickets with their timers, the filters,
the refreshed rows, a ticket's timeline; another customer's ticket is not found."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.service import agreements, ingest, standing, tenants, tickets, tracking
from accord.service.errors import InvalidError
from accord.store.schema import ClockRow
from tests.portal.conftest import Provider
from tests.portal.test_pages import sign_in
from tests.service.conftest import Clock, service_clock

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
"""The instant the tests' tickets are judged at (the service's clock pinned there)."""


def _event(ticket: str, number: int, at: datetime, kind: str, **fields: str) -> Any:
    found: dict[str, Any] = {"id": f"{ticket}-{number}", "ticket": ticket, "kind": kind}
    found |= {"at": at.isoformat(), "fields": fields}
    if kind == "comment":
        found["author"] = "agent"
    return ingest.EventIn.model_validate_json(json.dumps(found))


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return service_clock(monkeypatch, NOW, tickets, standing)


@pytest.fixture
def loaded(provider: Provider, clock: Clock) -> datetime:
    """ACME's A-MET (answered and resolved in time), A-RISK (open 3.5 of its 4 hours),
    A-WAIT (waiting on the customer: paused) and Globex's G-LATE (unanswered 9 hours, of 2)."""
    moment = clock.moment
    events = [
        _event(
            "A-MET", 1, moment - timedelta(hours=6), "created", status="New", customer="acme-corp"
        ),
        _event("A-MET", 2, moment - timedelta(hours=5, minutes=50), "comment"),
        _event("A-MET", 3, moment - timedelta(hours=5), "resolved", status="Resolved"),
        _event(
            "A-RISK",
            1,
            moment - timedelta(hours=3, minutes=30),
            "created",
            status="New",
            customer="acme-corp",
        ),
        _event("A-RISK", 2, moment - timedelta(hours=3), "comment"),
        _event(
            "A-WAIT", 1, moment - timedelta(hours=2), "created", status="New", customer="acme-corp"
        ),
        _event("A-WAIT", 2, moment - timedelta(hours=1, minutes=50), "comment"),
        _event("A-WAIT", 3, moment - timedelta(hours=1), "updated", status="Waiting on customer"),
        _event(
            "G-LATE",
            1,
            moment - timedelta(hours=9),
            "created",
            status="New",
            customer="globex-retail",
        ),
    ]
    with provider.database.session() as session:
        admin = tenants.authenticate(session, provider.admin_key)
        ingest.ingest_events(session, admin, events)
        for ticket in ("A-MET", "A-RISK", "A-WAIT", "G-LATE"):
            tracking.refresh(session, provider.organisation_id, ticket, moment)
    return moment


def _listed(provider: Provider, email: str, **filters: str) -> list[str]:
    who = provider.principal(email)
    with provider.database.session() as session:
        found = tickets.listing(session, who, tickets.Filters(**filters))
    return [t.ticket for t in found.tickets]


def test_each_state_filter_finds_the_tickets_in_that_state(
    provider: Provider, loaded: datetime
) -> None:
    staff = "agent@prov.example"
    assert sorted(_listed(provider, staff)) == ["A-MET", "A-RISK", "A-WAIT", "G-LATE"]
    assert _listed(provider, staff, state="breached") == ["G-LATE"]
    assert _listed(provider, staff, state="at_risk") == ["A-RISK"]
    assert _listed(provider, staff, state="paused") == ["A-WAIT"]
    assert "A-MET" in _listed(provider, staff, state="met")
    assert "G-LATE" not in _listed(provider, staff, state="running")
    assert _listed(provider, staff, customer="globex-retail") == ["G-LATE"]
    assert sorted(_listed(provider, staff, agreement="globex-desk")) == ["G-LATE"]
    # a customer's person sees their own customer's tickets, whatever the filter asks
    assert sorted(_listed(provider, "viewer@acme.example")) == ["A-MET", "A-RISK", "A-WAIT"]
    with pytest.raises(InvalidError, match="customer 'globex-retail': expected one of acme"):
        _listed(provider, "viewer@acme.example", customer="globex-retail")
    for field, unknown in (("agreement", "no-such"), ("objective", "p9"), ("customer", "nobody")):
        with pytest.raises(InvalidError, match=f"{field} '{unknown}': expected one of"):
            _listed(provider, staff, **{field: unknown})  # refused, not an empty list
    assert _listed(provider, "viewer@globex.example") == ["G-LATE"]


def test_the_list_is_paged(provider: Provider, loaded: datetime) -> None:
    who = provider.principal("agent@prov.example")
    with provider.database.session() as session:
        first = tickets.listing(session, who, tickets.Filters(), page=1, per_page=3)
        second = tickets.listing(session, who, tickets.Filters(), page=2, per_page=3)
    assert (first.total, first.pages, second.pages) == (4, 2, 2)
    shown = [t.ticket for t in first.tickets] + [t.ticket for t in second.tickets]
    assert sorted(shown) == ["A-MET", "A-RISK", "A-WAIT", "G-LATE"]


def test_the_timers_say_time_left_paused_and_why_and_breached_by_how_much(
    client: TestClient, provider: Provider, loaded: datetime
) -> None:
    sign_in(client, "agent@prov.example")
    page = client.get("/portal/tickets")
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", page.text)
    # G-LATE: 2 h allowed, unanswered for 9 h
    assert re.search(r"G-LATE.*?breached by 7 h, still running", text)
    # A-RISK: 4 h allowed, 3.5 h used
    assert re.search(r"A-RISK.*?at risk</span> <span class=\"words\">30 min left of 4 h", text)
    assert "paused (customer)" in text  # A-WAIT's resolution
    assert 'id="f-customer"' in page.text  # the provider's staff choose a customer


def test_the_rows_alone_are_what_htmx_refreshes(
    client: TestClient, provider: Provider, loaded: datetime
) -> None:
    sign_in(client, "viewer@acme.example")
    page = client.get("/portal/tickets?state=paused")
    refresh = re.search(r'hx-get="([^"]+)"', page.text)
    assert refresh is not None
    rows = client.get(refresh.group(1).replace("&amp;", "&"))
    assert rows.status_code == 200
    assert rows.text.lstrip().startswith('<div id="ticket-list"')
    assert "A-WAIT" in rows.text
    assert "A-RISK" not in rows.text
    assert "<html" not in rows.text


def test_a_customer_sees_its_tickets_and_another_customers_are_not_found(
    client: TestClient, provider: Provider, loaded: datetime
) -> None:
    sign_in(client, "viewer@acme.example")
    page = client.get("/portal/tickets?customer=globex-retail")
    assert page.status_code == 422  # the customer's own only, said so
    assert "G-LATE" not in page.text
    page = client.get("/portal/tickets")
    assert 'id="f-customer"' not in page.text
    assert "G-LATE" not in client.get("/portal/tickets").text
    other = client.get("/portal/tickets/G-LATE")
    missing = client.get("/portal/tickets/NO-SUCH-TICKET")
    assert other.status_code == missing.status_code == 404
    assert other.text.replace("G-LATE", "X") == missing.text.replace("NO-SUCH-TICKET", "X")
    own = client.get("/portal/tickets/A-RISK")
    assert own.status_code == 200
    assert "<svg" in own.text
    assert 'class="stretches"' in own.text


def test_a_breached_tickets_page_shows_where_the_time_went(
    client: TestClient, provider: Provider, loaded: datetime
) -> None:
    sign_in(client, "viewer@globex.example")
    page = client.get("/portal/tickets/G-LATE")
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", page.text)
    assert "breached by 7 h" in text
    assert "By status: New 9 h" in text
    assert 'class="breach"' in page.text  # the deadline drawn on the timeline
    assert "Business time used</dt><dd>9 h of 2 h" in text


def test_an_unknown_state_is_refused_with_a_page_naming_the_choices(
    client: TestClient, provider: Provider, loaded: datetime
) -> None:
    sign_in(client, "viewer@acme.example")
    page = client.get("/portal/tickets?state=late")
    assert page.status_code == 422
    assert "at_risk" in page.text
    assert "'late'" in page.text.replace("&#39;", "'")


def test_home_counts_the_tickets_at_risk_that_the_tickets_page_lists(
    provider: Provider, loaded: datetime
) -> None:
    """One judgement for both: A-RISK, and A-FULL, paused (waiting on the customer) with its
    4 hours all used, not over: at risk, not breached (the Tickets page once left it out,
    Home counted it)."""
    created = loaded - timedelta(hours=5)
    events = [
        _event("A-FULL", 1, created, "created", status="New", customer="acme-corp"),
        _event("A-FULL", 2, created + timedelta(minutes=10), "comment"),
        _event("A-FULL", 3, created + timedelta(hours=4), "updated", status="Waiting on customer"),
    ]
    with provider.database.session() as session:
        admin = tenants.authenticate(session, provider.admin_key)
        ingest.ingest_events(session, admin, events)
        tracking.refresh(session, provider.organisation_id, "A-FULL", loaded)
    who = provider.principal("viewer@acme.example")
    with provider.database.session() as session:
        home = standing.standing(session, who)
        listed = tickets.listing(session, who, tickets.Filters(state="at_risk"))
    assert sorted(t.ticket for t in listed.tickets) == ["A-FULL", "A-RISK"]
    assert home.at_risk == listed.total == 2
    assert sorted(t.ticket for t in home.tickets if t.state != "breached") == ["A-FULL", "A-RISK"]
    assert "A-FULL" not in _listed(provider, "viewer@acme.example", state="breached")


def test_a_running_clock_at_its_very_deadline_is_not_breached_on_any_page(
    provider: Provider, loaded: datetime, clock: Clock
) -> None:
    """A-RISK's 4 hours of resolution run out at 15:30: at that instant all of them are used,
    none over (core/timer: breached when used > target), so the Tickets page's breached
    filter (SQL) leaves it out and its running filter keeps it, as Home judges it; a
    microsecond later it is breached everywhere."""
    with provider.database.session() as session:
        deadline = session.scalar(
            select(ClockRow.deadline).where(
                ClockRow.ticket == "A-RISK", ClockRow.objective == "resolution"
            )
        )
    assert deadline is not None
    deadline = deadline if deadline.tzinfo else deadline.replace(tzinfo=UTC)
    assert deadline == loaded + timedelta(minutes=30)
    viewer = "viewer@acme.example"
    clock.set(deadline)
    assert "A-RISK" not in _listed(provider, viewer, state="breached")
    assert "A-RISK" in _listed(provider, viewer, state="running")
    assert "A-RISK" in _listed(provider, viewer, state="at_risk")
    with provider.database.session() as session:
        home = standing.standing(session, provider.principal(viewer))
    assert [t.state for t in home.tickets if t.ticket == "A-RISK"] == ["running"]
    assert home.breached == 0
    clock.set(deadline + timedelta(microseconds=1))
    assert "A-RISK" in _listed(provider, viewer, state="breached")
    assert "A-RISK" not in _listed(provider, viewer, state="running")
    assert "A-RISK" not in _listed(provider, viewer, state="at_risk")
    with provider.database.session() as session:
        home = standing.standing(session, provider.principal(viewer))
    assert [t.state for t in home.tickets if t.ticket == "A-RISK"] == ["breached"]
    assert home.breached == 1


OFFICE_DESK = """
id: office-desk
version: "1"
overview: {title: Office desk}
parties:
  customer: {id: acme-corp, name: ACME}
  provider: {id: us, name: Us}
calendars:
  office: {timezone: UTC, hours: {daily: "09:00-17:00"}}
objectives:
  - id: office-resolution
    metric: resolution
    within: 3h
    target: 90%
    calendar: office
    clock: {stop: {status: [Resolved]}}
"""


def _office_ticket(provider: Provider) -> None:
    """O-1, opened at 14:00 under the office desk (3 office hours to resolve it)."""
    with provider.database.session() as session:
        admin = tenants.authenticate(session, provider.admin_key)
        agreements.upload(session, admin, OFFICE_DESK)
        opened = NOW - timedelta(hours=1)
        event = _event("O-1", 1, opened, "created", status="New", customer="acme-corp")
        ingest.ingest_events(session, admin, [event])
        tracking.refresh(session, provider.organisation_id, "O-1", NOW)


def test_a_clock_whose_calendar_closed_at_its_deadline_is_not_breached_overnight(
    provider: Provider, clock: Clock
) -> None:
    """Opened at 14:00 with 3 office hours (09:00 to 17:00) to resolve it: its deadline is
    17:00, when the office closes. All evening its 3 hours are used, none over: at risk, not
    breached, on the Tickets page as on Home; breached once the office opens again."""
    _office_ticket(provider)
    viewer = "viewer@acme.example"
    only = {"agreement": "office-desk"}
    clock.set(NOW.replace(hour=22))
    assert "O-1" not in _listed(provider, viewer, state="breached", **only)
    assert "O-1" in _listed(provider, viewer, state="running", **only)
    assert "O-1" in _listed(provider, viewer, state="at_risk", **only)
    with provider.database.session() as session:
        home = standing.standing(session, provider.principal(viewer))
    office = [t.state for t in home.tickets if t.agreement == "office-desk"]
    assert office == ["running"]  # its other agreement's clocks (24x7) are breached
    clock.set(NOW.replace(hour=9, minute=1) + timedelta(days=1))
    assert "O-1" in _listed(provider, viewer, state="breached", **only)
    assert "O-1" not in _listed(provider, viewer, state="running", **only)


def test_the_api_lists_of_clocks_at_risk_and_breached_judge_the_deadline_as_the_tickets_page(
    provider: Provider, clock: Clock
) -> None:
    """The same ticket for ``GET /v1/clocks/breached`` and ``/v1/clocks/at-risk``: all evening
    its 3 office hours are used and none over, so it is at risk (its deadline, 17:00, is behind
    it), not breached; the next morning at 09:01 it is breached and no longer at risk."""
    _office_ticket(provider)

    def listed(breached: bool) -> list[str]:
        with provider.database.session() as session:
            admin = tenants.authenticate(session, provider.admin_key)
            rows = tickets.clocks_at_risk(
                session,
                admin,
                within=timedelta(hours=1),
                breached=breached,
                agreement="office-desk",
            )
        return [row.ticket for row, _ in rows]

    clock.set(NOW.replace(hour=17))
    assert (listed(breached=True), listed(breached=False)) == ([], ["O-1"])
    clock.set(NOW.replace(hour=22))
    assert (listed(breached=True), listed(breached=False)) == ([], ["O-1"])
    clock.set(NOW.replace(hour=9, minute=1) + timedelta(days=1))
    assert (listed(breached=True), listed(breached=False)) == (["O-1"], [])
