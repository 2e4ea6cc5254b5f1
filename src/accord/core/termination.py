"""The right to terminate after repeated misses: the misses of the clause's objectives, each
judged over its own periods, counted over the clause's span up to a report's end."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from accord.core.agreement.model import Objective, Termination
from accord.core.judging import (
    Judging,
    ObjectiveResult,
    for_provider,
    judge_objective,
    provider_name,
)
from accord.core.periods import enclosing, period_label


@dataclass(frozen=True)
class TerminationRight:
    """Repeated misses against a termination clause, counted up to the end of a period."""

    after_misses: int
    within: str
    """The span the misses are counted over: a calendar period, or rolling N days."""
    since: datetime
    until: datetime
    misses: tuple[str, ...]
    """Each missed objective and period, as ``availability 2026-10``."""
    provider: str | None = None

    @property
    def triggered(self) -> bool:
        """True when the misses reach the clause's count: the customer may terminate."""
        return len(self.misses) >= self.after_misses

    @property
    def text(self) -> str:
        who = f"{self.provider}: " if self.provider else ""
        counted = (
            f"{len(self.misses)} miss{'es' if len(self.misses) != 1 else ''} from "
            f"{self.since:%Y-%m-%d} to {self.until:%Y-%m-%d} ({self.within})"
            + (f": {', '.join(self.misses)}" if self.misses else "")
        )
        reached = "reached" if self.triggered else "not reached"
        return f"{who}{counted}; {self.after_misses} give the right to terminate: {reached}"


def termination_rights(
    judging: Judging,
    rule: Termination,
    known: Mapping[str, ObjectiveResult],
    start: datetime,
    end: datetime,
) -> tuple[TerminationRight, ...]:
    """Misses of the clause's objectives (all, when it names none) in the periods that end
    within ``within`` up to ``end``: each objective judged over its own periods (a month unless
    it says otherwise), for all providers together and, when objectives are measured across
    providers, for each provider on its own evidence. Only finished periods count: a period
    not over at the instant judged at is not a miss yet. ``known``: results already judged over
    ``[start, end)``, by objective (``objective@provider`` for one provider)."""
    agreement = judging.agreement
    if judging.as_of is not None:
        end = min(end, judging.as_of)
    since = termination_since(rule, end)
    if agreement.effective is not None:  # nothing before the agreement counts
        since = max(since, datetime.combine(agreement.effective.start, time(), since.tzinfo))
    chosen = [agreement.objective(i) for i in rule.objectives] or list(agreement.objectives)
    providers = list(dict.fromkeys(p for o in chosen for p in o.providers))
    rights = []
    for provider in [None, *providers]:
        own = (
            judging
            if provider is None
            else judging.of(for_provider(agreement, judging.data, provider))
        )
        misses = []
        for objective in chosen:
            if provider is not None and provider not in objective.providers:
                continue
            kind = judged_by(objective)
            key = objective.id if provider is None else f"{objective.id}@{provider}"
            first = enclosing(since, kind)[0]
            while (after := enclosing(first, kind)[1]) <= end:
                if after > since:
                    result = (
                        known[key]
                        if (first, after) == (start, end) and key in known
                        else judge_objective(own, objective, first, after, breaches=False)
                    )
                    if result.met is False and result.status == "final":
                        misses.append(f"{objective.id} {period_label(first, kind)}")
                first = after
        name = None if provider is None else provider_name(agreement, provider)
        rights.append(
            TerminationRight(rule.after_misses, str(rule.within), since, end, tuple(misses), name)
        )
    return tuple(rights)


def termination_since(rule: Termination, end: datetime) -> datetime:
    if rule.within.kind == "rolling":
        return end - timedelta(days=rule.within.days)
    return enclosing(end - timedelta(microseconds=1), rule.within.kind)[0]


def judged_by(objective: Objective) -> str:
    """The calendar periods an objective is judged over when its misses are counted."""
    return "month" if objective.period.kind == "rolling" else objective.period.kind
