"""The portal: server-rendered pages for the provider's staff and its customers, in the same
application as the API and over the same use cases (:mod:`accord.service`)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response

from accord.portal import (
    account,
    agreements,
    agreements_new,
    agreements_upload,
    audit,
    auth,
    claims,
    console,
    evidence,
    home,
    lifecycle,
    people,
    reports,
    tickets,
    trial,
    web,
)


async def _sign_in_first(request: Request, failure: Exception) -> Response:
    assert isinstance(failure, web.SignInNeededError)
    return web.sign_in_redirect(failure.back_to)


def install(app: FastAPI) -> None:
    """Add the portal's pages, its static files (/portal/static) and its error pages."""
    for router in (
        auth.router,
        account.router,
        home.router,
        agreements.router,
        tickets.router,
        claims.router,
        reports.router,
        people.router,
        audit.router,
        console.router,
        agreements_upload.router,
        trial.router,  # before the templates: an agreement may be called 'new'
        agreements_new.router,
        lifecycle.router,
        evidence.router,
    ):
        app.include_router(router)
    app.mount("/portal/static", StaticFiles(directory=web.STATIC), name="portal-static")
    app.add_exception_handler(web.SignInNeededError, _sign_in_first)
    app.state.error_pages = web.error_page
