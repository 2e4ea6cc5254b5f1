"""What the portal's pages share: the templates, the visitor's server-side session, the CSRF
check, the session cookie and the headers every page carries."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Query, Request
from fastapi import Path as InPath
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape

from accord import __version__
from accord.api.deps import MAX_ID, Runtime, runtime_of
from accord.render.words import in_zone, locale_of, supported_locale
from accord.service import audit, people
from accord.service.errors import ServiceError
from accord.service.ingest import NO_NUL
from accord.service.people import Current, Policy
from accord.service.tenants import Principal, now

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
COOKIE = "accord_session"
HOME = "/portal/"
SIGN_IN = "/portal/sign-in"
HEADERS = {
    # scripts and styles from Accord only (htmx is served from /portal/static), nothing framed
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",  # pages are personal: never kept by a shared cache
}

environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(("html",)),
    trim_blocks=True,
    lstrip_blocks=True,
)
# an instant as people read it, in the zone named (an agreement's own): 7 Dec 2026, 09:14 PST
environment.globals["in_zone"] = pass_context(
    lambda context, moment, zone: in_zone(context.get("n"), moment, zone)
)


Notice = Annotated[str, Query(max_length=40)]
"""The ``notice`` query parameter: the code of what a page says after an action (a redirect
after a form names it; an unknown code says nothing)."""
Key = Annotated[str, InPath(max_length=64, pattern=NO_NUL)]
"""An agreement's key in a page's path."""
Id = Annotated[int, InPath(ge=1, le=MAX_ID)]
"""A stored row's number in a page's path (a claim, a delivery, an invitation)."""


def notice_of(code: str, notices: Mapping[str, str]) -> str:
    """What a page says for the ``notice`` code it was sent with (nothing for another)."""
    return notices.get(code, "")


def refused(
    error: ServiceError, again: Callable[..., Response], *, field: bool = False
) -> Response:
    """A form a use case refused: the page of the form again, with the refusal's message and
    status (``field``: and the field it names, for the form to mark). A 404 is not the form's
    to show: it is raised, answered as the not-found page."""
    if error.status == 404:
        raise error
    more = {"field": error.field} if field else {}
    return again(status=error.status, problem=error.message, **more)


class SignInNeededError(Exception):
    """A page for signed-in people, asked for without a live session: go and sign in."""

    def __init__(self, back_to: str) -> None:
        super().__init__(back_to)
        self.back_to = back_to


class CsrfError(ServiceError):
    """A form sent without the CSRF token of the visitor's session (or with another one)."""

    status = 403


def policy_of(state: Runtime) -> Policy:
    return Policy.of(state.settings)


def visit(request: Request) -> Current | None:
    """The live session the request's cookie names, if any (signed in or not)."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    state = runtime_of(request)
    return state.run(people.current, token, now(), policy_of(state))


def signed_in(request: Request) -> Current:
    """The signed-in visitor, with the locale their pages are written in
    (:func:`reader_locale`); anyone else is sent to the sign-in page, and back after."""
    found = visit(request)
    if found is None or found.person is None:
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInNeededError(back)
    return replace(found, locale=reader_locale(request, found))


def reader_locale(request: Request, visitor: Current | None) -> str:
    """The locale the portal writes a reader's numbers, money and dates in: the one the
    person chose (*Your account*), else the one their browser's ``Accept-Language`` weighs
    highest among :data:`accord.render.words.SUPPORTED_LOCALES`, else their organisation's
    default, else English. The words stay English."""
    person = visitor.person if visitor is not None else None
    if person is not None and person.locale:
        return person.locale
    asked = supported_locale(request.headers.get("accept-language"))
    if asked is not None:
        return asked
    if visitor is not None and visitor.default_locale:
        return visitor.default_locale
    return "en"


Visitor = Annotated[Current, Depends(signed_in)]


def principal(visitor: Current) -> Principal:
    found = visitor.principal
    assert found is not None
    return found


def check_csrf(visitor: Current | None, sent: str) -> None:
    """Refuse a form whose CSRF token is missing or not the session's (synchronizer token)."""
    if visitor is None or not sent or not hmac.compare_digest(visitor.row.csrf, sent):
        raise CsrfError(
            "This form was not sent from Accord's own page, or the page is too old. Go back, "
            "reload the page and send the form again.",
            "csrf_token",
        )


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def secure(request: Request) -> bool:
    return request.url.scheme == "https" or runtime_of(request).settings.secure_cookies


def set_session_cookie(
    response: Response, request: Request, token: str, *, max_age: int | None = None
) -> None:
    """The session cookie: HttpOnly (no script reads it), SameSite=Lax (not sent with forms
    posted from other sites), Secure over https or when the settings say so."""
    response.set_cookie(
        COOKIE,
        token,
        max_age=max_age,
        path="/portal",
        httponly=True,
        samesite="lax",
        secure=secure(request),
    )


def forget_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        COOKIE, path="/portal", httponly=True, samesite="lax", secure=secure(request)
    )


def local_path(target: str | None) -> str:
    """Where to go after signing in: a page of the portal only (never another site)."""
    if target and target.startswith("/portal/") and not target.startswith("/portal//"):
        return target
    return HOME


def redirect(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303, headers=HEADERS)


def sign_in_redirect(back_to: str) -> RedirectResponse:
    return redirect(f"{SIGN_IN}?next={quote(back_to, safe='/')}")


def page(
    template: str,
    visitor: Current | None,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page of the portal, with the navigation the visitor's role allows."""
    who = visitor.principal if visitor is not None else None
    person = visitor.person if visitor is not None else None
    locale = visitor.locale if visitor is not None else "en"
    html = environment.get_template(template).render(
        version=__version__,
        locale=locale,
        n=locale_of(locale),  # numbers and money in the reader's convention
        me=person,
        role_name=people.ROLE_NAMES.get(person.role, "") if person else "",
        csrf=visitor.row.csrf if visitor is not None else "",
        may_invite=who is not None and people.may_invite(who),
        may_read_audit=who is not None and audit.may_read(who),
        section=context.pop("section", ""),
        **context,
    )
    return HTMLResponse(html, status_code=status, headers={**HEADERS, **(headers or {})})


def _visitor_of_error(request: Request, status: int) -> Current | None:
    """Whom an error page is laid out for: the signed-in visitor, with the navigation their
    role allows (a stale link is not a dead end), else no one (the page then links to the
    sign-in page). The navigation is the visitor's, never the object's: a 404 for another
    customer's object reads as one for an object that does not exist. When the database is
    busy or out of reach (503), or reading the session fails, the page is laid out for no
    one rather than not answered."""
    if status == 503:
        return None
    try:
        found = visit(request)
    except Exception:  # an error page must answer: laid out for no one
        return None
    if found is None or found.person is None:
        return None
    return replace(found, locale=reader_locale(request, found))


def error_page(
    request: Request, status: int, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    """An error answered as a page (the API answers problem details instead)."""
    titles = {
        403: "Not allowed",
        404: "Not found",
        405: "Not allowed",
        410: "Link no longer valid",
        422: "Not accepted",
        429: "Too many tries",
    }
    if status == 404 and message.startswith("no such route"):
        message = f"There is no page at {request.url.path}."
    return page(
        "error.html",
        _visitor_of_error(request, status),
        status=status,
        headers=headers,
        title=titles.get(status, "Something went wrong"),
        message=message,
        offer_sign_in=True,
    )
