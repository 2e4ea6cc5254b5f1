"""Providers side by side: for an agreement whose objectives are measured per provider
(``objectives[].providers``), each such objective month by month, all providers together and
each provider on its own, with each provider's credits owed (``tiers[].fees``).

Built from the monthly reports alone (:func:`accord.core.report.evaluate` judges an objective
with providers once for all of them and once per provider, as ``objective@provider``): nothing
is judged again here. Rendered as JSON, CSV, Markdown and HTML.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal

from jinja2 import Environment
from pydantic import BaseModel, ConfigDict, Field

from accord.core.credits import Settlement
from accord.core.report import ObjectiveResult, Report
from accord.render.report import exact, templates, verdict
from accord.render.report_document import Decimal as DecimalText
from accord.render.report_document import Instant as InstantText
from accord.render.report_document import Money as MoneyText
from accord.render.report_view import CAVEAT, Note, PageCaveats, figure, see_notes
from accord.render.words import ENGLISH, Numbers, locale_of, zone_of


@dataclass(frozen=True)
class Month:
    """One objective in one month: for all providers, and for each (None: not judged for
    that provider that month, e.g. an agreement version that did not measure it)."""

    month: str
    every: ObjectiveResult
    providers: tuple[ObjectiveResult | None, ...]
    caveats: tuple[tuple[int, ...], ...] = ()
    """The page's notes of the caveats concerning each cell (all providers first, then each
    provider; :attr:`Comparison.notes`); empty when none does."""

    def marks(self, index: int) -> tuple[int, ...]:
        """The notes of cell ``index`` (0: all providers, then each provider)."""
        return self.caveats[index] if self.caveats else ()


@dataclass(frozen=True)
class Compared:
    objective: str
    name: str
    metric: str
    months: tuple[Month, ...]


@dataclass(frozen=True)
class Comparison:
    agreement: str
    title: str
    first: str
    last: str
    providers: tuple[tuple[str, str], ...]
    """Each provider compared: its party id and name."""
    objectives: tuple[Compared, ...]
    credits: tuple[tuple[str, tuple[Settlement | None, ...]], ...]
    """Each month's credits owed per provider (None: not settled), when they are settled per
    provider; else empty."""
    reports: tuple[Report, ...]
    zone: str | None = None
    """The zone a page tells its times in (None: the last month's agreement's)."""
    locale: str = "en"
    """The locale a page's numbers are written in (the words are English)."""
    notes: tuple[Note, ...] = ()
    """The caveats of the months' reports, numbered on the page (:class:`PageCaveats`)."""

    def period(self, numbers: Numbers = ENGLISH) -> str:
        """The months compared for people: ``October 2026``, ``1 Oct 2026 to 31 Dec 2026``
        (``Oktober 2026`` in German), reckoned in the zone of the months' own bounds."""
        first, last = self.reports[0], self.reports[-1]
        return numbers.period(first.start, last.end, first.start.tzinfo or UTC)

    def cells(self, month: Month) -> list[tuple[str, ObjectiveResult | None]]:
        """A month's results with their provider's id: all providers ('') first."""
        ids = [pid for pid, _ in self.providers]
        return [("", month.every), *zip(ids, month.providers, strict=True)]


def comparison(
    reports: list[Report],
    providers: Mapping[str, str],
    zone: str | None = None,
    locale: str = "en",
) -> Comparison:
    """The comparison of the ``providers`` (party id -> name, in the agreement's order) over
    the monthly ``reports`` of one agreement. Only objectives measured per provider in some
    month are compared; an agreement without any has nothing to compare."""
    if not reports:
        raise ValueError("a comparison needs at least one month's report")
    measured: dict[str, set[str]] = {}
    order: dict[str, int] = {}
    for report in reports:
        for result in report.objectives:
            base, at, provider = result.objective.partition("@")
            order.setdefault(base, len(order))
            if at:
                measured.setdefault(base, set()).add(provider)
    shown = tuple(
        (pid, name) for pid, name in providers.items() if any(pid in m for m in measured.values())
    )
    page = PageCaveats(reports, lambda objective: objective.partition("@")[0] in measured)
    compared = []
    for base in sorted(measured, key=order.__getitem__):
        months = []
        for report in reports:
            by_id = {r.objective: r for r in report.objectives}
            every = by_id.get(base)
            if every is None:
                continue
            ids = [base, *(f"{base}@{pid}" for pid, _ in shown)]
            marks = tuple(page.of(report, i) if i in by_id else () for i in ids)
            months.append(
                Month(
                    f"{report.start:%Y-%m}",
                    every,
                    tuple(by_id.get(f"{base}@{pid}") for pid, _ in shown),
                    marks if any(marks) else (),
                )
            )
        if months:
            first = months[-1].every
            compared.append(Compared(base, first.name, first.metric, tuple(months)))
    credits: list[tuple[str, tuple[Settlement | None, ...]]] = []
    if any(r.settlements for r in reports):
        for report in reports:
            own = {s.provider: s for s in report.settlements}
            credits.append((f"{report.start:%Y-%m}", tuple(own.get(pid) for pid, _ in shown)))
    return Comparison(
        agreement=reports[0].agreement,
        title=reports[-1].title,
        first=f"{reports[0].start:%Y-%m}",
        last=f"{reports[-1].start:%Y-%m}",
        providers=shown,
        objectives=tuple(compared),
        credits=tuple(credits),
        reports=tuple(reports),
        zone=zone,
        locale=locale,
        notes=page.notes,
    )


def cell(result: ObjectiveResult | None, caveats: tuple[int, ...] = ()) -> dict[str, Any] | None:
    if result is None:
        return None
    return {
        "status": result.status,
        "target": result.target,
        "actual": exact(result.actual),
        "met": result.met,
        "verdict": verdict(result),
        "caveats": list(caveats),
    }


def comparison_json(found: Comparison) -> dict[str, Any]:
    """Every figure for programs: decimals as exact text, money as text."""
    return {
        "agreement": found.agreement,
        "title": found.title,
        "from": found.first,
        "to": found.last,
        "judged_at": found.reports[-1].judged_at.isoformat(),
        "providers": [{"id": pid, "name": name} for pid, name in found.providers],
        "objectives": [
            {
                "objective": o.objective,
                "name": o.name,
                "metric": o.metric,
                "months": [
                    {
                        "month": m.month,
                        "all": cell(m.every, m.marks(0)),
                        "providers": {
                            pid: cell(r, m.marks(i))
                            for i, (pid, r) in enumerate(found.cells(m))
                            if i
                        },
                    }
                    for m in o.months
                ],
            }
            for o in found.objectives
        ],
        "credits": [
            {
                "month": month,
                "providers": {
                    pid: None
                    if s is None
                    else {
                        "percent": exact(s.percent),
                        "amount": str(s.amount),
                        "currency": s.currency,
                    }
                    for (pid, _), s in zip(found.providers, owed, strict=True)
                },
            }
            for month, owed in found.credits
        ],
        "caveats": [{"note": n.number, "text": n.text} for n in found.notes],
    }


def comparison_csv(found: Comparison) -> str:
    """One row per objective, month and provider (the row of all providers has none); its
    last column, ``caveats``, holds on a row a caveat concerns its note (⚠ first; several, a
    line each), as a report's CSV does."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "agreement",
            "month",
            "objective",
            "provider",
            "target",
            "status",
            "actual",
            "met",
            "caveats",
        ]
    )
    texts = {n.number: n.text for n in found.notes}
    for o in found.objectives:
        for m in o.months:
            for i, (provider, result) in enumerate(found.cells(m)):
                if result is None:
                    continue
                met = "" if result.met is None else str(result.met).lower()
                actual = exact(result.actual) or ""
                row = [found.agreement, m.month, o.objective, provider, result.target]
                notes = "\n".join(f"{CAVEAT} {texts[c]}" for c in m.marks(i))
                writer.writerow([*row, result.status, actual, met, notes])
    return out.getvalue()


def shown(result: ObjectiveResult | None, numbers: Numbers = ENGLISH) -> str:
    """A figure for people: three decimals at most, a percentage when the target is one, in
    the convention of ``numbers``; the verdict's word when there is no figure; '-' when not
    judged."""
    if result is None:
        return "-"
    if result.actual is None:
        return verdict(result)
    text = figure(result.actual, result.target, numbers)
    return text + (" (to date)" if result.status == "to date" else "")


def _owed(settlement: Settlement | None, numbers: Numbers = ENGLISH) -> str:
    return "-" if settlement is None else numbers.money(settlement.amount, settlement.currency)


def comparison_markdown(found: Comparison) -> str:
    """Each objective a table: a month a row, all providers then each provider a column
    (missed figures in bold)."""
    numbers = locale_of(found.locale)
    lines = [f"# {found.title}: providers compared, {found.period(numbers)}", ""]
    if numbers.name != "en":
        lines += [f"Numbers as written in {numbers.name}.", ""]
    if not found.objectives:
        lines.append(
            f"Agreement `{found.agreement}` measures no objective per provider "
            "(objectives[].providers): there is nothing to compare."
        )
        return "\n".join(lines) + "\n"
    names = [name for _, name in found.providers]
    header = "| month | all providers | " + " | ".join(names) + " |"
    rule = "|---|---|" + "---|" * len(names)
    for o in found.objectives:
        target = numbers.target(o.months[-1].every.target)
        lines += [f"## {o.name} (target {target})", "", header, rule]
        for m in o.months:
            cells = [m.every, *m.providers]
            text = [
                (
                    f"**{shown(r, numbers)}**"
                    if r is not None and r.met is False
                    else shown(r, numbers)
                )
                + (f" {CAVEAT} ({see_notes(m.marks(i))})" if r is not None and m.marks(i) else "")
                for i, r in enumerate(cells)
            ]
            lines.append(f"| {m.month} | " + " | ".join(text) + " |")
        lines.append("")
    if found.credits:
        lines += ["## Credits owed", "", "| month | " + " | ".join(names) + " |"]
        lines.append("|---|" + "---|" * len(names))
        for month, owed in found.credits:
            lines.append(f"| {month} | " + " | ".join(_owed(s, numbers) for s in owed) + " |")
        lines.append("")
    if found.notes:
        lines += ["## Notes", ""]
        lines += [f"{n.number}. {CAVEAT} {n.text}" for n in found.notes]
        lines.append("")
    return "\n".join(lines)


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return templates(shown=shown, owed=_owed, verdict=verdict)


def comparison_html(found: Comparison) -> str:
    """The comparison as a standalone page: a table per objective, a month a row."""
    last = found.reports[-1]
    total = [
        sum((s.amount for _, owed in found.credits if (s := owed[i]) is not None), Decimal(0))
        for i in range(len(found.providers))
    ]
    zone = zone_of(found.zone or last.zone)
    numbers = locale_of(found.locale)
    return (
        _environment()
        .get_template("compare.html")
        .render(
            found=found,
            last=last,
            totals=total,
            judged_at=numbers.when(last.judged_at, zone),
            zone=zone.key,
            numbers=numbers,
            show=lambda result: shown(result, numbers),
            owe=lambda settlement: _owed(settlement, numbers),
        )
    )


# ---------------------------------------------------------------- the JSON document's models


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ComparedCell(_Document):
    """One objective, one month, all providers or one."""

    status: Literal["final", "to date", "no data", "not in force"]
    target: str = Field(examples=["95%"])
    actual: DecimalText | None = Field(description="The figure attained.")
    met: bool | None = Field(description="None: the target states no verdict, or no data.")
    verdict: str = Field(examples=["met"])
    caveats: list[int] = Field(
        default_factory=list,
        description="The notes (``caveats[].note``) of the caveats concerning this cell: its "
        "figure may be wrong (a calendar lacking public holidays for the month's year).",
    )


class ComparedMonth(_Document):
    month: str = Field(examples=["2026-10"])
    all: ComparedCell = Field(description="All providers together.")
    providers: dict[str, ComparedCell | None] = Field(
        description="Each provider (by party id) on its own; null: not measured that month."
    )


class ComparedObjective(_Document):
    objective: str = Field(examples=["fix-time"])
    name: str = Field(examples=["Fix time"])
    metric: str = Field(examples=["resolution"])
    months: list[ComparedMonth]


class ComparedProvider(_Document):
    id: str = Field(examples=["fixfast"])
    name: str = Field(examples=["FixFast Field Services Ltd"])


class ProviderCredit(_Document):
    percent: DecimalText
    amount: MoneyText
    currency: str = Field(examples=["GBP"])


class CreditsMonth(_Document):
    month: str = Field(examples=["2026-10"])
    providers: dict[str, ProviderCredit | None] = Field(
        description="Each provider's credits owed (null: not settled that month)."
    )


class ComparedCaveat(_Document):
    note: int = Field(description="Its number on the page, from 1.", examples=[1])
    text: str = Field(
        description="The caveat in words, with the fix, as each month's report says it."
    )


class ComparisonDocument(_Document):
    """Providers side by side (:func:`comparison_json`): each objective measured per provider,
    month by month, and each provider's credits when each is settled on its own."""

    agreement: str = Field(examples=["retail-field-support"])
    title: str
    from_: str = Field(alias="from", examples=["2026-10"])
    to: str = Field(examples=["2026-12"])
    judged_at: InstantText
    providers: list[ComparedProvider] = Field(
        description="The providers compared (empty: no objective is measured per provider)."
    )
    objectives: list[ComparedObjective]
    credits: list[CreditsMonth] = Field(
        description="Empty unless the tier charges each provider its own fee."
    )
    caveats: list[ComparedCaveat] = Field(
        default_factory=list,
        description="The caveats of the months' reports, each once, numbered on the page.",
    )
