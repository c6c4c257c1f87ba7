"""What the OpenAPI document promises beyond what Litestar derives by itself.

- A request shape that refuses unknown fields (`forbid_unknown_fields=True`) says so with
  `additionalProperties: false`; otherwise the document allows any extra field while the
  server answers 400 for it, and generated clients and fuzzers believe the document.
- An operation that needs no login (`exclude_from_auth`) says `security: []`; otherwise it
  inherits the document-wide bearer requirement, as if it refused anonymous callers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import msgspec
from litestar import Litestar
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.openapi.spec import Operation
from litestar.routes import HTTPRoute

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.openapi.spec import Schema
    from litestar.typing import FieldDefinition

__all__ = ["ClosedStructSchemaPlugin", "PublicOperation", "declare_public_operations"]


class ClosedStructSchemaPlugin(StructSchemaPlugin):
    """Litestar's own Struct schemas, with `additionalProperties: false` where extras are refused."""

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        struct: type[msgspec.Struct] = field_definition.type_
        if struct.__struct_config__.forbid_unknown_fields:
            schema.additional_properties = False
        return schema


@dataclass
class PublicOperation(Operation):
    """An operation anyone may call: `security: []` in place of the document-wide bearer
    requirement (Litestar leaves an empty requirement out, so it would be inherited)."""

    def __post_init__(self) -> None:
        self.security = []


def declare_public_operations(app: Litestar) -> None:
    """Mark the operations anyone may call. Only their handlers change: the document is
    built when it is first asked for, not with every app (that takes seconds)."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if handler.opt.get("exclude_from_auth"):
                handler.operation_class = PublicOperation
