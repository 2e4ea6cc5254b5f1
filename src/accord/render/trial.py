"""A proposed version tried on history: what it would have reported, month by month, beside
the version in force, and what it would have cost.

Both versions are judged on the same evidence over the same months (the proposed one as if it
had been in force then: its effective dates are the version in force's), by
:func:`accord.core.report.evaluate`; nothing is judged here, only set side by side. An
objective present in one version only has no figure ('-') in the other. The cost of a month is
the credits owed plus the penalties charged, in the agreement's currency. Rendered as JSON,
CSV, Markdown and HTML.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from jinja2 import Environment
from pydantic import BaseModel, ConfigDict, Field

from accord.core.agreement import Agreement, diff_agreements
from accord.core.report import ObjectiveResult, Report
from accord.render.agreement import objective_sentence
from accord.render.compare import ComparedCell, cell, shown
from accord.render.report import exact, templates, verdict
from accord.render.report_document import Decimal as DecimalText
from accord.render.report_document import Instant as InstantText
from accord.render.words import ENGLISH, Numbers, locale_of, zone_of


@dataclass(frozen=True)
class TrialMonth:
    """One objective in one month, under the version in force and under the proposed one
    (None: the version has no such objective)."""

    month: str
    current: ObjectiveResult | None
    proposed: ObjectiveResult | None

    @property
    def change(self) -> str:
        """'newly missed', 'no longer missed', or '' when the verdict is the same."""
        before = self.current is not None and self.current.met is False
        after = self.proposed is not None and self.proposed.met is False
        if after and not before:
            return "newly missed"
        if before and not after:
            return "no longer missed"
        return ""


@dataclass(frozen=True)
class TrialObjective:
    objective: str
    name: str
    metric: str
    current_target: str | None
    proposed_target: str | None
    months: tuple[TrialMonth, ...]
    current_promise: str | None = None
    """The promise in words under the version in force (None: not in that version)."""
    proposed_promise: str | None = None


@dataclass(frozen=True)
class MonthCost:
    """What a month cost under each version: credits owed plus penalties charged (with the
    at-risk pool's credits less those earned back, less a bonus netted against them)."""

    month: str
    current: Decimal
    proposed: Decimal


@dataclass(frozen=True)
class Trial:
    agreement: str
    title: str
    current_version: str
    proposed_version: str
    first: str
    last: str
    objectives: tuple[TrialObjective, ...]
    costs: tuple[MonthCost, ...]
    currency: str | None
    """The currency of the costs (None: neither version owes anything in money)."""
    changes: tuple[str, ...]
    """What the proposed version changes, as ``accord diff`` says it."""
    current: tuple[Report, ...]
    proposed: tuple[Report, ...]
    zone: str | None = None
    locale: str = "en"

    @property
    def total_current(self) -> Decimal:
        return sum((c.current for c in self.costs), Decimal(0))

    @property
    def total_proposed(self) -> Decimal:
        return sum((c.proposed for c in self.costs), Decimal(0))

    def verdict_changes(self) -> list[tuple[TrialObjective, TrialMonth]]:
        return [(o, m) for o in self.objectives for m in o.months if m.change]


def promises(current: Agreement, proposed: Agreement) -> dict[str, tuple[str | None, str | None]]:
    """Each objective's promise in words under each version (None: not in that version)."""
    before = {o.id: objective_sentence(o) for o in current.objectives}
    after = {o.id: objective_sentence(o) for o in proposed.objectives}
    return {key: (before.get(key), after.get(key)) for key in {**before, **after}}


def _cost(report: Report) -> tuple[Decimal, str | None]:
    """What a month costs the provider: what the report owes in all (:attr:`Report.owed`)."""
    owed = report.owed
    return (Decimal(0), None) if owed is None else owed


def trial(
    current: list[Report],
    proposed: list[Report],
    changes: list[str],
    zone: str | None = None,
    locale: str = "en",
    promises: Mapping[str, tuple[str | None, str | None]] | None = None,
) -> Trial:
    """The proposed version's monthly reports beside the version in force's, month for month
    (both lists over the same months, in order); ``promises`` are each objective's promise in
    words under each version, by objective id."""
    if not current or len(current) != len(proposed):
        raise ValueError("a trial needs the same months' reports under both versions")
    order: dict[str, ObjectiveResult] = {}
    for report in (*current, *proposed):
        for result in report.objectives:
            order.setdefault(result.objective, result)
    objectives = []
    by_month = [
        ({r.objective: r for r in now.objectives}, {r.objective: r for r in then.objectives})
        for now, then in zip(current, proposed, strict=True)
    ]
    for objective, sample in order.items():
        months = [
            TrialMonth(f"{now.start:%Y-%m}", mine.get(objective), theirs.get(objective))
            for now, (mine, theirs) in zip(current, by_month, strict=True)
        ]
        targets = [
            next((m.current.target for m in months if m.current is not None), None),
            next((m.proposed.target for m in months if m.proposed is not None), None),
        ]
        words = (promises or {}).get(objective, (None, None))
        objectives.append(
            TrialObjective(
                objective,
                sample.name,
                sample.metric,
                targets[0],
                targets[1],
                tuple(months),
                *words,
            )
        )
    costs = []
    currency = None
    for now, then in zip(current, proposed, strict=True):
        before, one = _cost(now)
        after, other = _cost(then)
        currency = currency or one or other
        costs.append(MonthCost(f"{now.start:%Y-%m}", before, after))
    return Trial(
        agreement=proposed[-1].agreement,
        title=proposed[-1].title,
        current_version=current[-1].version,
        proposed_version=proposed[-1].version,
        first=f"{current[0].start:%Y-%m}",
        last=f"{current[-1].start:%Y-%m}",
        objectives=tuple(objectives),
        costs=tuple(costs),
        currency=currency,
        changes=tuple(changes),
        current=tuple(current),
        proposed=tuple(proposed),
        zone=zone,
        locale=locale,
    )


def proposal_trial(
    current: list[Report],
    proposed: list[Report],
    in_force: Agreement,
    proposal: Agreement,
    zone: str | None = None,
    locale: str = "en",
) -> Trial:
    """:func:`trial` of a proposal against the version in force: what it changes (as
    ``accord diff`` says) and each objective's promise in words under each version."""
    changes = [str(c) for c in diff_agreements(in_force, proposal)]
    return trial(
        current,
        proposed,
        changes,
        zone,
        locale,
        promises(in_force, proposal),
    )


def trial_json(found: Trial) -> dict[str, Any]:
    """Every figure for programs: decimals as exact text, money as text."""
    return {
        "agreement": found.agreement,
        "title": found.title,
        "in_force": found.current_version,
        "proposed": found.proposed_version,
        "from": found.first,
        "to": found.last,
        "judged_at": found.current[-1].judged_at.isoformat(),
        "changes": list(found.changes),
        "objectives": [
            {
                "objective": o.objective,
                "name": o.name,
                "metric": o.metric,
                "target": {"in_force": o.current_target, "proposed": o.proposed_target},
                "months": [
                    {
                        "month": m.month,
                        "in_force": cell(m.current),
                        "proposed": cell(m.proposed),
                        "change": m.change or None,
                    }
                    for m in o.months
                ],
            }
            for o in found.objectives
        ],
        "costs": {
            "currency": found.currency,
            "months": [
                {"month": c.month, "in_force": str(c.current), "proposed": str(c.proposed)}
                for c in found.costs
            ],
            "total": {"in_force": str(found.total_current), "proposed": str(found.total_proposed)},
        },
    }


def trial_csv(found: Trial) -> str:
    """One row per objective, month and version (months where a version has no such
    objective have no row for it)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["agreement", "month", "objective", "version", "target", "status", "actual", "met"]
    )
    for o in found.objectives:
        for m in o.months:
            for version, result in (
                (found.current_version, m.current),
                (found.proposed_version, m.proposed),
            ):
                if result is None:
                    continue
                met = "" if result.met is None else str(result.met).lower()
                row = [found.agreement, m.month, o.objective, version, result.target]
                writer.writerow([*row, result.status, exact(result.actual) or "", met])
    return out.getvalue()


def _money(amount: Decimal, currency: str | None, numbers: Numbers = ENGLISH) -> str:
    return "-" if currency is None else numbers.money(amount, currency)


def _target(text: str | None, numbers: Numbers) -> str:
    return "-" if text is None else numbers.target(text)


def trial_markdown(found: Trial) -> str:
    """What changes, the months that would have been missed, the cost, and each objective a
    table: a month a row, the version in force and the proposed one side by side."""
    numbers = locale_of(found.locale)
    now, then = found.current_version, found.proposed_version
    lines = [
        f"# {found.title}: version {then} tried on {found.first} to {found.last}",
        "",
        f"Agreement `{found.agreement}`: version {then} (proposed) judged on the same evidence "
        f"as version {now} (in force), as if it had been in force then.",
        "",
    ]
    if numbers.name != "en":
        lines += [f"Numbers as written in {numbers.name}.", ""]
    lines += ["## What changes", ""]
    lines += [f"- {c}" for c in found.changes] or ["- nothing: the two versions are the same"]
    lines += ["", "## Verdicts that change", ""]
    changed = found.verdict_changes()
    if not changed:
        lines.append("None: every month's verdicts are the same under both versions.")
    for o, m in changed:
        lines.append(
            f"- {o.name}, {m.month}: {m.change} "
            f"({shown(m.current, numbers)} under {now}, {shown(m.proposed, numbers)} under {then})"
        )
    total_now, total_then = found.total_current, found.total_proposed
    lines += ["", "## What it would have cost", ""]
    if found.currency is None:
        lines.append("Nothing in money: neither version owed credits or charged penalties.")
    else:
        lines += [f"| month | version {now} | version {then} |", "|---|---|---|"]
    for c in found.costs if found.currency is not None else ():
        before = _money(c.current, found.currency, numbers)
        after = _money(c.proposed, found.currency, numbers)
        lines.append(f"| {c.month} | {before} | {after} |")
    if found.currency is not None:
        lines.append(
            f"| **total** | **{_money(total_now, found.currency, numbers)}** | "
            f"**{_money(total_then, found.currency, numbers)}** |"
        )
    lines.append("")
    for o in found.objectives:
        targets = (
            f"target {_target(o.current_target, numbers)}"
            if o.current_target == o.proposed_target
            else f"target {_target(o.current_target, numbers)} under {now}, "
            f"{_target(o.proposed_target, numbers)} under {then}"
        )
        lines += [f"## {o.name} ({targets})", ""]
        if o.current_promise != o.proposed_promise:
            lines += [
                f"- in force ({now}): {o.current_promise or 'not in this version'}",
                f"- proposed ({then}): {o.proposed_promise or 'not in this version'}",
                "",
            ]
        elif o.current_promise is not None:
            lines += [f"{o.current_promise}", ""]
        lines += [f"| month | {now} | {then} | |", "|---|---|---|---|"]
        for m in o.months:
            cells = [
                f"**{shown(r, numbers)}**"
                if r is not None and r.met is False
                else shown(r, numbers)
                for r in (m.current, m.proposed)
            ]
            lines.append(f"| {m.month} | {cells[0]} | {cells[1]} | {m.change} |")
        lines.append("")
    return "\n".join(lines)


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return templates(verdict=verdict)


def _context(found: Trial) -> dict[str, Any]:
    last = found.current[-1]
    zone = zone_of(found.zone or last.zone)
    numbers = locale_of(found.locale)
    return {
        "found": found,
        "last": last,
        "judged_at": numbers.when(last.judged_at, zone),
        "zone": zone.key,
        "numbers": numbers,
        "exact": exact,
        "show": lambda result: shown(result, numbers),
        "money": lambda amount: _money(amount, found.currency, numbers),
        "target": lambda text: _target(text, numbers),
    }


def trial_html(found: Trial) -> str:
    """The trial as a standalone page."""
    return _environment().get_template("trial.html").render(_context(found))


def trial_section_html(found: Trial, level: int = 3) -> str:
    """The figures of :func:`trial_html`'s page (what changes, the verdicts that change, the
    cost, each objective's months) without the page around it, headings at ``level``: the
    same trial, for the portal to show inside its own layout."""
    template = _environment().get_template("trial.html")
    context = template.new_context({**_context(found), "level": level})
    return "".join(template.blocks["figures"](context))


# ---------------------------------------------------------------- the JSON document's models


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class TrialTargets(_Document):
    in_force: str | None = Field(description="null: not in the version in force.")
    proposed: str | None = Field(description="null: not in the proposal.")


class TrialMonthDocument(_Document):
    month: str = Field(examples=["2026-10"])
    in_force: ComparedCell | None = Field(description="null: not in the version in force.")
    proposed: ComparedCell | None = Field(description="null: not in the proposal.")
    change: str | None = Field(
        description="'newly missed', 'no longer missed', or null when the verdict is the same."
    )


class TrialObjectiveDocument(_Document):
    objective: str = Field(examples=["p2-resolution"])
    name: str
    metric: str
    target: TrialTargets
    months: list[TrialMonthDocument]


class TrialMoney(_Document):
    month: str = Field(examples=["2026-10"])
    in_force: DecimalText
    proposed: DecimalText


class TrialTotal(_Document):
    in_force: DecimalText
    proposed: DecimalText


class TrialCosts(_Document):
    currency: str | None = Field(description="null: neither version owes anything in money.")
    months: list[TrialMoney] = Field(description="Credits owed plus penalties charged.")
    total: TrialTotal


class TrialDocument(_Document):
    """A proposed version tried on history (:func:`trial_json`): each month judged under the
    version in force and under the proposal, on the same evidence."""

    agreement: str = Field(examples=["it-service-desk"])
    title: str
    in_force: str = Field(description="The version in force's label.", examples=["3.0"])
    proposed: str = Field(description="The proposal's label.", examples=["3.1"])
    from_: str = Field(alias="from", examples=["2026-01"])
    to: str = Field(examples=["2026-10"])
    judged_at: InstantText
    changes: list[str] = Field(description="What the proposal changes, as `accord diff` says.")
    objectives: list[TrialObjectiveDocument]
    costs: TrialCosts
