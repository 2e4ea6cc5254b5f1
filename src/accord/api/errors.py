"""Every error the API answers is JSON: ``{"error": {"message": ..., "field": ...}}`` with a 4xx
status, and nothing is written."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from accord.core.errors import AccordError
from accord.io.agreements import AgreementFileError
from accord.service.errors import ServiceError


def error(status: int, message: str, field: str | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "field": field, **extra}}, status)


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    return ".".join(parts)


def validation(failure: ValidationError | RequestValidationError) -> JSONResponse:
    """A 422 naming the first wrong field, with up to 50 problems listed."""
    problems = [
        {"field": _location(tuple(e["loc"])), "message": e["msg"], "type": e["type"]}
        for e in failure.errors()[:50]
    ]
    first = problems[0] if problems else {"field": None, "message": "invalid request"}
    where = f"{first['field']}: " if first["field"] else ""
    return error(422, f"{where}{first['message']}", first["field"], problems=problems)


async def _service_error(_: Request, failure: Exception) -> JSONResponse:
    assert isinstance(failure, ServiceError)
    return error(failure.status, failure.message, failure.field)


async def _agreement_error(_: Request, failure: Exception) -> JSONResponse:
    assert isinstance(failure, AgreementFileError)
    problems = [
        {
            "line": p.line,
            "column": p.column,
            "field": ".".join(str(x) for x in p.problem.path) or None,
            "message": p.problem.message,
            "text": str(p),
        }
        for p in failure.located
    ]
    text = str(problems[0]["text"]) if problems else str(failure)
    field = problems[0]["field"] if problems else None
    return error(422, text, str(field) if field else None, problems=problems)


async def _request_error(_: Request, failure: Exception) -> JSONResponse:
    assert isinstance(failure, RequestValidationError)
    return validation(failure)


async def _accord_error(_: Request, failure: Exception) -> JSONResponse:
    return error(400, str(failure))


def install(app: FastAPI) -> None:
    """Answer the service's errors, invalid agreements, invalid requests and any other
    :class:`AccordError` in the error shape."""
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(AgreementFileError, _agreement_error)
    app.add_exception_handler(RequestValidationError, _request_error)
    app.add_exception_handler(AccordError, _accord_error)
