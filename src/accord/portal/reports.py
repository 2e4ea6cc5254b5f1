"""Reports: every closed month of the agreements a person may see, met or missed and the
credits owed (the reports the service keeps once a period is closed), and each report in the
page (with its pictures), as PDF and as CSV. Thin over :mod:`accord.service.reports`, the use
case of ``GET /v1/agreements/{key}/reports/{period}`` (reckoned in the agreement's own zone,
the default tier, as the API serves it when not told otherwise): a figure on these pages is
the figure it returns."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from accord.api.deps import runtime_of
from accord.api.negotiation import rendered
from accord.core.report import Report
from accord.portal import web
from accord.render.report import report_section_html
from accord.render.report_pictures import report_pictures
from accord.render.report_view import CAVEAT, PageCaveats
from accord.render.served import Illustrated
from accord.service import agreements, reports
from accord.service.people import Current
from accord.service.tenants import Principal

router = APIRouter(include_in_schema=False)
Period = Annotated[str, Path(max_length=32, pattern=r"^[0-9]{4}(-Q[1-4]|-[0-9]{2})?$")]


@dataclass(frozen=True)
class AgreementHistory:
    key: str
    title: str
    customer: str | None
    zone: str
    """The agreement's own zone, which its months are reckoned in."""
    reports: list[Report]


@router.get("/portal/reports")
def reports_page(request: Request, visitor: web.Visitor) -> Response:
    """Each agreement the person sees, and each of its closed months: met or missed, the
    credits owed, links to the report, its PDF and CSV; newest month first."""
    who = web.principal(visitor)

    def read(session: Session, who: Principal) -> list[AgreementHistory]:
        return [
            AgreementHistory(
                row.key,
                row.title or row.key,
                row.customer,
                agreements.own_zone(session, who.organisation_id, row),
                reports.history(session, who, row.key),
            )
            for row in agreements.visible(session, who)
        ]

    found = runtime_of(request).run(read, who)
    # the caveats of every month listed, numbered on the page: a month's line marked with
    # those of its report, as its own page marks its objectives' lines
    caveats = PageCaveats([r for a in found for r in a.reports])
    return web.page(
        "reports.html",
        visitor,
        section="reports",
        title="Reports",
        agreements=found,
        caveats=caveats,
        caveat_mark=CAVEAT,
    )


def _illustrated(request: Request, visitor: Current, key: str, period: str) -> Illustrated:
    """The report of ``period``, as ``GET /v1/agreements/{key}/reports/{period}`` judges it,
    with the pictures of the evidence it was judged on; another customer's: not found."""
    who = web.principal(visitor)

    def work(session: Session, who: Principal) -> Illustrated:
        found = reports.report(session, who, key, period)
        agreement, evidence = reports.judged_on(session, who, key, found)
        drawn = report_pictures(found, agreement, evidence, locale=visitor.locale)
        return Illustrated(found, drawn, locale=visitor.locale)

    return runtime_of(request).run(work, who)


@router.get("/portal/agreements/{key}/reports/{period}.pdf")
def report_pdf(request: Request, visitor: web.Visitor, key: web.Key, period: Period) -> Response:
    """The report as a PDF (A4), named ``{agreement}-{period}.pdf``, as the API serves it."""
    found = _illustrated(request, visitor, key, period)
    answer = rendered("report", "pdf", found, f"{found.report.agreement}-{period}")
    answer.headers.update(web.HEADERS)
    return answer


@router.get("/portal/agreements/{key}/reports/{period}.csv")
def report_csv(request: Request, visitor: web.Visitor, key: web.Key, period: Period) -> Response:
    """The report as CSV, a row per objective, as the API serves it."""
    who = web.principal(visitor)
    found = runtime_of(request).run(reports.report, who, key, period)
    answer = rendered("report", "csv", Illustrated(found, locale=visitor.locale))
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{found.agreement}-{period}")
    answer.headers["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
    answer.headers.update(web.HEADERS)
    return answer


@router.get("/portal/agreements/{key}/reports/{period}")
def report_page(request: Request, visitor: web.Visitor, key: web.Key, period: Period) -> Response:
    """The report in the page, with its pictures, and links to its PDF and CSV."""
    found = _illustrated(request, visitor, key, period)
    body = report_section_html(found.report, found.pictures, locale=visitor.locale)
    return web.page(
        "report.html",
        visitor,
        section="reports",
        title=f"{found.report.title or key}, {period}",
        key=key,
        period=period,
        report=Markup(body),
    )
