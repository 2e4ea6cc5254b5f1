"""The provider's console: every customer's standing, reviews and renewals due, escalations
and webhook deliveries (a failed one sent again), for the provider's staff only; a customer's
people are refused (403). Uploading an agreement is in :mod:`accord.portal.agreements_upload`,
drafting one from a template in :mod:`accord.portal.agreements_new`, trying a proposal on
history in :mod:`accord.portal.trial`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from accord.api.deps import runtime_of
from accord.portal import web
from accord.render.standing import agreements_in_words, overview_html
from accord.service import deliveries, reviews, standing
from accord.service.errors import ForbiddenError
from accord.service.people import Current
from accord.service.tenants import Principal, now

router = APIRouter(include_in_schema=False)
NOTICES = {"retried": "The delivery is queued again: a worker sends it at its next round."}
SECTIONS = (
    ("/portal/console", "overview", "Customers"),
    ("/portal/console/reviews", "reviews", "Reviews and renewals"),
    ("/portal/console/deliveries", "deliveries", "Escalations and deliveries"),
    ("/portal/console/proposals", "proposals", "Proposals waiting"),
    ("/portal/console/agreements/upload", "upload", "Upload an agreement"),
    ("/portal/console/agreements/new", "new", "New agreement from a template"),
    ("/portal/console/evidence", "evidence", "Evidence from a spreadsheet"),
)


def staff(visitor: Current) -> Principal:
    """The signed-in person, who must be of the provider: a customer's people get 403."""
    who = web.principal(visitor)
    if who.customer is not None:
        raise ForbiddenError("the console is for the provider's staff")
    return who


def console_page(template: str, visitor: Current, tab: str, **context: Any) -> Response:
    """A console page: the portal's layout with the console's own tabs."""
    who = web.principal(visitor)
    tabs = [(href, key, name) for href, key, name in SECTIONS if key != "upload" or may_upload(who)]
    return web.page(template, visitor, section="console", tab=tab, tabs=tabs, **context)


def may_upload(who: Principal) -> bool:
    """Uploading agreements is the provider admins' (an admin key of the provider)."""
    return who.customer is None and who.role == "admin"


@router.get("/portal/console")
def overview(request: Request, visitor: web.Visitor) -> Response:
    """Every customer worst first and the tickets at risk or breached across them (the
    figures of ``GET /v1/standing/overview``), then each customer's objectives in full."""
    who = staff(visitor)

    def read(session: Session) -> tuple[Markup, list[dict[str, Any]]]:
        found = standing.overview(session, who)
        customers = [
            {
                "customer": c.customer or "no one customer",
                "anchor": f"customer-{c.customer or 'none'}",
                "missed": c.missed,
                "breached": c.breached,
                "at_risk": c.at_risk,
                "agreements": agreements_in_words(c, locale=visitor.locale),
            }
            for c in found.customers
        ]
        # autoescaped by render.standing
        return Markup(overview_html(found, locale=visitor.locale)), customers

    figures, customers = runtime_of(request).run(read)
    return console_page(
        "console_overview.html",
        visitor,
        "overview",
        title="Console: customers",
        figures=figures,
        customers=customers,
    )


@router.get("/portal/console/reviews")
def reviews_due(request: Request, visitor: web.Visitor) -> Response:
    """Each agreement's next review and the end of its term, soonest first."""
    who = staff(visitor)
    found = runtime_of(request).run(reviews.due, who, now())
    return console_page(
        "console_reviews.html",
        visitor,
        "reviews",
        title="Console: reviews and renewals",
        due=found,
    )


@router.get("/portal/console/deliveries")
def sent(
    request: Request,
    visitor: web.Visitor,
    notice: web.Notice = "",
) -> Response:
    """Escalations fired, and every delivery with its outcome; failed ones first."""
    who = staff(visitor)

    def read(session: Session) -> tuple[list[Any], list[deliveries.Sent]]:
        return list(deliveries.escalations(session, who)), deliveries.recent(session, who)

    fired, outbox = runtime_of(request).run(read)
    return console_page(
        "console_deliveries.html",
        visitor,
        "deliveries",
        title="Console: escalations and deliveries",
        fired=fired,
        outbox=outbox,
        failed=sum(1 for d in outbox if d.failed),
        notice=web.notice_of(notice, NOTICES),
    )


@router.post("/portal/console/deliveries/{delivery_id}/retry")
def retry(
    request: Request,
    visitor: web.Visitor,
    delivery_id: web.Id,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Send a failed delivery again (audit-logged as ``delivery.retried``)."""
    web.check_csrf(visitor, csrf_token)
    who = staff(visitor)
    runtime_of(request).run(deliveries.retry, who, delivery_id, now())
    return web.redirect("/portal/console/deliveries?notice=retried")
