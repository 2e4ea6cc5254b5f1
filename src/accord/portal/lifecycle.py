"""An agreement's life in the portal: a customer's signatory accepts a proposed version (the
hash of the document they read is shown and sent back), anyone who sees it comments, a
signatory rejects with a reason, the provider's signatory withdraws a version it proposed
(with an optional reason); the provider's console lists the proposals still waiting and
on whom. The rules and the refusals are :mod:`accord.service.lifecycle`'s, as for the API."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response

from accord.api.deps import runtime_of
from accord.portal import web
from accord.portal.agreements import agreement_page
from accord.portal.console import console_page, staff
from accord.service import lifecycle
from accord.service.errors import ServiceError
from accord.service.ingest import NO_NUL
from accord.service.people import Current

router = APIRouter(include_in_schema=False)
Number = Annotated[int, Path(ge=1, le=1_000_000)]
Text = Annotated[str, Form(max_length=4000, pattern=NO_NUL)]
Csrf = Annotated[str, Form(max_length=200)]


def _step(
    request: Request,
    visitor: Current,
    key: str,
    number: int,
    csrf_token: str,
    action: str,
    *args: Any,
) -> Response:
    web.check_csrf(visitor, csrf_token)
    who = web.principal(visitor)
    use = {
        "accepted": lifecycle.accept,
        "commented": lifecycle.comment,
        "rejected": lifecycle.reject,
        "withdrawn": lifecycle.withdraw,
    }[action]
    try:
        runtime_of(request).run(use, who, key, number, *args)
    except ServiceError as error:
        return web.refused(error, partial(agreement_page, request, visitor, key, None, None))
    return web.redirect(f"/portal/agreements/{key}?notice={action}#proposals")


@router.post("/portal/agreements/{key}/versions/{number}/accept")
def accept(
    request: Request,
    visitor: web.Visitor,
    key: web.Key,
    number: Number,
    hash_: Annotated[str, Form(alias="hash", max_length=64, pattern=NO_NUL)] = "",
    csrf_token: Csrf = "",
) -> Response:
    """Accept a proposed version for the visitor's side, with the hash the page showed."""
    return _step(request, visitor, key, number, csrf_token, "accepted", hash_)


@router.post("/portal/agreements/{key}/versions/{number}/comment")
def comment(
    request: Request,
    visitor: web.Visitor,
    key: web.Key,
    number: Number,
    text: Text = "",
    csrf_token: Csrf = "",
) -> Response:
    """Comment on a draft or proposed version."""
    return _step(request, visitor, key, number, csrf_token, "commented", text)


@router.post("/portal/agreements/{key}/versions/{number}/reject")
def reject(
    request: Request,
    visitor: web.Visitor,
    key: web.Key,
    number: Number,
    reason: Text = "",
    csrf_token: Csrf = "",
) -> Response:
    """Reject a proposed version, with the reason the provider reads."""
    return _step(request, visitor, key, number, csrf_token, "rejected", reason)


@router.post("/portal/agreements/{key}/versions/{number}/withdraw")
def withdraw(
    request: Request,
    visitor: web.Visitor,
    key: web.Key,
    number: Number,
    reason: Text = "",
    csrf_token: Csrf = "",
) -> Response:
    """Withdraw a draft or proposed version (the provider's signatory), as
    ``POST /v1/agreements/{key}/versions/{number}/withdraw`` does: it is never in force."""
    return _step(request, visitor, key, number, csrf_token, "withdrawn", reason or None)


@router.get("/portal/console/proposals")
def waiting(request: Request, visitor: web.Visitor) -> Response:
    """The proposals waiting on a side, oldest first: who has not answered."""
    who = staff(visitor)
    found = runtime_of(request).run(lifecycle.waiting, who)
    return console_page(
        "console_proposals.html",
        visitor,
        "proposals",
        title="Console: proposals waiting",
        waiting=found,
    )
