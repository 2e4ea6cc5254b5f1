"""The standing of a customer (the portal's Home) and the provider's overview, on SQLite and
PostgreSQL: its figures are the report's figures, a customer sees only its own, an open ticket
at risk and a credit owed appear, a day with an outage is drawn in the downtime colour."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient

from accord import load_agreement
from accord.core.availability import Outage
from accord.core.clocks import TicketEvent, calendars_of
from accord.core.evidence import Data
from accord.core.periods import period_bounds
from accord.core.report import Report, evaluate
from accord.core.series import budget_burn
from accord.render import pictures, words
from accord.render.standing import overview_html, standing_html
from accord.service import agreements, ingest, reports, standing, tenants, tracking
from accord.service.demo import DATA
from accord.store import Database
from tests.service.conftest import Clock, Tenant, months_judged, service_clock

NOW = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)

STANDING = """
id: cloud
version: "1"
overview: {title: Cloud platform}
parties:
  customer: {id: acme-corp, name: ACME}
  provider: {id: us, name: Us}
effective: {start: 2026-01-01, review: {next: 2027-03-01, owner: owner@us.example}}
services: [{id: api, name: API}, {id: web, name: Web}]
tiers:
  - {id: standard, name: Standard, fee: {amount: "1000.00", currency: EUR}, per: month}
objectives:
  - {id: availability, metric: availability, scope: {service: [api, web]}, target: 99.9%,
     calendar: 24x7}
  - id: resolution
    metric: resolution
    within: 4h
    target: 90%
    calendar: 24x7
    clock: {stop: {status: [Resolved]}}
remedies:
  credits:
    - objective: availability
      bands:
        - {below: "99.9%", at_least: "99.0%", credit: "10%"}
        - {below: "99.0%", credit: "25%"}
  claim: {window: 30d, procedure: Write to us.}
"""

OTHER = STANDING.replace("id: cloud", "id: globex-cloud").replace(
    "customer: {id: acme-corp, name: ACME}", "customer: {id: globex, name: Globex}"
)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    return service_clock(monkeypatch, datetime(2026, 1, 1, tzinfo=UTC), standing)


def _events(name: str, customer: str, opened: datetime, hours: float | None) -> list[Any]:
    events = [
        {
            "id": f"{name}-1",
            "ticket": name,
            "at": opened.isoformat(),
            "kind": "created",
            "fields": {"status": "New", "customer": customer},
        }
    ]
    if hours is not None:
        events.append(
            {
                "id": f"{name}-2",
                "ticket": name,
                "at": (opened + timedelta(hours=hours)).isoformat(),
                "kind": "resolved",
                "fields": {"status": "Resolved"},
            }
        )
    return [ingest.EventIn.model_validate_json(json.dumps(e)) for e in events]


def _outage(name: str, service: str, start: datetime, minutes: int) -> Any:
    return ingest.OutageIn.model_validate_json(
        json.dumps(
            {
                "id": name,
                "service": service,
                "start": start.isoformat(),
                "end": (start + timedelta(minutes=minutes)).isoformat(),
            }
        )
    )


def _load(database: Database, tenant: Tenant, clock: Clock) -> None:
    """ACME's cloud since January and Globex's: a long outage of ACME's API in November (a
    credit owed), a short one of its web service this month, tickets resolved and one open
    for 3.5 of its 4 hours (at risk); one of Globex's tickets open past its deadline."""
    with database.session() as session:
        principal = tenants.authenticate(session, tenant.key)
        agreements.upload(session, principal, STANDING)
        agreements.upload(session, principal, OTHER)
    clock.moment = NOW - timedelta(hours=3, minutes=30)
    with database.session() as session:
        principal = tenants.authenticate(session, tenant.key)
        events = [
            *_events("A1", "acme-corp", datetime(2026, 11, 3, 9, tzinfo=UTC), 2),
            *_events("A2", "acme-corp", datetime(2026, 12, 2, 9, tzinfo=UTC), 1),
            *_events("A3", "acme-corp", datetime(2026, 12, 3, 9, tzinfo=UTC), 6),
            *_events("A4", "acme-corp", NOW - timedelta(hours=3, minutes=30), None),
            *_events("G1", "globex", NOW - timedelta(hours=9), None),
        ]
        ingest.ingest_events(session, principal, events)
        outages = [
            _outage("nov", "api", datetime(2026, 11, 20, 10, tzinfo=UTC), 120),
            _outage("dec", "web", datetime(2026, 12, 8, 10, tzinfo=UTC), 20),
        ]
        ingest.ingest_records(session, principal, "outage", outages)
    clock.moment = NOW


def _judged_apart(period: str) -> Report:
    """The report of ``period`` of ACME's cloud made by the core alone from the records
    :func:`_load` stores (ACME's tickets, every outage), observed from the first record to
    NOW: what standing's figures must be, computed without the service."""
    agreement = load_agreement(STANDING)
    opened = {
        "A1": datetime(2026, 11, 3, 9, tzinfo=UTC),
        "A2": datetime(2026, 12, 2, 9, tzinfo=UTC),
    }
    opened |= {"A3": datetime(2026, 12, 3, 9, tzinfo=UTC), "A4": NOW - timedelta(hours=3.5)}
    hours = {"A1": 2.0, "A2": 1.0, "A3": 6.0}
    tickets = []
    for name, at in opened.items():
        fields = {"status": "New", "customer": "acme-corp"}
        tickets.append(TicketEvent(f"{name}-1", name, at, "created", fields, None))
        if name in hours:
            resolved = at + timedelta(hours=hours[name])
            done = {"status": "Resolved"}
            tickets.append(TicketEvent(f"{name}-2", name, resolved, "resolved", done, None))
    outages = (
        Outage(
            "api", datetime(2026, 11, 20, 10, tzinfo=UTC), datetime(2026, 11, 20, 12, tzinfo=UTC)
        ),
        Outage(
            "web", datetime(2026, 12, 8, 10, tzinfo=UTC), datetime(2026, 12, 8, 10, 20, tzinfo=UTC)
        ),
    )
    data = Data(outages=outages, tickets=tuple(tickets), observed=(opened["A1"], NOW))
    return evaluate(agreement, data, *period_bounds(period, "UTC"), as_of=NOW, strict=False)


def test_the_figures_are_those_of_the_core_on_the_same_records(
    database: Database, acme: Tenant, clock: Clock
) -> None:
    _load(database, acme, clock)
    with database.session() as session:
        principal = tenants.authenticate(session, acme.key)
        found = standing.standing(session, principal, NOW, customer="acme-corp")
    report = _judged_apart("2026-12")
    (cloud,) = found.agreements
    assert cloud.key == "cloud"
    assert cloud.period == "2026-12"
    assert cloud.next_review == date(2027, 3, 1)
    by_id = {o.objective: o for o in cloud.objectives}
    assert list(by_id) == ["availability", "resolution"]
    for result in report.objectives:
        mine = by_id[result.objective]
        assert (mine.attained, mine.met, mine.margin, mine.status) == (
            result.actual,
            result.met,
            result.margin,
            result.status,
        )
    # resolution: A2 in 1 h and A3 in 6 h of 4 h resolved this month, A4 open
    assert by_id["resolution"].attained == Decimal(50)
    assert (by_id["resolution"].open_tickets, by_id["resolution"].at_risk) == (1, 1)
    availability = by_id["availability"]
    result = next(o for o in report.objectives if o.objective == "availability")
    burn = budget_burn(result, calendars_of(load_agreement(STANDING))["24x7"], report.end)
    assert burn is not None
    assert availability.downtime == timedelta(minutes=20)
    # the budget of the whole month (99.9% of 31 days: 44 min 38.4 s), less the 20 minutes
    assert availability.budget == timedelta(microseconds=int(burn.budget))
    assert availability.budget == timedelta(minutes=44, seconds=38.4)
    assert availability.budget_left == timedelta(minutes=24, seconds=38.4)
    # 20 minutes in 9.5 days: 31 days at that pace are 65 min, over the 44 min 38.4 s
    assert availability.projected_met is False
    assert availability.exhausted_at is not None
    assert NOW < availability.exhausted_at < report.end
    # November: the API down 2 h of 30 days (99.7%): 10% of the 1000 EUR fee
    assert [(c.period, c.amount, c.currency) for c in cloud.credits_before] == [
        ("2026-11", Decimal("100.00"), "EUR")
    ]
    november = _judged_apart("2026-11")
    assert november.settlement is not None
    assert november.settlement.amount == Decimal("100.00")
    assert cloud.credit_now is not None
    assert cloud.credit_now.final is False
    assert report.settlement is not None
    assert cloud.credit_now.amount == report.settlement.amount


def test_an_open_ticket_at_risk_and_one_breached_appear_to_their_own_customer(
    database: Database, acme: Tenant, clock: Clock
) -> None:
    _load(database, acme, clock)
    with database.session() as session:
        principal = tenants.authenticate(session, acme.key)
        tracking.refresh(session, acme.id, "A4", NOW - timedelta(hours=1))
        tracking.refresh(session, acme.id, "G1", NOW - timedelta(hours=1))
        mine = standing.standing(session, principal, NOW, customer="acme-corp")
        theirs = standing.standing(session, principal, NOW, customer="globex")
        everyone = standing.overview(session, principal, NOW)
    assert [(t.ticket, t.state) for t in mine.tickets] == [("A4", "running")]
    (a4,) = mine.tickets
    assert a4.left == timedelta(minutes=30)  # 3 h 30 min of 4 h used, advanced to now
    assert (mine.at_risk, mine.breached) == (1, 0)
    assert [(t.ticket, t.state) for t in theirs.tickets] == [("G1", "breached")]
    assert theirs.tickets[0].left == timedelta(hours=-5)
    # both miss resolution so far (Globex's open ticket past its deadline counts as breached);
    # availability is met so far (20 minutes down of December's 44 min 38.4 s: the outages
    # name no customer, they count for both); Globex has a ticket breached open, so it comes
    # first
    assert [(c.customer, c.missed, c.breached) for c in everyone.customers] == [
        ("globex", 1, 1),
        ("acme-corp", 1, 0),
    ]
    assert {t.ticket for t in everyone.tickets} == {"A4", "G1"}
    assert everyone.tickets[0].ticket == "G1"


def test_a_customer_key_sees_only_its_own_customer(
    database: Database, acme: Tenant, clock: Clock, client: TestClient
) -> None:
    _load(database, acme, clock)
    headers = acme.key_for("read", customer="acme-corp")
    own = client.get("/v1/standing", headers=headers)
    assert own.status_code == 200, own.text
    assert [a["key"] for a in own.json()["agreements"]] == ["cloud"]
    assert own.json()["customer"] == "acme-corp"
    named = client.get("/v1/standing/customers/acme-corp", headers=headers)
    assert named.status_code == 200
    assert named.json()["agreements"][0]["key"] == "cloud"
    other = client.get("/v1/standing/customers/globex", headers=headers)
    assert other.status_code == 404
    assert other.headers["content-type"].startswith("application/problem+json")
    overview = client.get("/v1/standing/overview", headers=headers)
    assert overview.status_code == 200
    assert [c["customer"] for c in overview.json()["customers"]] == ["acme-corp"]
    # the provider's key sees both
    both = client.get("/v1/standing/overview", headers=acme.headers)
    assert {c["customer"] for c in both.json()["customers"]} == {"acme-corp", "globex"}
    globex = client.get("/v1/standing/customers/globex", headers=acme.headers)
    assert [a["key"] for a in globex.json()["agreements"]] == ["globex-cloud"]
    assert client.get("/v1/standing/customers/nobody", headers=acme.headers).status_code == 404
    # judged early in 1970: fewer earlier months, none before the years Accord handles
    early = client.get(
        "/v1/standing/overview",
        params={"as_of": "1970-02-20T17:36:15.509975-06:09"},
        headers=acme.headers,
    )
    assert early.status_code == 200, early.text


def test_the_api_and_the_fragment_show_the_same_figures(
    database: Database, acme: Tenant, clock: Clock, client: TestClient
) -> None:
    _load(database, acme, clock)
    document = client.get(
        "/v1/standing/customers/acme-corp", headers=acme.headers, params={"as_of": NOW.isoformat()}
    ).json()
    with database.session() as session:
        principal = tenants.authenticate(session, acme.key)
        found = standing.standing(session, principal, NOW, customer="acme-corp")
    html = standing_html(found)
    (cloud,) = document["agreements"]
    availability = next(o for o in cloud["objectives"] if o["objective"] == "availability")
    assert Decimal(availability["attained"]) == found.agreements[0].objectives[0].attained
    assert availability["budget_left_seconds"] == 24 * 60 + 38.4
    assert cloud["credits_before"][0]["period"] == "2026-11"
    assert html.startswith("<section")
    assert '<th scope="col">' in html
    amount = cloud["credits_before"][0]["amount"]
    assert f"{Decimal(amount):,.2f}" in html


def _budget_spent(database: Database, acme: Tenant, clock: Clock) -> standing.Standing:
    """The standing at NOW once 30 minutes more down on 10 December (stored an hour before)
    made 50 minutes: more than the whole of December's 44 min 38.4 s budget."""
    clock.moment = NOW - timedelta(hours=1)
    with database.session() as session:
        principal = tenants.authenticate(session, acme.key)
        later = datetime(2026, 12, 10, 9, tzinfo=UTC)
        ingest.ingest_records(session, principal, "outage", [_outage("more", "api", later, 30)])
    clock.moment = NOW
    with database.session() as session:
        principal = tenants.authenticate(session, acme.key)
        return standing.standing(session, principal, NOW, customer="acme-corp")


def test_an_outage_within_the_month_s_budget_is_met_so_far_and_owes_nothing_yet(
    database: Database, acme: Tenant, clock: Clock, client: TestClient
) -> None:
    # 20 minutes down on 8 December, judged on the 10th at noon: 99.854% of the 9.5 days
    # elapsed, but December's 99.9% allows 44 min 38.4 s and the month ends at least at
    # 99.955%: met so far, nothing owed yet (it was "missed so far", 100 EUR, before)
    _load(database, acme, clock)
    elapsed, month = Decimal(9 * 1440 + 720), Decimal(31 * 1440)
    with database.session() as session:
        principal = tenants.authenticate(session, acme.key)
        found = standing.standing(session, principal, NOW, customer="acme-corp")
        everyone = standing.overview(session, principal, NOW)
    (cloud,) = found.agreements
    availability = cloud.objectives[0]
    assert availability.attained == (month - 20) / month * 100
    assert availability.pace == (elapsed - 20) / elapsed * 100
    assert availability.met is True
    assert availability.projected == availability.pace
    assert cloud.credit_now is not None
    assert cloud.credit_now.amount == 0
    assert found.owed() == {"EUR": Decimal("100.00")}  # November's only
    # the console counts resolution alone missed so far for ACME
    assert [(c.customer, c.missed) for c in everyone.customers if c.customer == "acme-corp"] == [
        ("acme-corp", 1)
    ]
    document = client.get(
        "/v1/standing/customers/acme-corp", headers=acme.headers, params={"as_of": NOW.isoformat()}
    ).json()
    shown = document["agreements"][0]["objectives"][0]
    assert Decimal(shown["attained"]) == availability.attained
    assert Decimal(shown["attained_elapsed"]) == availability.pace
    assert shown["met"] is True
    assert Decimal(document["agreements"][0]["credit_now"]["amount"]) == 0
    html = standing_html(found)
    assert "at least 99.955%" in html
    assert "met so far" in html
    # 30 minutes more: 50 minutes spend the whole month's budget, a certain miss and a credit
    found = _budget_spent(database, acme, clock)
    (cloud,) = found.agreements
    assert cloud.objectives[0].met is False
    assert cloud.credit_now is not None
    assert cloud.credit_now.amount == Decimal("100.00")
    html = standing_html(found)
    assert ">missed<" in html
    assert "missed so far" in html  # resolution, whose miss to date may still turn


def test_the_legend_speaks_of_ticket_forecasts_only_when_one_is_shown(
    database: Database, acme: Tenant, clock: Clock
) -> None:
    """Home's line under an agreement's objectives said what a ticket objective's forecast
    is under a table with none; it says it only beside one."""
    _load(database, acme, clock)
    with database.session() as session:
        principal = tenants.authenticate(session, acme.key)
        found = standing.standing(session, principal, NOW, customer="acme-corp")
    (agreement,) = found.agreements
    availability, resolution = agreement.objectives[:2]
    assert resolution.metric == "resolution"
    assert resolution.projected is not None

    def legend(*objectives: standing.ObjectiveStanding) -> str:
        shown = replace(found, agreements=(replace(agreement, objectives=objectives),))
        found_legend = re.search(r'<p class="meta legend">(.*?)</p>', standing_html(shown), re.S)
        return "" if found_legend is None else unescape(found_legend.group(1))

    alone = legend(availability)
    assert '"at least" is the least the month can end at' in alone
    assert "Ticket objectives" not in alone
    both = legend(availability, resolution)
    assert both.startswith(alone)
    assert both.endswith("Ticket objectives: the best share the month can still end at.")
    assert legend(resolution) == "Ticket objectives: the best share the month can still end at."


def _cells(html: str, objective: str) -> list[str]:
    """The text a reader sees in each cell of an objective's row (tags and spacing dropped)."""
    row = re.search(rf'<tr data-objective="{objective}">(.*?)</tr>', html, re.S)
    assert row is not None, objective
    cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row.group(1), re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in cells]


def test_the_floor_met_so_far_and_a_forecast_that_would_miss_say_which_is_which(
    database: Database, acme: Tenant, clock: Clock
) -> None:
    """20 minutes down by 10 December: at least 99.955%, met so far, beside the pace of the 9.5
    days elapsed (99.854%), which would miss. The page said "99.854%, missed; budget spent
    by ..." beside "met so far": two verdicts, read side by side. The forecast now says it is
    one ("if the rest of the month goes as so far", "would", "at that pace"), the column is
    headed as a forecast, and a line under the table tells the floor from the forecast."""
    _load(database, acme, clock)
    with database.session() as session:
        principal = tenants.authenticate(session, acme.key)
        found = standing.standing(session, principal, NOW, customer="acme-corp")
    availability = found.agreements[0].objectives[0]
    assert availability.projected_met is False
    assert availability.exhausted_at is not None
    assert availability.exhausted_at > NOW
    html = standing_html(found)
    _, promised, attained, so_far, budget, forecast = _cells(html, "availability")
    assert (promised, attained, so_far) == ("99.9%", "at least 99.955%", "met so far")
    assert budget == "24 min 38 s of 44 min 38 s left"
    runs_out = words.when(availability.exhausted_at, UTC)
    assert forecast == (
        "99.854% if the rest of the month goes as so far: would be missed; "
        f"at that pace the budget would run out on {runs_out}"
    )
    assert ">forecast for the month&rsquo;s end</th>" in html
    assert "projected end of period" not in html
    legend = re.search(r'<p class="meta legend">(.*?)</p>', html, re.S)
    assert legend is not None
    assert '"at least" is the least the month can end at' in unescape(legend.group(1))
    assert "not a verdict" in legend.group(1)
    # a ticket objective's forecast is the best the month can still end at
    resolution = _cells(html, "resolution")[-1]
    assert resolution.startswith("at best ")
    assert resolution.endswith((": can still be met", ": cannot be met, whatever happens next"))
    # 30 minutes more spend the whole month's budget: a certain miss, and a fact, not a forecast
    spent = _budget_spent(database, acme, clock)
    ran_out = spent.agreements[0].objectives[0].exhausted_at
    assert ran_out is not None
    assert ran_out <= NOW
    _, _, _, so_far, _, forecast = _cells(standing_html(spent), "availability")
    assert so_far == "missed"
    assert forecast.endswith(f"would be missed; the budget ran out on {words.when(ran_out, UTC)}")


def test_the_uptime_bar_of_a_day_with_an_outage_has_the_downtime_colour(
    database: Database, acme: Tenant, clock: Clock
) -> None:
    _load(database, acme, clock)
    with database.session() as session:
        principal = tenants.authenticate(session, acme.key)
        found = standing.standing(session, principal, NOW, customer="acme-corp")
    rows = {r.service: r for r in found.agreements[0].uptime}
    assert set(rows) == {"api", "web"}
    web = {d.day: d for d in rows["web"].days}
    assert len(rows["web"].days) == standing.UPTIME_DAYS
    assert web[date(2026, 12, 8)].level == "major"  # 20 min over a day's 1 min 26.4 s
    assert web[date(2026, 12, 8)].downtime == timedelta(minutes=20)
    assert web[date(2026, 12, 7)].level == "up"
    api = {d.day: d for d in rows["api"].days}
    assert api[date(2026, 11, 20)].level == "major"
    html = standing_html(found)
    bar = re.search(
        r'data-service="web".*?data-day="2026-12-08" data-level="major"[^>]*>'
        r"<title>[^<]*</title><rect [^>]*fill=\"url\(#([a-z0-9-]+)-major\)\"",
        html,
        re.S,
    )
    assert bar is not None
    pattern = re.search(rf'<pattern id="{bar.group(1)}-major"[^>]*><rect [^>]*fill="([^"]+)"', html)
    assert pattern is not None
    assert pattern.group(1) == pictures.MAJOR
    assert "2026-12-08: " in html  # the day's text equivalent


def test_closed_months_come_from_their_kept_reports(
    database: Database, acme: Tenant, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _load(database, acme, clock)
    judged = months_judged(monkeypatch)
    with database.session() as session:
        principal = tenants.authenticate(session, acme.key)
        first = standing.standing(session, principal, NOW, customer="acme-corp")
    # the open month and the eleven months of 2026 before it (the agreement began in January)
    assert sorted(judged) == [f"2026-{m:02d}" for m in range(1, 13)]
    judged.clear()
    later = NOW + timedelta(hours=1)
    clock.moment = later
    with database.session() as session:
        principal = tenants.authenticate(session, acme.key)
        again = standing.standing(session, principal, later, customer="acme-corp")
    assert judged == ["2026-12"]
    assert again.agreements[0].credits_before == first.agreements[0].credits_before


def test_an_instant_outside_the_horizon_is_refused_with_its_name(
    acme: Tenant, client: TestClient
) -> None:
    answer = client.get(
        "/v1/standing", headers=acme.headers, params={"as_of": "1066-10-14T09:00:00+00:00"}
    )
    assert answer.status_code == 422
    assert "as_of" in answer.text


def test_a_version_taking_over_mid_month_leaves_the_month_to_the_version_judging_it(
    database: Database, acme: Tenant, clock: Clock
) -> None:
    _load(database, acme, clock)
    # version 2 measures first responses instead of resolutions, from 5 December
    resolution = STANDING[STANDING.index("  - id: resolution") : STANDING.index("remedies:")]
    second = STANDING.replace('version: "1"', 'version: "2"').replace(
        resolution,
        "  - {id: response, metric: first_response, within: 1h, target: 95%, calendar: 24x7}\n",
    )
    with database.session() as session:
        principal = tenants.authenticate(session, acme.key)
        agreements.upload(session, principal, second, datetime(2026, 12, 5, tzinfo=UTC))
        found = standing.standing(session, principal, NOW, customer="acme-corp")
        report = reports.report(session, principal, "cloud", "2026-12")
    (cloud,) = found.agreements
    assert [o.objective for o in cloud.objectives] == [o.objective for o in report.objectives]
    assert [o.objective for o in cloud.objectives] == ["availability", "resolution"]
    assert cloud.version == report.version == "1"


def test_a_late_outage_makes_the_months_it_reaches_judged_again_and_its_credit_appear(
    database: Database, acme: Tenant, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _load(database, acme, clock)
    with database.session() as session:
        principal = tenants.authenticate(session, acme.key)
        before = standing.standing(session, principal, NOW, customer="acme-corp")
    assert [c.period for c in before.agreements[0].credits_before] == ["2026-11"]
    judged = months_judged(monkeypatch)
    clock.moment = NOW + timedelta(hours=1)
    with database.session() as session:  # three hours down in October, sent late
        principal = tenants.authenticate(session, acme.key)
        outage = _outage("oct", "api", datetime(2026, 10, 7, 10, tzinfo=UTC), 180)
        ingest.ingest_records(session, principal, "outage", [outage])
    later = NOW + timedelta(hours=2)
    clock.moment = later
    periods = ["2026-11", "2026-10", "2026-09"]
    with database.session() as session:
        principal = tenants.authenticate(session, acme.key)
        found = reports.closed_reports(session, principal, "cloud", periods, moment=later)
        # October and November end after the outage began: judged again; September is kept
        assert judged == ["2026-11", "2026-10"]
        judged.clear()
        assert found == [reports.report(session, principal, "cloud", p) for p in periods]
        assert judged == []  # all three kept now
        after = standing.standing(session, principal, later, customer="acme-corp")
    october = next(r for r in found if r.start.month == 10)
    assert october.settlement is not None
    assert october.settlement.amount > 0
    assert [c.period for c in after.agreements[0].credits_before] == ["2026-11", "2026-10"]


def _fresh(database: Database, key: str, moment: datetime) -> standing.Standing:
    """The standing read from the database again, nothing held by the process."""
    reports.forget(database.engine)
    with database.session() as session:
        return standing.standing(session, tenants.authenticate(session, key), moment)


def test_a_view_after_an_outage_and_a_ticket_event_are_stored_shows_them(
    database: Database, acme: Tenant, clock: Clock
) -> None:
    _load(database, acme, clock)
    with database.session() as session:  # the open month's evidence now held by the process
        before = standing.standing(session, tenants.authenticate(session, acme.key), NOW)
    clock.moment = NOW + timedelta(minutes=5)
    with database.session() as session:  # A4 resolved, and the API down for half an hour
        principal = tenants.authenticate(session, acme.key)
        resolved = {
            "id": "A4-2",
            "ticket": "A4",
            "at": (NOW - timedelta(hours=1)).isoformat(),
            "kind": "resolved",
            "fields": {"status": "Resolved"},
        }
        ingest.ingest_events(
            session, principal, [ingest.EventIn.model_validate_json(json.dumps(resolved))]
        )
        outage = _outage("dec-api", "api", NOW - timedelta(hours=2), 30)
        ingest.ingest_records(session, principal, "outage", [outage])
    later = NOW + timedelta(minutes=10)
    with database.session() as session:
        after = standing.standing(session, tenants.authenticate(session, acme.key), later)
    cloud, was = after.agreements[0], before.agreements[0]
    availability = {o.objective: o for o in cloud.objectives}["availability"]
    assert availability.downtime == timedelta(minutes=50)
    assert {o.objective: o for o in was.objectives}["availability"].downtime == timedelta(
        minutes=20
    )
    resolution = {o.objective: o for o in cloud.objectives}["resolution"]
    assert resolution.open_tickets == 0
    assert {o.objective: o for o in was.objectives}["resolution"].open_tickets == 1
    api = {r.service: r for r in cloud.uptime}["api"]
    assert {d.day: d for d in api.days}[NOW.date()].downtime == timedelta(minutes=30)
    assert after == _fresh(database, acme.key, later)


def test_a_held_view_at_a_later_instant_is_the_view_read_again(
    database: Database, acme: Tenant, clock: Clock
) -> None:
    _load(database, acme, clock)
    with database.session() as session:  # an outage to come, and a ticket event to come
        principal = tenants.authenticate(session, acme.key)
        outage = _outage("soon", "web", NOW + timedelta(hours=1), 45)
        ingest.ingest_records(session, principal, "outage", [outage])
        ingest.ingest_events(
            session, principal, _events("A5", "acme-corp", NOW + timedelta(hours=1), 1)
        )
    moments = [NOW, NOW + timedelta(minutes=90), NOW + timedelta(hours=3)]
    views = []
    for moment in moments:  # one reading of the evidence, held for the later views
        with database.session() as session:
            views.append(
                standing.standing(session, tenants.authenticate(session, acme.key), moment)
            )
    for moment, view in zip(moments, views, strict=True):
        assert view == _fresh(database, acme.key, moment)
    web = [{r.service: r for r in v.agreements[0].uptime}["web"] for v in views]
    today = [{d.day: d for d in w.days}[NOW.date()].downtime for w in web]
    assert today == [timedelta(0), timedelta(minutes=30), timedelta(minutes=45)]
    resolution = [{o.objective: o for o in v.agreements[0].objectives}["resolution"] for v in views]
    assert [r.open_tickets for r in resolution] == [1, 2, 1]  # A5 open from 13:00 to 14:00
    clock.moment = NOW + timedelta(hours=3, minutes=5)
    with database.session() as session:  # a ticket event only: the records stay held
        principal = tenants.authenticate(session, acme.key)
        ingest.ingest_events(
            session, principal, _events("A6", "acme-corp", NOW + timedelta(hours=2), None)
        )
    later = NOW + timedelta(hours=3, minutes=10)
    with database.session() as session:
        after = standing.standing(session, tenants.authenticate(session, acme.key), later)
    resolution_now = {o.objective: o for o in after.agreements[0].objectives}["resolution"]
    assert resolution_now.open_tickets == 2  # A4 and A6
    assert after == _fresh(database, acme.key, later)


def test_a_late_outage_after_a_view_shows_its_credit_at_the_next_view(
    database: Database, acme: Tenant, clock: Clock
) -> None:
    _load(database, acme, clock)
    for _ in range(2):  # the earlier months kept, then found still valid (and held so)
        with database.session() as session:
            before = standing.standing(session, tenants.authenticate(session, acme.key), NOW)
    assert [c.period for c in before.agreements[0].credits_before] == ["2026-11"]
    clock.moment = NOW + timedelta(hours=1)
    with database.session() as session:  # three hours down in October, sent late
        principal = tenants.authenticate(session, acme.key)
        outage = _outage("oct", "api", datetime(2026, 10, 7, 10, tzinfo=UTC), 180)
        ingest.ingest_records(session, principal, "outage", [outage])
    later = NOW + timedelta(hours=2)
    with database.session() as session:
        after = standing.standing(session, tenants.authenticate(session, acme.key), later)
    assert [c.period for c in after.agreements[0].credits_before] == ["2026-11", "2026-10"]
    assert after == _fresh(database, acme.key, later)


def test_calendars_with_holidays_written_as_dates_are_held_and_laid_out_alike() -> None:
    text = (DATA / "agreements" / "it-service-desk.yaml").read_text(encoding="utf-8")
    agreement = agreements._resolve_text(text, "it-service-desk.yaml", {})[0]
    assert any(isinstance(k, date) for c in agreement.calendars.values() for k in _keys(c))
    held = tracking.calendars(agreement)
    assert held is tracking.calendars(agreement)  # laid out once, then held
    fresh = calendars_of(agreement)
    moment = datetime(2026, 12, 24, 15, tzinfo=UTC)
    for name, calendar in fresh.items():
        later = moment + timedelta(days=3)
        assert held[name].elapsed(moment, later) == calendar.elapsed(moment, later)


def _keys(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [*value, *(k for v in value.values() for k in _keys(v))]
    return []


def test_an_agreement_is_on_the_home_page_through_its_last_day(
    database: Database, acme: Tenant, clock: Clock
) -> None:
    ending = STANDING.replace("{start: 2026-01-01,", "{start: 2026-01-01, end: 2026-12-10,")
    assert ending != STANDING
    with database.session() as session:
        agreements.upload(session, tenants.authenticate(session, acme.key), ending)
    last_day = _fresh(database, acme.key, NOW)  # 10 December, the end date itself
    assert [a.key for a in last_day.agreements] == ["cloud"]
    after = _fresh(database, acme.key, NOW + timedelta(days=1))
    assert after.agreements == ()


def german(amount: Decimal) -> str:
    """``1234.5`` as German writes money: ``1.234,50`` (a reference apart from Babel)."""
    return f"{amount:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")


def test_the_fragments_write_money_and_percentages_in_the_readers_convention(
    database: Database, acme: Tenant, clock: Clock
) -> None:
    _load(database, acme, clock)
    with database.session() as session:
        principal = tenants.authenticate(session, acme.key)
        found = standing.standing(session, principal, NOW, customer="acme-corp")
        everyone = standing.overview(session, principal, NOW)
    html = standing_html(found, locale="de")
    (cloud,) = found.agreements
    (before, *_) = cloud.credits_before
    assert f"{german(before.amount)} {before.currency}" in html
    availability = next(o for o in cloud.objectives if o.objective == "availability")
    assert availability.attained is not None
    whole, places = f"{availability.attained:.3f}".rstrip("0").rstrip(".").split(".")
    attained = re.search(
        r'data-objective="availability">.*?class="number attained">([^<]+)<', html, re.S
    )
    assert attained is not None
    # availability in time to date: the least the month ends at
    assert attained.group(1) == f"at least {whole},{places}\xa0%"
    assert f"at least {whole}.{places}%" in standing_html(found)  # English as before
    owed = overview_html(everyone, locale="de")
    amounts = [(a, cur) for c in everyone.customers for cur, a in c.owed().items()]
    assert amounts
    for amount, currency in amounts:
        assert f"{german(amount)} {currency}" in owed
