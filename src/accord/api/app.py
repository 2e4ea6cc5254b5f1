"""The FastAPI application. Routes are thin: they authenticate, call a use case of
:mod:`accord.service` in one transaction, and shape the answer; one router per concept
(agreements, ingest, live, reports, standing, claims, access, people, health, metrics),
the shared dependencies in :mod:`accord.api.deps`, the error shape in :mod:`accord.api.errors` and
request ids in :mod:`accord.api.middleware`."""

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from accord import __version__, portal
from accord.api import (
    access,
    agreements,
    claims,
    deliveries,
    errors,
    health,
    ingest,
    lifecycle,
    live,
    metrics,
    openapi,
    people,
    reports,
    standing,
)
from accord.api.deps import Runtime
from accord.api.middleware import Compression, RequestContext
from accord.service import demo
from accord.service.tenants import now
from accord.settings import Settings
from accord.store.database import Database
from accord.worker import Worker

log = logging.getLogger("accord.api")


DESCRIPTION = """\
Service level agreements as code: agreements, ticket clocks, availability, credits and
escalations.

**Authentication**: every `/v1` operation needs an API key, sent as
`Authorization: Bearer <key>` (or `X-API-Key: <key>`). Make one with `accord key create` or
`POST /v1/keys`; in the interactive docs, *Authorize* takes it.

**Errors** are [RFC 9457 problem details](https://www.rfc-editor.org/rfc/rfc9457)
(`application/problem+json`): `status`, `title`, `detail` (for people), `instance` (the path),
`field` (what is wrong) and `errors` (every problem found, with `line` and `column` in an
uploaded agreement). Nothing is written when an error is answered.
"""


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """The application; with no database given, it connects to ``settings.database_url``."""
    settings = settings or Settings()
    state = Runtime(settings, database)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        db = state.database
        if settings.demo:
            with db.session() as session:
                key = demo.load_demo(session, now())
                made = demo.demo_people(session, now()) if key is not None else []
            if key is not None:
                log.warning("demo organisation created; its admin key: %s", key)
                state.demo_key = key
            for person in made:
                log.warning(
                    "demo portal person %s (%s), password: %s",
                    person.email,
                    person.role,
                    person.password,
                )
        stop = threading.Event()
        thread = None
        if settings.worker:
            thread = threading.Thread(
                target=Worker(db, settings).run, args=(stop,), name="accord-worker", daemon=True
            )
            thread.start()
        yield
        stop.set()
        if thread is not None:
            thread.join(timeout=10)

    # Swagger UI and ReDoc from the files fastapi-offline ships, not a CDN: /docs works on a
    # closed network
    app = FastAPIOffline(
        title="Accord",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        swagger_ui_parameters={"persistAuthorization": True},
    )
    app.state.accord = state
    app.add_middleware(Compression)
    app.add_middleware(RequestContext, access_log=settings.access_log)
    # the busiest first: each request tries the routers in this order
    routers = (
        ingest.router,
        live.router,
        agreements.router,
        reports.router,
        standing.router,
        claims.router,
        access.router,
        people.router,
        deliveries.router,
        lifecycle.router,
    )
    errors.install(app)
    openapi.install(app, routers)
    for router in (*routers, health.router, metrics.router):
        app.include_router(router)
    portal.install(app)
    if settings.benchmark:
        app.include_router(ingest.benchmark)
    return app
