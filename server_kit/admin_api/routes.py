"""The shape of an admin REST API's operation table: one row per operation (path, handler,
role, bodies, documentation), from which both the routes and the OpenAPI document are built,
so a route cannot exist undocumented or unguarded. Each server keeps its own table."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from pydantic import BaseModel


@dataclass(frozen=True, slots=True)
class Query:
    name: str
    description: str
    type: str = "string"
    required: bool = False


@dataclass(frozen=True, slots=True)
class Operation:
    method: str
    path: str
    handler: str  # method name on the server's Handlers class
    summary: str
    tag: str
    role: enum.StrEnum | None = None  # the server's Role; None: any valid API key
    public: bool = False  # no API key at all
    body: type[BaseModel] | None = None
    body_optional: bool = False  # the JSON body may be left out (all its fields have defaults)
    raw_body: bool = False  # a certificate as the raw body (PEM or DER)
    response: type[BaseModel] | None = None
    many: bool = False  # the response is a list of ``response``
    status: int = 200
    media_type: str = "application/json"
    query: tuple[Query, ...] = field(default_factory=tuple)

    @property
    def operation_id(self) -> str:
        return self.handler


def op(method: str, path: str, handler: str, summary: str, tag: str, **kw: object) -> Operation:
    """An :class:`Operation` row, written compactly in a server's table."""
    return Operation(method, path, handler, summary, tag, **kw)  # type: ignore[arg-type]


def check_table(operations: tuple[Operation, ...]) -> None:
    """Every change needs a role; every (method, path) appears once."""
    seen: set[tuple[str, str]] = set()
    for row in operations:
        if row.method != "GET" and row.role is None:
            raise ValueError(f"{row.method} {row.path} changes state and needs a role")
        if (row.method, row.path) in seen:
            raise ValueError(f"{row.method} {row.path} is listed twice")
        seen.add((row.method, row.path))
