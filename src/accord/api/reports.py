"""Reports: an agreement's compliance over a period, and its attainment so far."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from accord.api.deps import AgreementKey, Auth, Filter, PeriodText, State, ZoneName
from accord.render.report import report_csv, report_json
from accord.service import reports
from accord.service.errors import NotFoundError
from accord.service.tenants import now

router = APIRouter(tags=["reports"])


@router.get("/v1/agreements/{key}/reports/{period}")
def get_report(
    key: AgreementKey,
    period: PeriodText,
    who: Auth,
    state: State,
    format: Literal["json", "csv"] = "json",
    tier: Filter = None,
    timezone: ZoneName = "UTC",
    to_date: Annotated[
        bool, Query(description="Refuse a period that has not begun (422) instead of no data.")
    ] = False,
) -> Response:
    """The compliance report of an agreement over a period (2026-10, 2026-Q4, 2026), judged
    now with the evidence stored now: each objective's status (final, to date, no data, not
    in force), met or missed, breaches, credits owed and claim deadlines."""
    found = state.run(
        reports.report, who, key, period, timezone=timezone, tier=tier, to_date=to_date
    )
    if format == "csv":
        return PlainTextResponse(report_csv(found), media_type="text/csv")
    return JSONResponse(report_json(found))


@router.get("/v1/agreements/{key}/attainment")
def attainment(
    key: AgreementKey,
    who: Auth,
    state: State,
    period: Filter = None,
    objective: Filter = None,
    timezone: ZoneName = "UTC",
) -> dict[str, Any]:
    """Each objective's attainment so far in a period (default: this month)."""
    moment = now()
    found = state.run(
        reports.report,
        who,
        key,
        period or moment.strftime("%Y-%m"),
        timezone=timezone,
        to_date=True,
    )
    document = report_json(found)
    if objective is not None:
        chosen = [o for o in document["objectives"] if o["objective"] == objective]
        if not chosen:
            raise NotFoundError(f"agreement {key!r} has no objective {objective!r}", "objective")
        document["objectives"] = chosen
    return document
