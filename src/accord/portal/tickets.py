"""The tickets page (the person's tickets with their SLA timers, filtered, a page at a time,
the timers refreshed in place by htmx) and a ticket's page (each clock's timeline in business
time: where the time went)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from accord.api.deps import MAX_ID, runtime_of
from accord.core.clocks import Clock
from accord.portal import web
from accord.render import tickets as render
from accord.render import words
from accord.render.words import zone_of
from accord.service import tickets as use_cases
from accord.service.ingest import NO_NUL

router = APIRouter(include_in_schema=False)
Choice = Annotated[str, Query(max_length=200, pattern=NO_NUL)]
REFRESH_SECONDS = 30
"""How often the list's timers are refreshed in place (with JavaScript)."""


def _filters(agreement: str, objective: str, state: str, customer: str) -> use_cases.Filters:
    return use_cases.Filters(
        agreement=agreement or None,
        objective=objective or None,
        state=state or None,
        customer=customer or None,
    )


def _query(filters: use_cases.Filters, **more: Any) -> str:
    pairs = {
        "agreement": filters.agreement,
        "objective": filters.objective,
        "state": filters.state,
        "customer": filters.customer,
        **more,
    }
    return urlencode({k: v for k, v in pairs.items() if v not in (None, "")})


def _rows(found: use_cases.Listing, n: words.Numbers) -> list[dict[str, Any]]:
    """Each ticket's clocks, their times in their agreement's own zone, named, in the
    reader's convention."""
    return [
        {
            "ticket": t.ticket,
            "customer": t.customer or "-",
            "clocks": [
                {
                    "agreement": c.agreement,
                    "name": c.name,
                    "cycle": c.clock.cycle,
                    "timer": render.timer(
                        c.clock, c.at_risk, zone_of(found.zones.get(c.agreement, found.zone)), n
                    ),
                }
                for c in t.clocks
            ],
        }
        for t in found.tickets
    ]


@router.get("/portal/tickets")
def tickets_page(
    request: Request,
    visitor: web.Visitor,
    agreement: Choice = "",
    objective: Choice = "",
    state: Choice = "",
    customer: Choice = "",
    page: Annotated[int, Query(ge=1, le=MAX_ID)] = 1,
    part: Annotated[Literal["", "rows"], Query()] = "",
) -> Response:
    """The person's tickets with live timers; ``part=rows``: only the list (its count, as-of
    time and table: what htmx swaps in every :data:`REFRESH_SECONDS` seconds)."""
    who = web.principal(visitor)
    filters = _filters(agreement, objective, state, customer)
    found = runtime_of(request).run(use_cases.listing, who, filters, page)
    zone = zone_of(found.zone)
    n = words.locale_of(visitor.locale)
    context: dict[str, Any] = {
        "listing": found,
        "rows": _rows(found, n),
        "as_of": n.when(found.as_of, zone),
        "states": use_cases.STATES,
        "refresh": REFRESH_SECONDS,
        "rows_url": f"/portal/tickets?{_query(filters, page=page, part='rows')}",
        "previous_url": f"/portal/tickets?{_query(filters, page=page - 1)}" if page > 1 else "",
        "next_url": f"/portal/tickets?{_query(filters, page=page + 1)}"
        if page < found.pages
        else "",
        "staff": who.customer is None,
        "filtered": filters != use_cases.Filters(),
    }
    if part == "rows":
        html = web.environment.get_template("ticket_list.html").render(n=n, **context)
        return HTMLResponse(html, headers=web.HEADERS)
    return web.page("tickets.html", visitor, section="tickets", title="Tickets", **context)


@router.get("/portal/tickets/{ticket}")
def ticket_page(
    request: Request,
    visitor: web.Visitor,
    ticket: Annotated[str, Path(max_length=200, pattern=NO_NUL)],
) -> Response:
    """A ticket's clocks now, each with its timeline in business time and the same figures as
    a table; another customer's ticket, or none, is not found (404)."""
    who = web.principal(visitor)
    found = runtime_of(request).run(use_cases.ticket, who, ticket)
    n = words.locale_of(visitor.locale)
    clocks = []
    for number, live in enumerate(found.clocks):
        zone = zone_of(found.zones.get(live.agreement, found.zone))  # the agreement's own
        title = f"{live.name}" + (f", cycle {live.clock.cycle}" if live.clock.cycle > 1 else "")
        drawn = render.picture(number, f"{title}: where the time went", live.clock, zone, n)
        used, target = _used_against(live.clock)
        clocks.append(
            {
                "title": title,
                "agreement": found.titles.get(live.agreement, live.agreement),
                "agreement_key": live.agreement,
                "timer": render.timer(live.clock, live.at_risk, zone, n),
                "went": render.time_went(live.clock, zone, n),
                "clock": live.clock,
                "used": used,
                "target": target,
                "started": n.when(live.clock.started_at, zone)
                if live.clock.started_at
                else "not started",
                "picture": drawn,
                "svg": Markup(drawn.svg) if drawn is not None else None,  # escaped by pictures
            }
        )
    return web.page(
        "ticket.html",
        visitor,
        section="tickets",
        title=f"Ticket {found.ticket}",
        ticket=found,
        clocks=clocks,
        as_of=n.when(found.as_of, zone_of(found.zone)),
    )


def _used_against(clock: Clock) -> tuple[str, str]:
    """The business time a clock used and its target in words, each as precise as it takes
    to read which is the larger (``1 h 0 min 5 s`` of ``1 h``)."""
    if clock.target is None:
        return words.business(clock.used), "no time target"
    return words.business_against(clock.used, clock.target)
