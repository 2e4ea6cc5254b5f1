"""Signing in and out, and accepting an invitation: the pages people use before they are in."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from accord.api.deps import runtime_of
from accord.portal import web
from accord.service import people
from accord.service.errors import ServiceError
from accord.service.people import Current
from accord.service.tenants import now

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=1024)]
SECRET_LINK = {
    "Referrer-Policy": "no-referrer"
}  # a page whose address is a secret: never passed on
NOTICES = {
    "signed-out": "You are signed out.",
    "signed-out-everywhere": "You are signed out on every browser and device.",
    "password-set": "Your password is set. Sign in with it.",
    "password-reset": "Your new password is set, and every session of yours has ended. Sign "
    "in with it.",
}


def _with_form_session(request: Request) -> tuple[Current, str | None]:
    """The visitor's session, or a new one (before sign-in) to hold the form's CSRF token;
    the new session's token for the cookie, when one was made."""
    found = web.visit(request)
    if found is not None:
        return found, None
    state = runtime_of(request)

    def start(session: Session) -> tuple[Current, str]:
        opened = people.open_session(session, now(), client=web.client_of(request))
        return Current(opened.row, None, None), opened.token

    made, token = state.run(start)
    return made, token


def form_page(
    request: Request,
    template: str,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Response:
    """A page with a form for people not signed in (sign-in, invitation, forgot password,
    password reset): its CSRF token is the visitor's session's, a new one when they had none."""
    visitor, token = _with_form_session(request)
    answer = web.page(
        template, None, status=status, headers=headers, csrf_token=visitor.row.csrf, **context
    )
    if token is not None:
        web.set_session_cookie(answer, request, token)
    return answer


def _sign_in_page(
    request: Request,
    *,
    status: int = 200,
    email: str = "",
    next_page: str = "",
    problem: str = "",
    notice: str = "",
    choices: list[tuple[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    return form_page(
        request,
        "sign_in.html",
        status=status,
        headers=headers,
        email=email,
        next_page=web.local_path(next_page),
        problem=problem,
        notice=notice,
        choices=choices or [],
        title="Sign in",
    )


@router.get(web.SIGN_IN)
def sign_in_form(
    request: Request,
    next_page: Annotated[str, Query(alias="next", max_length=2000)] = "",
    notice: web.Notice = "",
    email: Annotated[str, Query(max_length=320)] = "",
) -> Response:
    visitor = web.visit(request)
    if visitor is not None and visitor.person is not None:
        return web.redirect(web.local_path(next_page))
    return _sign_in_page(
        request, email=email, next_page=next_page, notice=web.notice_of(notice, NOTICES)
    )


@router.post(web.SIGN_IN)
def sign_in(
    request: Request,
    email: Text = "",
    password: Text = "",
    csrf_token: Text = "",
    next_page: Annotated[str, Form(alias="next", max_length=2000)] = "",
    organisation: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    visitor = web.visit(request)
    try:
        web.check_csrf(visitor, csrf_token)
    except web.CsrfError:
        return _sign_in_page(
            request,
            status=403,
            email=email,
            next_page=next_page,
            problem="The sign-in form had expired. Please sign in again.",
        )
    state = runtime_of(request)
    replacing = visitor.row if visitor is not None else None
    try:
        outcome = state.run(
            people.sign_in,
            email,
            password,
            now(),
            client=web.client_of(request),
            organisation=organisation or None,
            replacing=replacing,
            user_agent=request.headers.get("user-agent"),
            policy=web.policy_of(state),
        )
    except people.RateLimitedError as error:
        return _sign_in_page(
            request,
            status=429,
            email=email,
            next_page=next_page,
            problem=error.message,
            headers=error.headers,
        )
    if outcome.choices:
        return _sign_in_page(request, email=email, next_page=next_page, choices=outcome.choices)
    if outcome.opened is None:
        return _sign_in_page(
            request, status=401, email=email, next_page=next_page, problem=outcome.problem
        )
    answer = web.redirect(web.local_path(next_page))
    lasts = int(web.policy_of(state).session.total_seconds())
    web.set_session_cookie(answer, request, outcome.opened.token, max_age=lasts)
    return answer


def _signed_out(request: Request, notice: str) -> Response:
    answer = web.redirect(f"{web.SIGN_IN}?notice={notice}")
    web.forget_session_cookie(answer, request)
    return answer


@router.post("/portal/sign-out")
def sign_out(request: Request, csrf_token: Text = "") -> Response:
    return _signing_out(request, csrf_token, people.sign_out, "signed-out")


@router.post("/portal/sign-out-everywhere")
def sign_out_everywhere(request: Request, csrf_token: Text = "") -> Response:
    return _signing_out(request, csrf_token, people.sign_out_everywhere, "signed-out-everywhere")


def _signing_out(
    request: Request, csrf_token: str, use_case: Callable[..., Any], reason: str
) -> Response:
    """A sign-out form posted by a person signed in (else the sign-in page): ``use_case``
    (this session, or all of the person's) run, and the sign-in page saying ``reason``."""
    visitor = web.visit(request)
    if visitor is None or visitor.person is None:
        return web.sign_in_redirect(web.HOME)
    web.check_csrf(visitor, csrf_token)
    runtime_of(request).run(use_case, visitor, now())
    return _signed_out(request, reason)


def _invitation_page(
    request: Request,
    token: str,
    *,
    status: int = 200,
    problem: str = "",
    field: str | None = None,
    name: str = "",
) -> Response:
    state = runtime_of(request)
    try:
        invitation = state.run(people.invitation, token, now())
    except ServiceError as error:
        return web.error_page(request, error.status, error.message)
    return form_page(
        request,
        "invitation.html",
        status=status,
        headers=SECRET_LINK,
        token=token,
        invitation=invitation,
        role_label=people.ROLE_NAMES[invitation.role],
        name=name or invitation.name,
        problem=problem,
        field=field,
        min_password=people.MIN_PASSWORD,
        title="Choose your password",
    )


@router.get("/portal/invitation")
def invitation_form(
    request: Request, token: Annotated[str, Query(max_length=200)] = ""
) -> Response:
    return _invitation_page(request, token)


@router.post("/portal/invitation")
def accept_invitation(
    request: Request,
    token: Annotated[str, Form(max_length=200)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    password: Text = "",
    again: Text = "",
    csrf_token: Text = "",
) -> Response:
    visitor = web.visit(request)
    try:
        web.check_csrf(visitor, csrf_token)
    except web.CsrfError as error:
        return _invitation_page(request, token, status=403, problem=error.message, name=name)
    state = runtime_of(request)
    try:
        person = state.run(people.accept, token, password, now(), repeated=again, name=name)
    except people.InvitationGoneError as error:
        return web.error_page(request, error.status, error.message)
    except ServiceError as error:
        return web.refused(error, partial(_invitation_page, request, token, name=name), field=True)
    return web.redirect(f"{web.SIGN_IN}?notice=password-set&email={quote(person.email)}")
