"""A person's own account: changing the password, and the sessions they have open (ending any
or all of the others); and, before sign-in, "forgot password" and its link."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated
from urllib.parse import quote

from babel import Locale
from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import Response

from accord.api.deps import MAX_ID, runtime_of
from accord.portal import web
from accord.portal.auth import SECRET_LINK, form_page
from accord.render.words import SUPPORTED_LOCALES
from accord.service import accounts, people
from accord.service.errors import NotFoundError, ServiceError
from accord.service.people import Current
from accord.service.tenants import now

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=1024)]
Token = Annotated[str, Form(max_length=200)]
NOTICES = {
    "password-changed": "Your password is changed. You stay signed in here; every other "
    "session of yours has ended.",
    "session-ended": "That session has ended: its browser is signed out.",
    "others-ended": "Every other session of yours has ended.",
    "locale-chosen": "Your choice is kept: the pages write their numbers so from now on.",
}
LOCALE_NAMES = {
    tag: f"{Locale.parse(tag, sep='-').get_display_name('en')}, {tag}" for tag in SUPPORTED_LOCALES
}
"""The locales a person may choose, named in English (the portal's words)."""
_BROWSERS = (
    ("Edg/", "Edge"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def browser_of(user_agent: str | None) -> str:
    """A user agent in a few words ("Firefox on Linux"); "unknown browser" when it says
    nothing recognisable (the whole string is shown beside it)."""
    if not user_agent:
        return "unknown browser"
    name = next((n for mark, n in _BROWSERS if mark in user_agent), None)
    if name is None and re.search(r"headless", user_agent, re.I):
        name = "headless browser"
    system = next((s for mark, s in _SYSTEMS if mark in user_agent), None)
    if name and system:
        return f"{name} on {system}"
    return name or system or "unknown browser"


def _page(
    request: Request,
    visitor: Current,
    *,
    status: int = 200,
    problem: str = "",
    field: str | None = None,
    notice: str = "",
    headers: dict[str, str] | None = None,
) -> Response:
    state = runtime_of(request)
    found = state.run(accounts.own_sessions, visitor, now(), web.policy_of(state))
    return web.page(
        "account.html",
        visitor,
        status=status,
        headers=headers,
        section="account",
        title="Your account",
        sessions=found,
        browser_of=browser_of,
        problem=problem,
        field=field,
        notice=notice,
        min_password=people.MIN_PASSWORD,
        locale_names=LOCALE_NAMES,
        sample=Decimal("1234.5"),
        sample_percent=Decimal("99.95"),
        sample_day=date(2026, 10, 6),
    )


@router.get("/portal/account")
def account_page(
    request: Request,
    visitor: web.Visitor,
    notice: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    return _page(request, visitor, notice=NOTICES.get(notice, ""))


@router.post("/portal/account/password")
def change_password(
    request: Request,
    visitor: web.Visitor,
    current: Text = "",
    password: Text = "",
    again: Text = "",
    csrf_token: Token = "",
) -> Response:
    web.check_csrf(visitor, csrf_token)
    state = runtime_of(request)
    try:
        changed = state.run(
            accounts.change_password,
            visitor,
            current,
            password,
            now(),
            repeated=again,
            client=web.client_of(request),
            policy=web.policy_of(state),
            base_url=state.settings.public_url or str(request.base_url),
        )
    except people.RateLimitedError as error:
        return _page(
            request,
            visitor,
            status=429,
            problem=error.message,
            field="current",
            headers=error.headers,
        )
    except ServiceError as error:
        return _page(
            request, visitor, status=error.status, problem=error.message, field=error.field
        )
    if changed.problem:
        return _page(request, visitor, status=422, problem=changed.problem, field="current")
    return web.redirect("/portal/account?notice=password-changed")


@router.post("/portal/account/locale")
def choose_locale(
    request: Request,
    visitor: web.Visitor,
    locale: Annotated[str, Form(max_length=35)] = "",
    csrf_token: Token = "",
) -> Response:
    """The locale the pages write the person's numbers in (empty: as the browser asks)."""
    web.check_csrf(visitor, csrf_token)
    try:
        runtime_of(request).run(accounts.choose_locale, visitor, locale, now())
    except ServiceError as error:
        return _page(
            request, visitor, status=error.status, problem=error.message, field=error.field
        )
    return web.redirect("/portal/account?notice=locale-chosen")


@router.post("/portal/account/sessions/{session_id}/end")
def end_session(
    request: Request,
    visitor: web.Visitor,
    session_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    csrf_token: Token = "",
) -> Response:
    web.check_csrf(visitor, csrf_token)
    runtime_of(request).run(accounts.end_own_session, visitor, session_id, now())
    return web.redirect("/portal/account?notice=session-ended")


@router.post("/portal/account/sessions/end-others")
def end_others(request: Request, visitor: web.Visitor, csrf_token: Token = "") -> Response:
    web.check_csrf(visitor, csrf_token)
    runtime_of(request).run(accounts.end_other_sessions, visitor, now())
    return web.redirect("/portal/account?notice=others-ended")


def _forgot_page(
    request: Request,
    *,
    status: int = 200,
    email: str = "",
    problem: str = "",
    notice: str = "",
    headers: dict[str, str] | None = None,
) -> Response:
    return form_page(
        request,
        "forgot_password.html",
        status=status,
        headers=headers,
        email=email,
        problem=problem,
        notice=notice,
        title="Forgot your password?",
    )


@router.get("/portal/forgot-password")
def forgot_form(request: Request, email: Annotated[str, Query(max_length=320)] = "") -> Response:
    return _forgot_page(request, email=email)


@router.post("/portal/forgot-password")
def forgot(
    request: Request,
    email: Annotated[str, Form(max_length=320)] = "",
    csrf_token: Token = "",
) -> Response:
    try:
        web.check_csrf(web.visit(request), csrf_token)
    except web.CsrfError as error:
        return _forgot_page(request, status=403, email=email, problem=error.message)
    state = runtime_of(request)
    policy = web.policy_of(state)
    try:
        state.run(
            accounts.request_reset,
            email,
            now(),
            client=web.client_of(request),
            base_url=state.settings.public_url or str(request.base_url),
            policy=policy,
        )
    except people.RateLimitedError as error:
        return _forgot_page(
            request, status=429, email=email, problem=error.message, headers=error.headers
        )
    except ServiceError as error:
        return _forgot_page(request, status=error.status, email=email, problem=error.message)
    minutes = int(policy.reset.total_seconds() // 60)
    return _forgot_page(request, email=email, notice=accounts.RESET_SENT.format(minutes=minutes))


def _reset_page(
    request: Request, token: str, *, status: int = 200, problem: str = "", field: str | None = None
) -> Response:
    state = runtime_of(request)
    try:
        state.run(accounts.reset_link, token, now())
    except ServiceError as error:
        return web.error_page(request, error.status, error.message)
    return form_page(
        request,
        "password_reset.html",
        status=status,
        headers=SECRET_LINK,
        token=token,
        problem=problem,
        field=field,
        min_password=people.MIN_PASSWORD,
        title="Choose a new password",
    )


@router.get("/portal/password-reset")
def reset_form(request: Request, token: Annotated[str, Query(max_length=200)] = "") -> Response:
    return _reset_page(request, token)


@router.post("/portal/password-reset")
def reset(
    request: Request,
    token: Token = "",
    password: Text = "",
    again: Text = "",
    csrf_token: Token = "",
) -> Response:
    try:
        web.check_csrf(web.visit(request), csrf_token)
    except web.CsrfError as error:
        return _reset_page(request, token, status=403, problem=error.message)
    state = runtime_of(request)
    try:
        person = state.run(
            accounts.reset_password,
            token,
            password,
            now(),
            repeated=again,
            base_url=state.settings.public_url or str(request.base_url),
        )
    except (people.InvitationGoneError, NotFoundError) as error:
        return web.error_page(request, error.status, error.message)
    except ServiceError as error:
        return _reset_page(
            request, token, status=error.status, problem=error.message, field=error.field
        )
    return web.redirect(f"{web.SIGN_IN}?notice=password-reset&email={quote(person.email)}")
