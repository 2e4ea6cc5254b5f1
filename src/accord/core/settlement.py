"""Service credits over a report's span: each of the tier's billing periods ending in it settled
on its own figures and fee (per provider, when each has its own fee), the periods added up
(:mod:`accord.core.credits` has the bands and their arithmetic)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from accord.core.agreement.model import Tier
from accord.core.credits import Settlement, combine, plain, settle
from accord.core.judging import (
    Judging,
    ObjectiveResult,
    for_provider,
    judge_objective,
    provider_name,
)
from accord.core.periods import in_force_span, period_label
from accord.core.pool import billing_periods


def credits_settled(
    judging: Judging,
    chosen: Tier | None,
    known: Mapping[str, ObjectiveResult],
    start: datetime,
    end: datetime,
) -> tuple[Settlement | None, list[Settlement]]:
    """The credits owed over ``[start, end)``: each of the tier's billing periods (a month)
    that ends in the span is settled on its own figures and fee, and a longer report owes the
    sum of its billing periods (a year's credits are its months', not a credit on the year's
    figures); a report inside a longer billing period (a month of a yearly fee) owes nothing,
    the year being settled in the report holding its end (or the agreement's end, when that
    comes first). Only objectives judged (final or to date) earn credits."""
    remedies = judging.agreement.remedies
    if remedies is None or not remedies.credits or chosen is None:
        return None, []
    agreement = judging.agreement
    # a billing period is settled in the report holding its end, or the agreement's if earlier
    periods = []
    for first, after in billing_periods(chosen.per, start, end):
        begins, ends = in_force_span(agreement, first, after)
        if begins < ends and start < ends <= end:
            periods.append((first, after))
    if not periods:  # inside a longer billing period: settled in the report holding its end
        return None, []
    if periods == [(start, end)]:
        return settled_once(judging, chosen, known, start, end)
    found = []
    for first, after in periods:
        settled = settled_once(judging, chosen, {}, first, after)
        if settled[0] is not None:
            found.append((period_label(first, chosen.per), settled))
    if not found:
        return None, []
    total = _added([(label, s) for label, (s, _) in found if s is not None])
    providers: dict[str | None, list[tuple[str, Settlement]]] = {}
    for label, (_, own) in found:
        for settlement in own:
            providers.setdefault(settlement.provider, []).append((label, settlement))
    return total, [_added(parts) for parts in providers.values()]


def _added(parts: list[tuple[str, Settlement]]) -> Settlement:
    """Settlements of several billing periods as one: amounts and fees added, each reason
    under its period."""
    fee = sum((s.fee for _, s in parts), Decimal(0))
    amount = sum((s.amount for _, s in parts), Decimal(0))
    reasons = [f"{label}: {reason}" for label, s in parts for reason in s.reasons]
    owed = [f"{s.amount} ({label})" for label, s in parts if s.amount]
    reasons.append(
        f"owed over {len(parts)} billing period{'s' if len(parts) > 1 else ''}: "
        + (" + ".join(owed) + f" = {amount} {parts[0][1].currency}" if owed else "nothing")
    )
    return Settlement(
        tuple(c for _, s in parts for c in s.credits),
        fee,
        parts[0][1].currency,
        plain(amount / fee * 100) if fee else Decimal(0),
        amount,
        tuple(reasons),
        parts[0][1].provider,
    )


def settled_once(
    judging: Judging,
    chosen: Tier,
    known: Mapping[str, ObjectiveResult],
    start: datetime,
    end: datetime,
) -> tuple[Settlement | None, list[Settlement]]:
    """The credits of one billing period: on the combined figures and the tier's fee, or, when
    the tier charges each provider its own fee, each provider settled on its own figures.
    ``known``: results already judged over the period (the others are judged here). None when
    no objective a credit depends on was judged."""
    agreement = judging.agreement
    remedies = agreement.remedies
    assert remedies is not None
    credited = [agreement.objective(schedule.objective) for schedule in remedies.credits]

    def attainments(own: Judging, provider: str | None) -> dict[str, Decimal]:
        found = {}
        for objective in credited:
            if provider is not None and objective.providers and provider not in objective.providers:
                continue  # not a promise this provider makes
            key = objective.id if provider is None else f"{objective.id}@{provider}"
            result = known.get(key) or judge_objective(own, objective, start, end)
            if result.judged and result.actual is not None:
                found[objective.id] = result.actual
        return found

    if chosen.fee is not None:
        combined = attainments(judging, None)
        if not combined:
            return None, []
        fee = chosen.fee
        return settle(remedies, combined, fee.amount, fee.currency, chosen.id), []
    settlements, unsettled = [], []
    for provider, fee in chosen.fees.items():
        own = attainments(judging.of(for_provider(agreement, judging.data, provider)), provider)
        if not own:  # nothing of this provider's was judged: not settled, not counted
            unsettled.append(
                f"{provider_name(agreement, provider)} ({provider}): no data, not settled"
            )
            continue
        found = settle(remedies, own, fee.amount, fee.currency, chosen.id, provider)
        header = (
            f"{provider_name(agreement, provider)} ({provider}): settled on its own "
            f"figures and its own fee of {fee.amount} {fee.currency}"
            + ("" if found.amount else "; no credit owed")
        )
        settlements.append(replace(found, reasons=(header, *found.reasons)))
    if not settlements:
        return None, []
    total = combine(settlements)
    if total is not None and unsettled:
        total = replace(total, reasons=(*total.reasons, *unsettled))
    return total, settlements
