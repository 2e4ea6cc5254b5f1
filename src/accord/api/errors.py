"""Every error the API answers has one shape: RFC 9457 problem details
(``application/problem+json``), whatever raised it: a use case, an invalid agreement, an invalid
request, an unknown route, a wrong method or a bug. Nothing is written when one is answered."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.routing import Match

from accord.core.errors import AccordError
from accord.io.agreements import AgreementFileError
from accord.io.sheets import SheetError, sheet_problem
from accord.service.errors import ServiceError

log = logging.getLogger("accord.api")

PROBLEM_JSON = "application/problem+json"
MOST_ERRORS = 50


class FieldProblem(BaseModel):
    """One thing wrong with a request: where, and what."""

    model_config = ConfigDict(extra="forbid")

    field: str | None = Field(
        description="Where: a parameter's name or a dotted path into the body (an item's "
        "number first when the body is a list); null when the whole is wrong.",
        examples=["0.at"],
    )
    detail: str = Field(
        description="What is wrong and what was expected.",
        examples=["Input should be a valid datetime"],
    )
    code: str | None = Field(
        None,
        description="A stable name of the kind of problem (pydantic's error type).",
        examples=["datetime_parsing"],
    )
    line: int | None = Field(
        None, description="In an uploaded agreement: the line (from 1).", examples=[13]
    )
    column: int | None = Field(
        None, description="In an uploaded agreement: the column (from 1).", examples=[13]
    )


class Problem(BaseModel):
    """An error: RFC 9457 problem details, with the field that is wrong and, for invalid
    requests and agreements, every problem found (up to 50)."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(
        "about:blank",
        description="Always about:blank: the status says what kind of error this is.",
        examples=["about:blank"],
    )
    title: str = Field(
        description="The status's standard phrase.", examples=["Unprocessable Entity"]
    )
    status: int = Field(ge=400, le=599, description="The HTTP status.", examples=[422])
    detail: str = Field(
        description="What went wrong, for people: names the field, what was found and what "
        "was expected.",
        examples=["0.at: Input should be a valid datetime"],
    )
    instance: str = Field(description="The path of the request.", examples=["/v1/events"])
    field: str | None = Field(
        description="The field, parameter or part of the request that is wrong (null when "
        "none is to blame).",
        examples=["0.at"],
    )
    errors: list[FieldProblem] = Field(
        description="Every problem found, the first one first (empty when there is one cause)."
    )


def problem_of(
    status: int,
    detail: str,
    instance: str,
    field: str | None = None,
    errors: Iterable[FieldProblem] = (),
) -> Problem:
    """The problem details of an error answered with ``status`` to a request for ``instance``."""
    return Problem(
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=instance,
        field=field,
        errors=list(errors),
    )


def problem(
    request: Request,
    status: int,
    detail: str,
    field: str | None = None,
    errors: Iterable[FieldProblem] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """The problem-details answer of an error."""
    body = problem_of(status, detail, request.url.path, field, errors)
    return JSONResponse(
        body.model_dump(mode="json"),
        status,
        headers=dict(headers or {}),
        media_type=PROBLEM_JSON,
    )


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    return ".".join(parts)


def validation(request: Request, failure: ValidationError | RequestValidationError) -> JSONResponse:
    """A 422 naming the first wrong field, with up to :data:`MOST_ERRORS` problems listed."""
    found = [
        FieldProblem(field=_location(tuple(e["loc"])) or None, detail=e["msg"], code=e["type"])
        for e in failure.errors()[:MOST_ERRORS]
    ]
    if not found:
        return problem(request, 422, "invalid request")
    first = found[0]
    where = f"{first.field}: " if first.field else ""
    return problem(request, 422, f"{where}{first.detail}", first.field, found)


PORTAL = "/portal"


async def _as_page(
    request: Request, status: int, detail: str, headers: Mapping[str, str] | None = None
) -> Response | None:
    """The portal's pages answer errors as pages (:func:`accord.portal.web.error_page`), made
    in the thread pool as pages are: the page reads the visitor's session, to lay it out with
    their navigation."""
    pages = getattr(request.app.state, "error_pages", None)
    if pages is None or not request.url.path.startswith(PORTAL):
        return None
    found: Response = await run_in_threadpool(pages, request, status, detail, headers)
    return found


async def _service_error(request: Request, failure: Exception) -> Response:
    assert isinstance(failure, ServiceError)
    headers = dict(failure.headers)  # Retry-After of a busy database
    shown = await _as_page(request, failure.status, failure.message, headers)
    if shown is not None:
        return shown
    if failure.status == 401:  # RFC 6750: a 401 names the scheme that would have been accepted
        headers["WWW-Authenticate"] = "Bearer"
    return problem(request, failure.status, failure.message, failure.field, headers=headers)


async def _agreement_error(request: Request, failure: Exception) -> JSONResponse:
    """A 422 listing each located problem of an agreement file, or of a sheet of evidence
    (:class:`accord.io.sheets.SheetError`: ``line`` its row)."""
    assert isinstance(failure, AgreementFileError | SheetError)
    found = [
        FieldProblem(
            field=".".join(str(x) for x in p.problem.path) or None,
            detail=p.problem.message,
            line=p.line,
            column=p.column,
        )
        for p in failure.located[:MOST_ERRORS]
    ]
    first = failure.located[0] if failure.located else None
    describe = sheet_problem if isinstance(failure, SheetError) else str
    detail = str(failure) if first is None else describe(first)
    return problem(request, 422, detail, found[0].field if found else None, found)


async def _request_error(request: Request, failure: Exception) -> Response:
    assert isinstance(failure, RequestValidationError)
    shown = await _as_page(
        request, 422, "The form or address was not complete; go back and try again."
    )
    return shown if shown is not None else validation(request, failure)


async def _accord_error(request: Request, failure: Exception) -> JSONResponse:
    return problem(request, 400, str(failure))


def _allowed(request: Request) -> list[str]:
    """The methods some route of the app takes at this path (Starlette names only those of
    the first route that matches it, but /v1/agreements has a GET and a POST route)."""
    routes = request.app.router.routes
    return [
        method
        for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes
        )
    ]


async def _http_error(request: Request, failure: Exception) -> Response:
    """Unknown routes (404), wrong methods (405, with ``Allow``) and the like."""
    assert isinstance(failure, HTTPException)
    headers = dict(failure.headers or {})
    detail = str(failure.detail)
    if failure.status_code == 404:
        detail = f"no such route: {request.url.path}"
    elif failure.status_code == 405:
        headers["Allow"] = ", ".join(_allowed(request))
        detail = f"{request.method} is not allowed here; allowed: {headers['Allow']}"
    shown = await _as_page(request, failure.status_code, detail, headers)
    if shown is not None:
        return shown
    return problem(request, failure.status_code, detail, headers=headers)


def install(app: FastAPI) -> None:
    """Answer every error in the problem-details shape (a bug's 500 is answered by
    :class:`accord.api.middleware.RequestContext`, which names the request id in it)."""
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(AgreementFileError, _agreement_error)
    app.add_exception_handler(SheetError, _agreement_error)
    app.add_exception_handler(RequestValidationError, _request_error)
    app.add_exception_handler(AccordError, _accord_error)
    app.add_exception_handler(HTTPException, _http_error)


DESCRIPTIONS = {
    400: "The request cannot be done as asked (the detail says why).",
    401: "No API key, or one that is unknown or revoked.",
    403: "The key's role (or its customer scope) does not allow this.",
    404: "Nothing by that id that this key may see.",
    406: "None of the media types the `Accept` header accepts is served here (the detail "
    "names those that are; `format` chooses one regardless of `Accept`).",
    409: "The request conflicts with what is stored (the detail says what to do first).",
    413: "The request body is too large.",
    422: "The request is invalid; `field` and `errors` say where. Nothing was written.",
    503: "The service cannot do this now: the database busy or out of reach (with "
    "`Retry-After`: send the same request again), or a setting an operator must make (the "
    "detail names it). Nothing was written.",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The documented error answers of an operation, all in the problem-details shape."""
    found: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        found[status] = {
            "description": DESCRIPTIONS[status],
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        if status == 401:
            found[status]["headers"] = {
                "WWW-Authenticate": {
                    "description": "The scheme to authenticate with: Bearer.",
                    "schema": {"type": "string"},
                }
            }
        if status == 503:
            found[status]["headers"] = {
                "Retry-After": {
                    "description": "Seconds to wait before sending the same request again "
                    "(when the database was busy).",
                    "schema": {"type": "integer", "minimum": 0},
                }
            }
    return found
