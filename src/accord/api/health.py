"""Whether the service can be sent traffic: ``/health`` (the process answers; no database)
and ``/ready`` (the database answers and its schema is at this code's newest migration)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError

from accord import __version__
from accord.api.deps import runtime_of
from accord.api.errors import problems
from accord.service.errors import UnavailableError
from accord.store.database import head_revision

router = APIRouter(tags=["service"])


class NotReadyError(UnavailableError):
    """The service cannot answer requests yet: no database, or a schema behind the code."""


class Health(BaseModel):
    status: str = Field(description="ok: the process answers.", examples=["ok"])
    version: str = Field(description="Accord's version.", examples=[__version__])


class Ready(BaseModel):
    status: str = Field(description="ready: requests can be sent.", examples=["ready"])
    version: str = Field(description="Accord's version.", examples=[__version__])
    migration: str = Field(
        description="The migration the database's schema is at: this code's newest.",
        examples=[head_revision()],
    )


@router.get("/health")
def health() -> Health:
    """Liveness: the process answers (no database call)."""
    return Health(status="ok", version=__version__)


@router.get("/ready", responses=problems(503))
def ready(request: Request) -> Ready:
    """Readiness: the database answers, and its schema is at the newest migration; 503 and
    the reason otherwise."""
    database = runtime_of(request).connected
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
    return Ready(status="ready", version=__version__, migration=head)
