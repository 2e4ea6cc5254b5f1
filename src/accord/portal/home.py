"""The home page and an agreement's page: what a signed-in person may see, read through the
same use cases (and visibility rules) as the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from accord.api.deps import runtime_of
from accord.portal import web
from accord.service import agreements
from accord.service.ingest import NO_NUL
from accord.service.tenants import Principal
from accord.store.schema import AgreementRow, AgreementVersion

router = APIRouter(include_in_schema=False)


@router.get("/", include_in_schema=False)
def root() -> Response:
    """The address people type: the portal."""
    return web.redirect(web.HOME)


@router.get("/portal", include_in_schema=False)
def portal_root() -> Response:
    return web.redirect(web.HOME)


@router.get(web.HOME)
def home(request: Request, visitor: web.Visitor) -> Response:
    """The agreements the person may see (all of the provider's, or their customer's)."""
    who = web.principal(visitor)
    rows = runtime_of(request).run(agreements.visible, who)
    return web.page(
        "home.html",
        visitor,
        section="home",
        title="Home",
        agreements=rows,
        customer=who.customer,
    )


@router.get("/portal/agreements/{key}")
def agreement(
    request: Request,
    visitor: web.Visitor,
    key: Annotated[str, Path(max_length=64, pattern=NO_NUL)],
) -> Response:
    """An agreement and its versions; another customer's, or none, is not found (404)."""
    who = web.principal(visitor)

    def read(session: Session, who: Principal) -> tuple[AgreementRow, list[AgreementVersion]]:
        row = agreements.find(session, who, key)
        return row, list(agreements.versions(session, row))

    row, versions = runtime_of(request).run(read, who)
    return web.page(
        "agreement.html",
        visitor,
        section="home",
        title=row.title or row.key,
        agreement=row,
        versions=versions,
    )
