"""Reports: an agreement's compliance over a period, its trend month by month, its roll-up with
the agreements refining it, its providers side by side, and its attainment so far. Each in
every format of :data:`accord.api.negotiation.FORMATS`, chosen by ``format`` or ``Accept``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from accord.api.deps import (
    AgreementKey,
    Auth,
    Filter,
    PeriodText,
    State,
    read_body,
    single_values,
)
from accord.api.errors import problems
from accord.api.negotiation import (
    FORMAT_DESCRIPTION,
    FORMATS,
    View,
    answers,
    chosen,
    negotiated,
    offered,
    reader_locale,
    rendered,
)
from accord.api.openapi import schema_of
from accord.io.text import EncodingError, decode
from accord.render.compare import ComparisonDocument, comparison
from accord.render.report import Paper, report_json
from accord.render.report_document import ReportDocument
from accord.render.report_pictures import report_pictures
from accord.render.served import Illustrated, Rollup, RollupDocument, Trend, TrendDocument
from accord.render.trial import Trial, TrialDocument, proposal_trial
from accord.service import reports
from accord.service.errors import InvalidError, NotFoundError
from accord.service.ingest import NO_NUL

# every query parameter takes one value
router = APIRouter(tags=["reports"], dependencies=[Depends(single_values)])

Tier = Annotated[Filter, Query(description="The tier to judge (default: the agreement's first).")]
Shown = Annotated[
    str | None,
    Query(
        max_length=64,
        pattern=NO_NUL,
        description="The time zone the period is reckoned in (IANA name; default: the "
        "agreement's own zone, that of the calendar most of its objectives are measured in, "
        "else UTC) and the one the times of the HTML, PDF and Markdown are shown in, as "
        "`accord report --timezone`.",
        examples=["UTC"],
    ),
]
Locale = Annotated[
    str | None,
    Query(
        max_length=35,
        pattern=NO_NUL,
        description="The locale whose convention the numbers, percentages, money, days and "
        "times of the Markdown, HTML and PDF are written in (`de`: `99,69 %`, `1.200,00 EUR`, "
        "`6. Okt. 2026, 16:05 CEST`), one Babel "
        "knows (else 422). Without it, the `Accept-Language` header's preferred locale that "
        "Babel knows, else `en`. The words stay English; JSON and CSV are unchanged.",
        examples=["de"],
    ),
]
PaperSize = Annotated[
    Paper,
    Query(description="The paper of the PDF: A4 or US Letter (the other formats ignore it)."),
]


def _format(view: View) -> Any:
    """The ``format`` parameter of a document: one of the formats it is served in."""
    return Query(
        max_length=16,
        pattern=NO_NUL,
        description=FORMAT_DESCRIPTION,
        json_schema_extra={"enum": offered(view)},
    )


From = Annotated[
    str,
    Query(
        alias="from",
        max_length=7,
        pattern=NO_NUL,
        description="The first month, as 2026-01.",
        examples=["2026-01"],
    ),
]
To = Annotated[
    str,
    Query(
        alias="to",
        max_length=7,
        pattern=NO_NUL,
        description="The last month (included), as 2026-12.",
        examples=["2026-12"],
    ),
]


@dataclass(frozen=True)
class Asked:
    """What a trend, roll-up or comparison is asked for: the agreement, its months (``from``,
    ``to``) or period, the format (``format``, else ``Accept``), the tier and the time zone."""

    view: View
    key: str
    span: tuple[str, ...]
    format: str | None
    accept: str | None
    tier: str | None
    timezone: str | None
    """As asked (None: not given); the period's bounds are reckoned in the agreement's own
    zone then, and times shown in it."""
    locale: str = "en"
    """The locale the numbers of a page are written in (``locale``, else
    ``Accept-Language``)."""

    def name(self) -> str:
        """The format served: 406 when none offered is accepted."""
        return chosen(self.view, self.format, self.accept)

    @property
    def options(self) -> dict[str, Any]:
        """The service's keyword arguments: ``timezone`` and ``tier``."""
        return {"timezone": self.timezone, "tier": self.tier}


def _over_months(view: View) -> Any:
    """The parameters of a document over months, in the order the route declares them."""

    def asked(
        request: Request,
        key: AgreementKey,
        first: From,
        last: To,
        format: str | None = None,
        tier: Tier = None,
        timezone: Shown = None,
        locale: Locale = None,
    ) -> Asked:
        accept = request.headers.get("accept")
        numbers = reader_locale(locale, request.headers.get("accept-language"))
        return Asked(view, key, (first, last), format, accept, tier, timezone, numbers)

    return _formatted(asked, view)


def _over_period(view: View) -> Any:
    """The parameters of a document over a period, in the order the route declares them."""

    def asked(
        request: Request,
        key: AgreementKey,
        period: PeriodText,
        format: str | None = None,
        tier: Tier = None,
        timezone: Shown = None,
        locale: Locale = None,
    ) -> Asked:
        accept = request.headers.get("accept")
        numbers = reader_locale(locale, request.headers.get("accept-language"))
        return Asked(view, key, (period,), format, accept, tier, timezone, numbers)

    return _formatted(asked, view)


def _formatted(asked: Any, view: View) -> Any:
    """``asked`` as a dependency whose ``format`` offers the view's formats (a closure's
    annotations are text here, read in this module's names, where ``view`` is not one)."""
    asked.__annotations__["format"] = Annotated[str | None, _format(view)]
    return Depends(asked)


@router.get(
    "/v1/agreements/{key}/reports/{period}",
    responses={
        200: answers(
            "report",
            schema_of(ReportDocument),
            "The report: JSON (every figure), CSV (a row per objective), Markdown or HTML.",
        ),
        **problems(400, 401, 404, 406, 422, 503),
    },
)
def get_report(
    request: Request,
    key: AgreementKey,
    period: PeriodText,
    who: Auth,
    state: State,
    format: Annotated[str | None, _format("report")] = None,
    tier: Tier = None,
    timezone: Shown = None,
    to_date: Annotated[
        bool, Query(description="Refuse a period that has not begun (422) instead of no data.")
    ] = False,
    paper: PaperSize = "a4",
    locale: Locale = None,
) -> Response:
    """The compliance report of an agreement over a period (`2026-10`, `2026-Q4`, `2026`),
    judged now with the evidence stored now: each objective's status (final, to date, no
    data, not in force), met or missed, breaches, credits owed and claim deadlines; in HTML
    with its pictures (uptime bars, budget burn-down, ticket verdicts, breaches' timelines),
    drawn from the evidence it was judged on. The PDF, on A4 or Letter (`paper`), is named
    `{agreement}-{period}.pdf`."""
    name = chosen("report", format, request.headers.get("accept"))
    numbers = reader_locale(locale, request.headers.get("accept-language"))

    def work(session: Session) -> Illustrated:
        found = reports.report(
            session,
            who,
            key,
            period,
            timezone=timezone,
            tier=tier,
            to_date=to_date,
        )
        if not FORMATS[name].pictures:
            return Illustrated(found, zone=timezone, paper=paper, locale=numbers)
        agreement, evidence = reports.judged_on(session, who, key, found)
        pictures = report_pictures(found, agreement, evidence, zone=timezone, locale=numbers)
        return Illustrated(found, pictures, zone=timezone, paper=paper, locale=numbers)

    illustrated = state.run(work)
    return rendered("report", name, illustrated, f"{illustrated.report.agreement}-{period}")


@router.get(
    "/v1/agreements/{key}/trend",
    responses={
        200: answers(
            "trend",
            schema_of(TrendDocument),
            "Each month's report: JSON (every figure), CSV (a row per objective and month), "
            "Markdown or HTML (each objective month by month, with the credits owed).",
        ),
        **problems(400, 401, 404, 406, 422, 503),
    },
)
def get_trend(asked: Annotated[Asked, _over_months("trend")], who: Auth, state: State) -> Response:
    """An agreement month by month from `from` to `to` (both included, at most 120 months),
    from the stored evidence: each month the report of `GET .../reports/{month}`. A month
    over is served as kept while nothing it stands on changed, so a trend over years judges
    the month still open only."""
    name = asked.name()
    key, (first, last) = asked.key, asked.span
    found = state.run(reports.trend, who, key, first, last, **asked.options)
    trend = Trend(key, first, last, found, asked.timezone, asked.locale)
    return rendered("trend", name, trend)


@router.get(
    "/v1/agreements/{key}/rollup/{period}",
    responses={
        200: answers(
            "rollup",
            schema_of(RollupDocument),
            "The agreement's report and those refining it: JSON (every figure), CSV (a row "
            "per agreement and objective), Markdown or HTML (objectives met and missed, "
            "credits owed, an agreement a row).",
        ),
        **problems(400, 401, 404, 406, 422, 503),
    },
)
def get_rollup(
    asked: Annotated[Asked, _over_period("rollup")], who: Auth, state: State
) -> Response:
    """The report over a period of an agreement and of every agreement refining it, directly
    or not (`parent`), each on its own customer's evidence; a key scoped to a customer sees
    only its customer's agreements (404 for the agreement, and the others are left out)."""
    name = asked.name()
    key, (period,) = asked.key, asked.span
    drawn = FORMATS[name].pictures

    def work(session: Session) -> Rollup:
        found = reports.rollup(session, who, key, period, **asked.options)
        pictures = {}
        if drawn:  # each agreement's pictures, drawn from the evidence it was judged on
            for report in found:
                agreement, evidence = reports.judged_on(session, who, report.agreement, report)
                pictures[report.agreement] = report_pictures(
                    report,
                    agreement,
                    evidence,
                    zone=asked.timezone,
                    prefix=f"{report.agreement}-",
                    locale=asked.locale,
                )
        return Rollup(key, period, found, asked.timezone, asked.locale, pictures)

    return rendered("rollup", name, state.run(work))


@router.get(
    "/v1/agreements/{key}/compare",
    responses={
        200: answers(
            "compare",
            schema_of(ComparisonDocument),
            "The providers side by side: JSON (every figure), CSV (a row per objective, "
            "month and provider), Markdown or HTML (an objective a table, a month a row).",
        ),
        **problems(400, 401, 404, 406, 422, 503),
    },
)
def get_comparison(
    asked: Annotated[Asked, _over_months("compare")], who: Auth, state: State
) -> Response:
    """Several providers on common metrics (an objective's `providers`), side by side: each
    such objective month by month from `from` to `to`, all providers together and each on
    its own, with each provider's credits owed when each is paid its own fee. An agreement
    measuring no objective per provider has nothing to compare (an empty comparison)."""
    name = asked.name()
    found, providers = state.run(reports.compared, who, asked.key, *asked.span, **asked.options)
    return rendered(
        "compare", name, comparison(found, providers, zone=asked.timezone, locale=asked.locale)
    )


@router.post(
    "/v1/agreements/{key}/trial",
    responses={
        200: answers(
            "trial",
            schema_of(TrialDocument),
            "The proposal beside the version in force: JSON (every figure), CSV (a row per "
            "objective, month and version), Markdown or HTML.",
        ),
        **problems(400, 401, 403, 404, 406, 413, 422, 503),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The proposed version as YAML (UTF-8), validated as an upload is "
            "(nothing is stored); a 422 names the line and field of each problem.",
            "content": {"application/yaml": {"schema": {"type": "string"}}},
        }
    },
)
async def try_proposal(
    request: Request, asked: Annotated[Asked, _over_months("trial")], who: Auth, state: State
) -> Response:
    """Try a proposed version on the stored history before agreeing to it: each month from
    `from` to `to` judged under the version in force then (the report `GET .../reports/{month}`
    serves) and under the proposal, as if it had been in force then, on the same evidence;
    the verdicts that change and what each would have cost. Needs an admin key of the
    provider (a proposal is validated as an upload is); nothing is stored."""
    who.require("admin")  # the API's rule; the portal lets the provider's agents try too
    name = asked.name()
    raw = await read_body(request)
    try:
        text = decode(raw, "agreement")
    except EncodingError as error:
        raise InvalidError(str(error)) from None

    def work(session: Session) -> Trial:
        found = reports.tried(session, who, asked.key, text, *asked.span, **asked.options)
        return proposal_trial(
            found.current,
            found.proposed,
            found.in_force,
            found.proposal,
            asked.timezone,
            asked.locale,
        )

    return rendered("trial", name, await run_in_threadpool(state.run, work))


# each document's description says the formats it is served in, as FORMATS has them
for _route, _view in (
    (get_report, "report"),
    (get_trend, "trend"),
    (get_rollup, "rollup"),
    (get_comparison, "compare"),
    (try_proposal, "trial"),
):
    for _found in router.routes:
        if isinstance(_found, APIRoute) and _found.endpoint is _route:
            _found.description += "\n\n" + negotiated(_view)  # type: ignore[arg-type]


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
    timezone: Shown = None,
) -> Response:
    """Each objective's attainment so far in a period (default: this month, in the
    agreement's own zone unless `timezone` is given): the report, to date."""
    found = state.run(reports.attainment, who, key, period, timezone=timezone)
    document = report_json(found)
    if objective is not None:
        chosen = [o for o in document["objectives"] if o["objective"] == objective]
        if not chosen:
            raise NotFoundError(f"agreement {key!r} has no objective {objective!r}", "objective")
        document["objectives"] = chosen
    return JSONResponse(document)
