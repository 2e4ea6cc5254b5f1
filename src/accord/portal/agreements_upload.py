"""Uploading a new version of an agreement, for the provider's admins: the YAML is checked
first (the validator's located messages shown against its numbered lines, or the diff
against the version in force), and only a valid document is published."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from accord.api.deps import MAX_NUMBER, runtime_of
from accord.io.agreements import AgreementFileError
from accord.io.text import EncodingError, decode
from accord.portal import web
from accord.portal.console import console_page, may_upload, staff
from accord.service import agreements, tracking
from accord.service.errors import ForbiddenError, InvalidError, ServiceError
from accord.service.ingest import NO_NUL
from accord.service.people import Current
from accord.service.tenants import Principal, now

router = APIRouter(include_in_schema=False)
SOURCE = "agreement.yaml"  # how the messages name a text typed into the form
Text = Annotated[str, Form(max_length=agreements.MAX_SOURCE)]
Csrf = Annotated[str, Form(max_length=200)]


@dataclass(frozen=True)
class Message:
    """One located message of the validator, numbered as the page lists them."""

    number: int
    line: int | None
    column: int | None
    field: str
    text: str


@dataclass(frozen=True)
class Line:
    number: int
    text: str
    messages: tuple[Message, ...]


def _admin(visitor: Current) -> Principal:
    who = staff(visitor)
    if not may_upload(who):
        raise ForbiddenError("agreements are uploaded by the provider's admins")
    return who


def _lines(text: str, messages: list[Message]) -> list[Line]:
    return [
        Line(n, line, tuple(m for m in messages if m.line == n))
        for n, line in enumerate(text.split("\n"), start=1)
    ]


def _form(
    visitor: Current,
    *,
    text: str = "",
    source: str = SOURCE,
    status: int = 200,
    messages: list[Message] | None = None,
    problem: str = "",
    checked: agreements.Checked | None = None,
    notice: str = "",
) -> Response:
    messages = messages or []
    return console_page(
        "console_upload.html",
        visitor,
        "upload",
        status=status,
        title="Console: upload an agreement",
        text=text,
        source=source,
        messages=messages,
        lines=_lines(text, messages) if messages else [],
        problem=problem,
        checked=checked,
        notice=notice,
    )


def located(error: AgreementFileError, source: str) -> list[Message]:
    return [
        Message(
            number,
            found.line if found.source == source else None,
            found.column if found.source == source else None,
            found.problem.where,
            found.problem.message,
        )
        for number, found in enumerate(error.located, start=1)
    ]


async def text_of(text: str, file: UploadFile | None) -> tuple[str, str]:
    """The YAML sent (a chosen file wins over the text area), with line ends as LF (forms
    send CRLF), and the name its messages use."""
    source = SOURCE
    if file is not None and file.filename:
        raw = await file.read(agreements.MAX_SOURCE * 4 + 1)
        if len(raw) > agreements.MAX_SOURCE * 4:
            raise InvalidError(f"{file.filename}: too large for an agreement", "file")
        try:
            text = decode(raw, file.filename)
        except EncodingError as error:
            raise InvalidError(str(error), "file") from None
        source = file.filename
    return text.replace("\r\n", "\n").replace("\r", "\n"), source


@router.get("/portal/console/agreements/upload")
def upload_form(
    request: Request,
    visitor: web.Visitor,
    published: Annotated[str, Query(max_length=64, pattern=NO_NUL)] = "",
    number: Annotated[int, Query(ge=0, le=MAX_NUMBER)] = 0,
    same: bool = False,
) -> Response:
    who = _admin(visitor)
    notice = ""
    if published:
        row = runtime_of(request).run(agreements.find, who, published)
        notice = (
            f"The text is version {number} of {row.title or row.key} ({row.key}) already: "
            "nothing new was stored."
            if same
            else f"Version {number} of {row.title or row.key} ({row.key}) is published: "
            "it takes over now."
        )
    return _form(visitor, notice=notice)


@router.post("/portal/console/agreements/check")
async def check(
    request: Request,
    visitor: web.Visitor,
    text: Text = "",
    file: Annotated[UploadFile | None, File()] = None,
    csrf_token: Csrf = "",
) -> Response:
    """Validate and compare, storing nothing."""
    web.check_csrf(visitor, csrf_token)
    who = _admin(visitor)
    try:
        text, source = await text_of(text, file)
    except ServiceError as error:
        return web.refused(error, partial(_form, visitor, text=text))
    if not text.strip():
        return _form(visitor, status=422, problem="Paste the agreement's YAML or choose a file.")
    try:
        checked = runtime_of(request).run(agreements.check, who, text, now(), source)
    except AgreementFileError as error:
        return _form(visitor, text=text, source=source, status=422, messages=located(error, source))
    except InvalidError as error:
        return _form(visitor, text=text, status=error.status, problem=error.message)
    return _form(visitor, text=text, source=source, checked=checked)


def store(session: Session, who: Principal, text: str) -> agreements.Uploaded:
    """The text stored as its agreement's new version, as ``POST /v1/agreements`` stores it
    (validated again, audit-logged; reminders scheduled and tickets recomputed)."""
    stored = agreements.upload(session, who, text, source=SOURCE)
    if stored.created:
        tracking.after_upload(session, who.organisation_id, stored.agreement.key, stored.resolved)
    return stored


@router.post("/portal/console/agreements/publish")
def publish(
    request: Request, visitor: web.Visitor, text: Text = "", csrf_token: Csrf = ""
) -> Response:
    """Store the checked text as the agreement's new version (validated again: only a valid
    document is stored), as ``POST /v1/agreements`` does, audit-logged."""
    web.check_csrf(visitor, csrf_token)
    who = _admin(visitor)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        stored = runtime_of(request).run(store, who, text)
    except AgreementFileError as error:
        return _form(visitor, text=text, status=422, messages=located(error, SOURCE))
    except InvalidError as error:
        return _form(visitor, text=text, status=error.status, problem=error.message)
    return web.redirect(
        f"/portal/console/agreements/upload?published={stored.agreement.key}"
        f"&number={stored.version.number}" + ("" if stored.created else "&same=true")
    )
