"""Evidence from a spreadsheet, for the provider's staff: a CSV file or an .xlsx workbook of
measurements (a row per qualified lead, per report delivered...) uploaded for one agreement
and stored as ``POST /v1/agreements/{key}/evidence`` stores it
(:func:`accord.service.sheets.upload_sheet`: all or nothing, each row once). A refused sheet is
shown with each problem's row and column; nothing of it is stored. Storing needs the
provider's admins (the ``ingest`` right); agents see the page and are told so."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from accord.api.deps import MAX_BODY, runtime_of
from accord.io.sheets import SheetError
from accord.portal import web
from accord.portal.console import console_page, staff
from accord.service import agreements, sheets
from accord.service.errors import InvalidError, ServiceError
from accord.service.ingest import NO_NUL
from accord.service.people import Current
from accord.service.tenants import Principal, now

router = APIRouter(include_in_schema=False)
Csrf = Annotated[str, Form(max_length=200)]
Choice = Annotated[str, Form(max_length=100, pattern=NO_NUL)]
PAGE = "/portal/console/evidence"


@dataclass(frozen=True)
class SheetMessage:
    """One problem of a refused sheet: its row and column (None: the whole sheet)."""

    number: int
    row: int | None
    column: str | None
    text: str


def _choices(session: Session, who: Principal) -> list[dict[str, Any]]:
    """The agreements the visitor sees, with the sources their objectives measure."""
    found = []
    for row in agreements.visible(session, who):
        stored = agreements.version_in_force(session, row, now())
        agreement = agreements.resolved_version(session, who.organisation_id, stored)
        found.append(
            {
                "key": row.key,
                "title": row.title or row.key,
                "customer": row.customer or "no one customer",
                "sources": sheets.measured_sources(agreement),
            }
        )
    return found


def _page(
    request: Request,
    visitor: Current,
    *,
    status: int = 200,
    chosen: str = "",
    problem: str = "",
    name: str = "",
    messages: list[SheetMessage] | None = None,
    stored: sheets.SheetStored | None = None,
) -> Response:
    who = staff(visitor)
    return console_page(
        "console_evidence.html",
        visitor,
        "evidence",
        status=status,
        title="Console: evidence from a spreadsheet",
        choices=runtime_of(request).run(_choices, who),
        chosen=chosen,
        problem=problem,
        name=name,
        messages=messages or [],
        stored=stored,
    )


@router.get(PAGE)
def evidence_form(
    request: Request,
    visitor: web.Visitor,
    agreement: Annotated[str, Query(max_length=100, pattern=NO_NUL)] = "",
) -> Response:
    """The form: an agreement (``agreement``: chosen already), its sheet, and what the sheet
    leaves unsaid."""
    return _page(request, visitor, chosen=agreement)


def located(error: SheetError) -> list[SheetMessage]:
    return [
        SheetMessage(
            number,
            found.line,
            str(found.problem.path[0]) if found.problem.path else None,
            found.problem.message,
        )
        for number, found in enumerate(error.located, start=1)
    ]


@router.post(PAGE)
async def upload(
    request: Request,
    visitor: web.Visitor,
    agreement: Choice = "",
    file: Annotated[UploadFile | None, File()] = None,
    source: Choice = "",
    timezone: Choice = "",
    sheet: Choice = "",
    csrf_token: Csrf = "",
) -> Response:
    """Store the sheet's rows as the agreement's customer's measurements, or show why not."""
    web.check_csrf(visitor, csrf_token)
    who = staff(visitor)
    again = partial(_page, request, visitor, chosen=agreement)
    if not agreement:
        return again(status=422, problem="Choose the agreement the evidence is for.")
    if file is None or not file.filename:
        return again(status=422, problem="Choose the sheet's file (CSV or .xlsx).")
    name = file.filename[:200]
    raw = await file.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        return again(
            status=413, problem=f"{name}: larger than {MAX_BODY:,} bytes; split the sheet."
        )

    def work(session: Session) -> sheets.SheetStored:
        return sheets.upload_sheet(
            session,
            who,
            agreement,
            raw,
            name,
            source=source or None,
            timezone=timezone or None,
            sheet=sheet or None,
        )

    try:
        stored = runtime_of(request).run(work)
    except SheetError as error:
        return again(status=422, name=name, messages=located(error))
    except InvalidError as error:
        return again(status=error.status, problem=f"{name}: {error.message}")
    except ServiceError as error:
        return web.refused(error, again)
    return again(stored=stored, name=name)
