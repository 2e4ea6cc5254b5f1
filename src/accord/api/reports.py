"""Reports: an agreement's compliance over a period, and its attainment so far."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from accord.api.deps import AgreementKey, Auth, Filter, PeriodText, State, ZoneName, single_values
from accord.api.errors import problems
from accord.render.report import report_csv, report_json
from accord.render.report_document import ReportDocument
from accord.service import reports
from accord.service.errors import NotFoundError
from accord.service.tenants import now

# every query parameter takes one value
router = APIRouter(tags=["reports"], dependencies=[Depends(single_values)])

Timezone = Annotated[
    ZoneName,
    Query(description="The time zone periods are reckoned in (IANA name).", examples=["UTC"]),
]
Tier = Annotated[Filter, Query(description="The tier to judge (default: the agreement's first).")]


@router.get(
    "/v1/agreements/{key}/reports/{period}",
    response_model=ReportDocument,
    responses={
        200: {
            "description": "The report: JSON, or one CSV row per objective with `format=csv`.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
        **problems(400, 401, 404, 422, 503),
    },
)
def get_report(
    key: AgreementKey,
    period: PeriodText,
    who: Auth,
    state: State,
    format: Annotated[
        Literal["json", "csv"], Query(description="JSON (every figure) or CSV.")
    ] = "json",
    tier: Tier = None,
    timezone: Timezone = "UTC",
    to_date: Annotated[
        bool, Query(description="Refuse a period that has not begun (422) instead of no data.")
    ] = False,
) -> Response:
    """The compliance report of an agreement over a period (`2026-10`, `2026-Q4`, `2026`),
    judged now with the evidence stored now: each objective's status (final, to date, no
    data, not in force), met or missed, breaches, credits owed and claim deadlines."""
    found = state.run(
        reports.report, who, key, period, timezone=timezone, tier=tier, to_date=to_date
    )
    if format == "csv":
        return PlainTextResponse(report_csv(found), media_type="text/csv")
    return JSONResponse(report_json(found))


@router.get(
    "/v1/agreements/{key}/attainment",
    response_model=ReportDocument,
    responses=problems(400, 401, 404, 422, 503),
)
def attainment(
    key: AgreementKey,
    who: Auth,
    state: State,
    period: Annotated[
        Filter, Query(description="The period (default: this month).", examples=["2026-10"])
    ] = None,
    objective: Annotated[Filter, Query(description="Only this objective.")] = None,
    timezone: Timezone = "UTC",
) -> Response:
    """Each objective's attainment so far in a period (default: this month): the report,
    to date."""
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
    return JSONResponse(document)
