"""A report judged on the evidence from ``evidence_since`` (and a watch on the evidence from
``watch_since``) is the one judged on all the evidence: a store reads only that span (outages
and maintenance overlapping it), so any look-back the judging makes must be inside it."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from accord import load_agreement
from accord.core.availability import Outage
from accord.core.evidence import Data
from accord.core.periods import period_bounds
from accord.core.report import evaluate, evidence_since
from accord.core.watch import watch, watch_since
from tests.spans import FIRST, LAST, before, evidence, random_agreement, read_from


def _period(rng: random.Random) -> tuple[datetime, datetime]:
    year = rng.choice([2025, 2026])
    label = rng.choice(
        [f"{year}-{rng.randint(1, 12):02d}", f"{year}-Q{rng.randint(1, 4)}", str(year)]
    )
    return period_bounds(label, rng.choice(["UTC", "Europe/Berlin", "America/New_York"]))


@pytest.mark.parametrize("seed", range(60))
def test_a_report_on_the_evidence_since_equals_the_report_on_all_of_it(seed: int) -> None:
    rng = random.Random(seed)
    agreement = random_agreement(rng)
    data = evidence(rng)
    for _ in range(6):
        start, end = _period(rng)
        moment = start + (end - start + timedelta(days=40)) * rng.random()
        moment = max(moment, start + timedelta(hours=1)).astimezone(UTC)
        since = evidence_since(agreement, start, min(end, moment))
        observed = (FIRST, max(FIRST, moment))
        whole = replace(before(data, end), observed=observed)
        read = replace(read_from(data, since, end), observed=observed)
        expected = evaluate(agreement, whole, start, end, as_of=moment, strict=False)
        assert evaluate(agreement, read, start, end, as_of=moment, strict=False) == expected


@pytest.mark.parametrize("seed", range(60))
def test_a_watch_on_the_evidence_since_equals_the_watch_on_all_of_it(seed: int) -> None:
    rng = random.Random(1000 + seed)
    agreement = random_agreement(rng)
    data = evidence(rng)
    for _ in range(10):
        moment = FIRST + timedelta(days=30) + (LAST - FIRST - timedelta(days=40)) * rng.random()
        since = watch_since(agreement, moment)
        observed = (FIRST, moment)
        whole = replace(before(data, moment), observed=observed)
        read = replace(read_from(data, since, moment), observed=observed)
        assert watch(agreement, read, moment, FIRST) == watch(agreement, whole, moment, FIRST)


ENDS_EARLY = """
id: ends-early
version: "1"
overview: {title: Ends early}
parties:
  provider: {id: us, name: Us}
  customer: {id: acme-corp, name: ACME}
effective: {start: 2025-01-01, end: 2025-10-01}
services: [{id: api, name: API}]
objectives:
  - {id: availability, metric: availability, scope: {service: [api]}, target: "99.5%"}
"""


def test_burn_rate_alerts_of_an_agreement_ending_in_the_period_look_back_from_its_end() -> None:
    """In force through 1 October: October's alerts end on 2 October at midnight, and the
    three-day window reaches back into September, where an outage burnt the budget."""
    agreement = load_agreement(ENDS_EARLY)
    start, end = period_bounds("2025-10", "UTC")
    outage = Outage(
        "api", datetime(2025, 9, 30, 12, tzinfo=UTC), datetime(2025, 9, 30, 13, tzinfo=UTC)
    )
    moment = datetime(2025, 11, 5, tzinfo=UTC)
    data = Data(outages=(outage,), observed=(FIRST, moment))
    since = evidence_since(agreement, start, end)
    assert since <= datetime(2025, 9, 29, tzinfo=UTC)
    found = evaluate(agreement, read_from(data, since, end), start, end, as_of=moment)
    [objective] = found.objectives
    long_rate = objective.burn_alerts[2].long_rate  # 1 h down in 72 h: 2.8 budgets of 0.5%
    assert long_rate is not None
    assert long_rate > Decimal("2.7")
    assert found == evaluate(agreement, data, start, end, as_of=moment)
