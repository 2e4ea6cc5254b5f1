"""The OpenAPI document as the API's contract: FastAPI's document, plus what it cannot infer.

- The schemas of bodies the routes read or write by hand (ingest, agreements as YAML), declared
  with :func:`schema_of`: their definitions are moved into ``components``, where their
  references point.
- The error shape (:class:`accord.api.errors.Problem`) in ``components``.

- The security schemes (:data:`accord.api.deps.SECURITY_SCHEMES`), on every operation whose
  route depends on :func:`accord.api.deps.principal`, and on no other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel

from accord.api.deps import SECURITY_SCHEMES, principal
from accord.api.errors import Problem

REF = "#/components/schemas/{model}"


def schema_of(model: type[BaseModel]) -> dict[str, Any]:
    """A reference to ``model``'s schema for ``openapi_extra`` or ``responses``, carrying the
    definitions that :func:`document` moves into ``components``."""
    schema = model.model_json_schema(ref_template=REF)
    definitions = schema.pop("$defs", {})
    return {
        "$ref": REF.format(model=model.__name__),
        "$defs": {**definitions, model.__name__: schema},
    }


def _hoist(schema: dict[str, Any], components: dict[str, Any]) -> None:
    """Move a schema's ``$defs`` into ``components`` (its references point there)."""
    for name, definition in schema.pop("$defs", {}).items():
        if components.setdefault(name, definition) != definition:
            raise ValueError(f"two different schemas named {name!r} in the OpenAPI document")


def _needs_key(dependant: Dependant) -> bool:
    return any(d.call is principal or _needs_key(d) for d in dependant.dependencies)


def document(app: FastAPI, routers: Sequence[APIRouter]) -> dict[str, Any]:
    """The OpenAPI document of ``app``, whose operations needing a key are in ``routers``."""
    found = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    schemas: dict[str, Any] = found.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template=REF, mode="serialization")
    _hoist(problem, schemas)
    schemas["Problem"] = problem
    found["components"]["securitySchemes"] = SECURITY_SCHEMES
    for router in routers:
        routes = [r for r in router.routes if isinstance(r, APIRoute) and r.include_in_schema]
        for route in routes:
            if _needs_key(route.dependant):
                for method in route.methods or ():
                    operation = found["paths"][route.path_format][method.lower()]
                    operation["security"] = [{name: []} for name in SECURITY_SCHEMES]
    for operations in found["paths"].values():
        for operation in operations.values():
            answers = [operation.get("requestBody", {}), *operation.get("responses", {}).values()]
            for answer in answers:
                for content in answer.get("content", {}).values():
                    _hoist(content.get("schema", {}), schemas)
    return found


def install(app: FastAPI, routers: Sequence[APIRouter]) -> None:
    """Serve :func:`document` at ``app.openapi_url``, made once."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(app, routers)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
