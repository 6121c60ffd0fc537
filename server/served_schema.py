"""The schema as served: the edge's extensions (limits, parsing and validation off the event
loop, observation, error masking) on the one Schema object of schema/root.py."""

from __future__ import annotations

import copy
from collections.abc import Callable

import strawberry
from strawberry.extensions import SchemaExtension

from schema.root import SCHEMA_EXTENSIONS, schema
from server.documents import ParseOffLoop, ValidateOffLoop
from server.limits import limit_extensions
from server.nul_characters import nul_extensions
from server.observability import OperationObserver, ProductionErrors
from server.settings import ServerSettings


def schema_extensions(settings: ServerSettings | None = None
                      ) -> list[Callable[[], SchemaExtension]]:
    """The edge's limits, and what `settings` switch: introspection and error masking
    (without settings: introspection on, errors unmasked, as in development)."""
    introspection = settings.introspection if settings is not None else True
    extensions: list[Callable[[], SchemaExtension]] = [
        *limit_extensions(introspection=introspection),
        *nul_extensions(),
        # Parsed and validated once per document, off the event loop.
        ParseOffLoop,
        ValidateOffLoop,
        OperationObserver,
        *SCHEMA_EXTENSIONS,
    ]
    if settings is not None and settings.mask_errors:
        extensions.append(ProductionErrors)
    return extensions


def schema_for(settings: ServerSettings) -> strawberry.Schema:
    """The schema served with these settings. Strawberry cannot convert the types twice in
    one process (relay's node fields keep the resolver of the first schema), so the one
    schema is copied and only its per-request extensions differ."""
    served = copy.copy(schema)
    served.extensions = tuple(schema_extensions(settings))
    return served
