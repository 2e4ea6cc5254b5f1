"""Whether the service can be sent traffic: ``/health`` (the process answers; no database)
and ``/ready`` (the database answers and its schema is at this code's newest migration)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy.exc import SQLAlchemyError

from accord import __version__
from accord.service.errors import ServiceError
from accord.store.database import Database, head_revision

router = APIRouter(tags=["service"])


class NotReadyError(ServiceError):
    """The service cannot answer requests yet: no database, or a schema behind the code."""

    status = 503


@router.get("/health")
def health() -> dict[str, str]:
    """Liveness: the process answers (no database call)."""
    return {"status": "ok", "version": __version__}


@router.get("/ready")
def ready(request: Request) -> dict[str, str]:
    """Readiness: the database answers, and its schema is at the newest migration; 503 and
    the reason otherwise."""
    database: Database | None = request.app.state.accord.get("database")
    if database is None:
        raise NotReadyError("not connected to the database yet")
    try:
        current = database.revision()
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise NotReadyError(f"the database does not answer: {reason}") from None
    head = head_revision()
    if current != head:
        raise NotReadyError(
            f"the database schema is at migration {current or 'none'}, this code needs "
            f"{head}: run accord db upgrade"
        )
    return {"status": "ready", "version": __version__, "migration": head}
