"""Random agreements and evidence for the tests that a report (or a watch) judged on the
evidence a store reads for it (from ``evidence_since`` or ``watch_since`` to the end) is the
report judged on all the evidence there is.

The agreements mix what looks back before a report's start: burn-rate alerts, billing
periods longer than the report, penalties per hour over a year's threshold, per incident
(an incident running in from the period before is not a new one), per miss, termination
over calendar and rolling spans, counts and deliverables, effective dates near the
period's edges, business-hours windows and maintenance allowances. The evidence has chains
of back-to-back outages (one incident), outages still open, maintenance announced late or
not at all, probes and measurements."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from accord import load_agreement
from accord.core.agreement.model import Agreement
from accord.core.availability import MaintenanceWindow, Outage
from accord.core.evidence import Data, Measurement, Probe

FIRST = datetime(2025, 1, 1, tzinfo=UTC)
LAST = datetime(2027, 1, 1, tzinfo=UTC)
SERVICES = ("api", "db", "web")


def agreement_text(rng: random.Random) -> str:
    """An agreement of random shape (each choice one of those that reach back differently)."""
    per = rng.choice(["month", "quarter", "year"])
    period = rng.choice(["month", "quarter", "year", "rolling 30 days"])
    calendar = rng.choice(["24x7", "office"])
    effective = rng.choice(
        [
            "",
            "effective: {start: 2025-03-02}\n",
            "effective: {start: 2025-01-01, end: 2026-06-01}\n",
            "effective: {start: 2025-02-01, end: 2025-10-02}\n",
        ]
    )
    penalties = []
    for _ in range(rng.randint(0, 2)):
        kind = rng.choice(["hour", "incident", "miss", "day"])
        rule_period = rng.choice(["month", "quarter", "year"])
        threshold = ""  # a period is the span a threshold is counted over
        if kind in ("hour", "day") and rng.random() < 0.7:
            threshold = f", beyond: {rng.choice(['2h', '30m'])}, period: {rule_period}"
        objective = "availability" if kind != "miss" else rng.choice(["availability", "probed"])
        penalties.append(
            f"    - {{objective: {objective}, amount: {{amount: '10.00', currency: EUR}}, "
            f"per: {kind}{threshold}}}\n"
        )
    termination = ""
    if rng.random() < 0.6:
        within = rng.choice(["year", "quarter", "rolling 90 days", "rolling 400 days"])
        chosen = rng.choice(["[availability]", "[availability, probed, leads]", "[]"])
        termination = (
            f"  termination: {{after_misses: 2, within: {within}, objectives: {chosen}}}\n"
        )
    maintenance = rng.choice(
        [
            "",
            "  maintenance: {notice: 24h, allowance: 2h, counts_as: excluded}\n",
            "  maintenance: {allowance: 3h, counts_as: down}\n",
            "  maintenance: {notice: 1h, counts_as: up}\n",
        ]
    )
    escalation = rng.choice(
        [
            ["burn 14.4x over 1h/5m"],
            ["burn 1x over 3d/6h", "75%"],
            ["50%", "breach", "breach + 2h"],
            ["burn 6x over 6h/30m", "100%"],
        ]
    )
    levels = "".join(f'      - {{at: "{at}", notify: [ops@example.com]}}\n' for at in escalation)
    probed_period = rng.choice(["month", "quarter"])
    return (
        "id: spans\n"
        'version: "1"\n'
        "overview: {title: Spans}\n"
        "parties:\n"
        "  provider: {id: us, name: Us}\n"
        "  customer: {id: acme-corp, name: ACME}\n" + effective + "services:\n"
        "  - {id: api, name: API}\n"
        "  - {id: db, name: DB}\n"
        "  - {id: web, name: Web}\n"
        "tiers:\n"
        f"  - {{id: standard, name: Standard, fee: {{amount: '100.00', currency: EUR}}, "
        f"per: {per}}}\n"
        "calendars:\n"
        "  office:\n"
        "    timezone: Europe/Berlin\n"
        '    hours: {mon-fri: "08:00-18:00"}\n'
        "objectives:\n"
        "  - id: availability\n"
        "    metric: availability\n"
        "    scope: {service: [api, db]}\n"
        '    target: "99.5%"\n'
        f"    period: {period}\n"
        f"    calendar: {calendar}\n"
        "  - id: probed\n"
        "    metric: availability\n"
        "    method: slices\n"
        "    slice: 1h\n"
        "    scope: {service: [web]}\n"
        '    target: "99%"\n'
        f"    period: {probed_period}\n"
        "    calendar: 24x7\n"
        "  - id: leads\n"
        "    metric: count\n"
        "    source: leads\n"
        '    target: ">= 3"\n'
        "    period: month\n"
        "  - id: report\n"
        "    metric: deliverable\n"
        "    source: reports\n"
        "    due: 3rd business day\n"
        '    target: "100%"\n'
        "    period: month\n"
        "    calendar: office\n"
        "exclusions:\n" + maintenance + "  customer_caused: excluded\n"
        "escalation:\n"
        "  - objectives: [availability]\n"
        "    levels:\n" + levels + "  - objectives: [leads, report]\n"
        "    levels:\n"
        '      - {at: "75%", notify: [sales@example.com]}\n'
        '      - {at: "breach", notify: [sales@example.com]}\n'
        "remedies:\n"
        "  credits:\n"
        "    - objective: availability\n"
        "      bands:\n"
        '        - {below: "99.5%", at_least: "99%", credit: "10%"}\n'
        '        - {below: "99%", credit: "25%"}\n'
        + ("  penalties:\n" + "".join(penalties) if penalties else "")
        + termination
    )


def random_agreement(rng: random.Random) -> Agreement:
    return load_agreement(agreement_text(rng))


def _moment(rng: random.Random, first: datetime, last: datetime) -> datetime:
    """A random instant, on a round minute half the time (edges meet edges)."""
    seconds = rng.randrange(int((last - first).total_seconds()))
    found = first + timedelta(seconds=seconds)
    if rng.random() < 0.5:
        found = found.replace(second=0)
    return found


def evidence(rng: random.Random, first: datetime = FIRST, last: datetime = LAST) -> Data:
    """Outages (some in back-to-back chains, some still open), maintenance, hourly-ish probes of
    ``web`` and measurements of leads and reports, from ``first`` to ``last``."""
    outages: list[Outage] = []
    for n in range(rng.randint(5, 60)):
        start = _moment(rng, first, last)
        service = rng.choice(SERVICES[:2])
        for link in range(rng.choice([1, 1, 1, 2, 4])):  # a chain: each starts as one ends
            length = timedelta(minutes=rng.choice([0, 5, 30, 90, 600, 3000, 20000]))
            end: datetime | None = start + length
            if rng.random() < 0.05:
                end = None  # still going on
            outages.append(
                Outage(
                    service,
                    start,
                    end,
                    rng.choice([Decimal(1), Decimal(1), Decimal("0.5")]),
                    rng.choice(["provider", "provider", "customer"]),  # type: ignore[arg-type]
                    id=f"o{n}-{link}",
                )
            )
            if end is None:
                break
            start = end
    maintenance = []
    for n in range(rng.randint(0, 15)):
        start = _moment(rng, first, last)
        announced = rng.choice([None, start - timedelta(days=2), start - timedelta(minutes=30)])
        maintenance.append(
            MaintenanceWindow(
                rng.choice(SERVICES[:2]),
                start,
                start + timedelta(minutes=rng.choice([30, 120, 240])),
                announced,
                id=f"m{n}",
            )
        )
    probes = []
    at = first + timedelta(minutes=rng.randrange(60))
    while at < last:
        probes.append(Probe("web", at, rng.random() > 0.05))
        at += timedelta(minutes=rng.choice([20, 60, 240, 1440]))
    measurements = [
        Measurement(rng.choice(["leads", "reports"]), _moment(rng, first, last), {"lead": f"L{n}"})
        for n in range(rng.randint(0, 80))
    ]
    return Data(
        outages=tuple(outages),
        maintenance=tuple(maintenance),
        probes=tuple(probes),
        measurements=tuple(sorted(measurements, key=lambda m: m.at)),
    )


def read_from(data: Data, since: datetime, end: datetime) -> Data:
    """What a store reads for ``[since, end)``: outages and maintenance overlapping it (an
    outage still open overlaps it when it began before its end), records of an instant in it."""

    def overlaps(start: datetime, stop: datetime | None) -> bool:
        return start < end and (stop is None or stop > since)

    return replace(
        data,
        outages=tuple(o for o in data.outages if overlaps(o.start, o.end)),
        maintenance=tuple(m for m in data.maintenance if overlaps(m.start, m.end)),
        probes=tuple(p for p in data.probes if since <= p.at < end),
        requests=tuple(r for r in data.requests if since <= r.at < end),
        measurements=tuple(m for m in data.measurements if since <= m.at < end),
    )


def before(data: Data, end: datetime) -> Data:
    """What a store reads with no lower bound: every record that begins before ``end``."""
    return read_from(data, datetime(1970, 1, 1, tzinfo=UTC), end)
