"""Service credits: which band an attainment falls in, and what the period's misses are worth.

Bands come from the agreement: attainment in ``[at_least, below)`` earns ``credit`` percent of the
tier's fee for the period. Edges are compared as exact decimals with their sides explicit: a month
exactly at 99.9% is not "below 99.9%". Several objectives' credits combine by sum or by the
largest, then the cap applies, then the minimum payable amount. Every amount carries its reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Literal

from accord.core.agreement.model import Claim, CreditBand, CreditSchedule, Penalty, Remedies
from accord.core.agreement.units import format_timedelta
from accord.core.periods import enclosing

_CENT = Decimal("0.01")
_HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Credit:
    """A credit one objective earned: its band, the figures, and the amount."""

    objective: str
    attainment: Decimal
    band: CreditBand
    percent: Decimal
    amount: Decimal
    currency: str
    provider: str | None = None
    """The provider whose own figures and fee this credit is on (``objective`` then reads
    ``objective@provider``), or None when settled on the combined figures."""

    @property
    def reason(self) -> str:
        low = f"at least {self.band.at_least}% and " if self.band.at_least > 0 else ""
        shown = plain(self.attainment.quantize(Decimal("0.0001")))
        return (
            f"{self.objective}: attainment {shown:f}% is {low}below {self.band.below}%, "
            f"so {self.percent}% of the fee"
        )


@dataclass(frozen=True)
class Settlement:
    """The credits of a period after combining, capping and the minimum payable amount."""

    credits: tuple[Credit, ...]
    fee: Decimal
    currency: str
    percent: Decimal
    amount: Decimal
    reasons: tuple[str, ...]
    provider: str | None = None
    """Settled on one provider's figures and fee (None: on the combined figures)."""


def band_for(schedule: CreditSchedule, attainment: Decimal) -> CreditBand | None:
    """The band whose ``[at_least, below)`` holds the attainment, or None (no credit)."""
    for band in schedule.bands:
        if band.at_least <= attainment < band.below:
            return band
    return None


def settle(
    remedies: Remedies,
    attainments: Mapping[str, Decimal],
    fee: Decimal,
    currency: str,
    tier: str | None = None,
    provider: str | None = None,
) -> Settlement:
    """The credits owed for a period, given each objective's attainment (percent) and the fee.

    With ``provider``, the attainments and the fee are that provider's own: each credit is
    named ``objective@provider`` and the settlement is the provider's."""
    credits: list[Credit] = []
    for schedule in remedies.credits:
        if schedule.tiers and tier not in schedule.tiers:
            continue
        attainment = attainments.get(schedule.objective)
        if attainment is None:
            continue
        band = band_for(schedule, attainment)
        if band is None or band.credit == 0:
            continue
        credits.append(
            Credit(
                schedule.objective if provider is None else f"{schedule.objective}@{provider}",
                attainment,
                band,
                band.credit,
                _money(fee * band.credit / _HUNDRED),
                currency,
                provider,
            )
        )
    reasons = [c.reason for c in credits]
    percents: Sequence[Decimal] = [c.percent for c in credits]
    if not percents:
        total = Decimal(0)
    elif remedies.combine == "sum":
        total = sum(percents, Decimal(0))
        if len(percents) > 1:
            reasons.append(f"credits add up: {' + '.join(f'{p}%' for p in percents)} = {total}%")
    else:
        total = max(percents)
        if len(percents) > 1:
            reasons.append(f"the largest credit applies: {total}%")
    if remedies.cap is not None and total > remedies.cap:
        reasons.append(f"capped at {remedies.cap}% of the fee (was {total}%)")
        total = remedies.cap
    amount = _money(fee * total / _HUNDRED)
    minimum = remedies.minimum_payable
    if minimum is not None and Decimal(0) < amount < minimum.amount:
        reasons.append(
            f"{amount} {currency} is below the minimum payable {minimum.amount} "
            f"{minimum.currency}: nothing is paid"
        )
        amount = Decimal(0)
    return Settlement(tuple(credits), fee, currency, total, amount, tuple(reasons), provider)


def combine(settlements: Sequence[Settlement]) -> Settlement | None:
    """The total of several providers' settlements (each on its own fee): the amounts added, as
    a share of the fees added; None when they are in different currencies."""
    if not settlements or len({s.currency for s in settlements}) > 1:
        return None
    fee = sum((s.fee for s in settlements), Decimal(0))
    amount = sum((s.amount for s in settlements), Decimal(0))
    currency = settlements[0].currency
    reasons = [r for s in settlements for r in s.reasons]
    reasons.append(
        "owed in all: "
        + " + ".join(f"{s.amount} ({s.provider})" for s in settlements)
        + f" = {amount} {currency}"
    )
    return Settlement(
        tuple(c for s in settlements for c in s.credits),
        fee,
        currency,
        plain(amount / fee * _HUNDRED) if fee else Decimal(0),
        amount,
        tuple(reasons),
    )


def plain(value: Decimal) -> Decimal:
    """A decimal without trailing zeros that never prints in exponent form (10, not 1E+1)."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def cents(value: Decimal) -> Decimal:
    """An amount of money to the cent, halves to even."""
    return value.quantize(_CENT, rounding=ROUND_HALF_EVEN)


_money = cents


def penalty(
    rule: Penalty,
    downtime: timedelta,
    incidents: int = 0,
    misses: int = 0,
    before: timedelta = timedelta(0),
    counted: str = "incident",
) -> tuple[Decimal, str]:
    """A fixed penalty: per hour (or day) of downtime beyond the threshold, per incident, or per
    miss; exact and proportional (30 minutes over at 50 an hour is 25).

    ``downtime`` is the downtime of the rule's period (a year) up to the end of the period being
    settled, ``before`` the part of it before that period's start: only the time over the
    threshold that this period added is owed, so the months of a year add up to the year."""
    money = rule.amount
    if rule.per in ("hour", "day"):
        allowed = rule.beyond.time if rule.beyond is not None and rule.beyond.time else timedelta(0)
        unit = timedelta(hours=1) if rule.per == "hour" else timedelta(days=1)

        def exactly_over(span: timedelta) -> Decimal:
            over = max(span - allowed, timedelta(0))
            return Decimal(over // timedelta(microseconds=1)) / Decimal(
                unit // timedelta(microseconds=1)
            )

        def units_over(span: timedelta) -> Decimal:
            return rounded_units(exactly_over(span), rule.rounding)

        # what the whole span owes less what its part before this period owed, each rounded
        # to the cent: so the periods' amounts add up to the whole span's, cent for cent; a
        # rounding rounds the time over the threshold of the rule's period to date, so the
        # periods add up to the year's rounded figure too
        units = max(units_over(downtime) - units_over(before), Decimal(0))
        amount = max(
            _money(units_over(downtime) * money.amount) - _money(units_over(before) * money.amount),
            Decimal(0),
        )
        shown, limit = format_timedelta(downtime), format_timedelta(allowed)
        earlier = f" ({format_timedelta(before)} of it before this period)" if before else ""
        counted = ""
        if rule.rounding != "pro rata":
            exact, whole = exactly_over(downtime), units_over(downtime)
            prior = units_over(before)
            counted = (
                f" (counted {rule.rounding}: {plain(exact):f} {rule.per}(s) over the threshold "
                f"this {rule.period} to date make {whole} {rule.per}(s)"
                + (f", {prior} of them owed before this period" if before else "")
                + ")"
            )
        return amount, (
            f"{rule.objective}: {shown} of downtime{earlier}, {limit} allowed a "
            f"{rule.period}: {units.normalize():f} {rule.per}(s) over at {money.amount} "
            f"{money.currency}{counted} = {amount} {money.currency}"
        )
    count = incidents if rule.per == "incident" else misses
    what = counted if rule.per == "incident" else "miss"
    amount = _money(Decimal(count) * money.amount)
    plural = what if count == 1 else what + ("es" if what.endswith("s") else "s")
    return amount, (
        f"{rule.objective}: {count} {plural} at {money.amount} {money.currency} "
        f"= {amount} {money.currency}"
    )


def rounded_units(units: Decimal, rounding: str) -> Decimal:
    """Hours (or days) as a contract counts them: exactly (``pro rata``), each started one
    (``per started hour``: up), or only full ones (``per full hour``: down)."""
    if rounding.startswith("per started"):
        return units.to_integral_value(rounding=ROUND_CEILING)
    if rounding.startswith("per full"):
        return units.to_integral_value(rounding=ROUND_FLOOR)
    return units


def claim_deadline(
    claim: Claim, period_end: datetime, cycle: Literal["month", "quarter", "year"] = "month"
) -> datetime | None:
    """The instant by which a credit for a period ending at ``period_end`` must be claimed
    (claims are open before it, not at it): the claim window after the period's end, or the
    end of the N-th billing cycle after it, a cycle being the tier's billing period
    (``cycle``: a month, a quarter or a year). None when the agreement sets no limit.

    Both count in the period end's own time zone: a window of ``30d`` after 1 November
    00:00 in Paris ends on 1 December 00:00 in Paris (wall-clock days, across daylight saving
    time), and billing cycles end at the first instant of a month."""
    if claim.window is not None and claim.window.time is not None:
        return period_end + claim.window.time
    if claim.billing_cycles is not None:
        # the cycle running at the period's end is the first (the one it starts when the
        # period ends where a cycle begins: a month's credit billed monthly)
        first = enclosing(period_end, cycle)[0]
        index = (
            first.month - 1 + {"month": 1, "quarter": 3, "year": 12}[cycle] * claim.billing_cycles
        )
        return first.replace(year=first.year + index // 12, month=index % 12 + 1)
    return None
