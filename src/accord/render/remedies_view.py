"""The remedies beyond service credits and penalties, for people: the at-risk pool with its
earn-back, the bonus, and credits in service time. Each is a section of the report's view
(:class:`accord.render.report_view.ReportView`): a title, a sentence with its figures in the
reader's convention, and the engine's reasons, so the terminal table, Markdown, HTML and PDF
show the same words. Service time is said in days and hours and never added to money."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from accord.core.report import Report
from accord.core.service_time import in_days
from accord.render.words import Numbers


@dataclass(frozen=True)
class RemedySection:
    id: str
    """``at-risk``, ``bonus`` or ``service-time``: the HTML section's id."""
    title: str
    sentence: str
    reasons: tuple[str, ...]


def remedy_sections(report: Report, n: Numbers) -> tuple[RemedySection, ...]:
    """The report's at-risk pool, bonus and service-time credits, those it has."""
    found = []
    pool = report.pool
    if pool is not None:
        currency = pool.currency

        def money(amount: Decimal) -> str:
            return n.money(amount, currency)

        sentence = f"{money(pool.owed)} owed for missed critical service levels" + (
            f" (the cap bound in {', '.join(pool.capped)})." if pool.capped else "."
        )
        if pool.earn_back is not None:
            sentence += (
                f" Earned back in this period: {money(pool.earned_back)}; net "
                f"{money(pool.net)}. Outstanding at its end: {money(pool.outstanding)}"
                + (f", of which {money(pool.pending)} pending." if pool.pending else ".")
            )
        found.append(RemedySection("at-risk", "At-risk amount", sentence, pool.reasons))
    bonus = report.bonus
    if bonus is not None:
        sentence = f"{n.money(bonus.amount, bonus.currency)} bonus owed to the provider."
        balance = bonus.balance
        if balance is not None:
            side = "the customer" if balance >= 0 else "the provider"
            sentence += (
                f" Netted against the credits: {n.money(abs(balance), bonus.currency)} owed "
                f"to {side}."
            )
        found.append(RemedySection("bonus", "Bonus", sentence, bonus.reasons))
    if report.service_time:
        added = sum((t.added for t in report.service_time), timedelta(0))
        found.append(
            RemedySection(
                "service-time",
                "Service time credits",
                f"{in_days(added)} of service added (service time, not money).",
                tuple(t.reason for t in report.service_time),
            )
        )
    return tuple(found)
