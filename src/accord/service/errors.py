"""Errors of the service's use cases, each with the HTTP status the API answers with."""

from __future__ import annotations

from accord.core.errors import AccordError


class ServiceError(AccordError):
    """A request that cannot be done as asked; ``field`` names the offending part."""

    status = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    @property
    def headers(self) -> dict[str, str]:
        """HTTP headers the answer carries besides the JSON error."""
        return {}


class NotFoundError(ServiceError):
    """Nothing by that id, or nothing this key may see (another tenant's id looks the same)."""

    status = 404


class ForbiddenError(ServiceError):
    """The key's role does not allow this."""

    status = 403


class UnauthorizedError(ServiceError):
    """No key, or a key that is unknown or revoked."""

    status = 401


class InvalidError(ServiceError):
    """The request's content is wrong; nothing was written."""

    status = 422


class TooLargeError(ServiceError):
    """The request is larger than the service takes in one go; nothing was written."""

    status = 413


class ConflictError(ServiceError):
    """The request contradicts the state of what is stored (it would leave it unusable)."""

    status = 409


class UnavailableError(ServiceError):
    """The service cannot do this as configured (an operator must act); nothing was written."""

    status = 503


class BusyError(UnavailableError):
    """The database could not do the request now (contention that retries did not clear, or
    the database out of reach); nothing was written, and the same request may be sent again."""

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": "1"}
