"""The documents the service serves over several reports: an agreement's trend (a report per
month) and its roll-up (its report and those of the agreements refining it), as JSON for
programs, with their pydantic models for the OpenAPI document. The people's renderings are
:func:`accord.render.report.trend_html` and the like, from the same reports."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from accord.core.report import Report
from accord.render.pictures import Picture
from accord.render.report import Paper, report_json
from accord.render.report_document import ReportDocument


@dataclass(frozen=True)
class Illustrated:
    """A period's report and its pictures (none when the format shows none), with how people
    read it: the zone its times are shown in (None: the agreement's) and the paper of its PDF."""

    report: Report
    pictures: Sequence[Picture] = ()
    zone: str | None = None
    paper: Paper = "a4"
    locale: str = "en"
    """The locale whose convention the numbers are written in (the words are English)."""


@dataclass(frozen=True)
class Trend:
    """An agreement's reports month by month, from ``first`` to ``last`` (both included), its
    times shown in ``zone`` (None: the agreement's)."""

    agreement: str
    first: str
    last: str
    reports: list[Report]
    zone: str | None = None
    locale: str = "en"
    """The locale the numbers of its pages are written in."""


@dataclass(frozen=True)
class Rollup:
    """An agreement's report over a period, then those of the agreements refining it."""

    agreement: str
    period: str
    reports: list[Report]
    zone: str | None = None
    """The zone its times are shown in (None: the first agreement's)."""
    locale: str = "en"
    """The locale the numbers of its pages are written in."""
    pictures: Mapping[str, Sequence[Picture]] = field(default_factory=dict)
    """Each agreement's pictures, by its id (drawn for the formats that show them)."""


def trend_json(trend: Trend) -> dict[str, Any]:
    return {
        "agreement": trend.agreement,
        "from": trend.first,
        "to": trend.last,
        "months": [report_json(r) for r in trend.reports],
    }


def rollup_json(rollup: Rollup) -> dict[str, Any]:
    return {
        "agreement": rollup.agreement,
        "period": rollup.period,
        "agreements": [report_json(r) for r in rollup.reports],
    }


class TrendDocument(BaseModel):
    """An agreement's report of each month of a span (:func:`trend_json`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    agreement: str = Field(description="The agreement's id.", examples=["desk"])
    from_: str = Field(alias="from", description="The first month.", examples=["2026-01"])
    to: str = Field(description="The last month (included).", examples=["2026-12"])
    months: list[ReportDocument] = Field(description="Each month's report, the first first.")


class RollupDocument(BaseModel):
    """An agreement's report over a period and those of the agreements refining it, directly
    or not, that the key may see (:func:`rollup_json`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    agreement: str = Field(description="The agreement rolled up.", examples=["helix-acme"])
    period: str = Field(examples=["2026-10"])
    agreements: list[ReportDocument] = Field(
        description="Its report first, then those refining it, level by level."
    )
