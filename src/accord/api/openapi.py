"""The OpenAPI document as the API's contract: FastAPI's document, plus what it cannot infer.

- The schemas of bodies the routes read or write by hand (ingest, agreements as YAML), declared
  with :func:`schema_of`: their definitions are moved into ``components``, where their
  references point.
- The error shape (:class:`accord.api.errors.Problem`) in ``components``.

The security schemes come from the dependencies of :func:`accord.api.deps.principal`, so every
operation that needs a key says so, and no other.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

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


def document(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document of ``app``."""
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
    for operations in found["paths"].values():
        for operation in operations.values():
            answers = [operation.get("requestBody", {}), *operation.get("responses", {}).values()]
            for answer in answers:
                for content in answer.get("content", {}).values():
                    _hoist(content.get("schema", {}), schemas)
    return found


def install(app: FastAPI) -> None:
    """Serve :func:`document` at ``app.openapi_url``, made once."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
