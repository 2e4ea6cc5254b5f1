"""The home page: what a signed-in person may see, read through the same use cases (and
visibility rules) as the API."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from accord.api.deps import runtime_of
from accord.portal import web
from accord.render.standing import overview_html, standing_html
from accord.service import agreements, standing
from accord.store.schema import AgreementRow

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
    """Where the person's customer stands (a customer's people), or every customer at a
    glance, worst first (the provider's staff): the figures of ``GET /v1/standing`` and
    ``/v1/standing/overview``; then the agreements the person may see."""
    who = web.principal(visitor)

    def read(session: Session) -> tuple[list[AgreementRow], Markup]:
        rows = agreements.visible(session, who)
        if who.customer is not None:
            figures = standing_html(standing.standing(session, who), locale=visitor.locale)
        else:
            figures = overview_html(standing.overview(session, who), locale=visitor.locale)
        return rows, Markup(figures)  # made by render.standing's autoescaped templates

    rows, figures = runtime_of(request).run(read)
    return web.page(
        "home.html",
        visitor,
        section="home",
        title="Home",
        agreements=rows,
        customer=who.customer,
        standing=figures,
    )
