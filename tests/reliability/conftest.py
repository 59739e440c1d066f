"""Reliability helpers: every service app, its token-guarded routes, and row counts for "nothing written"."""

from __future__ import annotations

import importlib
import re
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select, text

from services.common.db import Database
from services.common.settings import SERVICES
from services.scoring.models import common

PUBLIC_PATHS = {"/healthz", "/readyz", "/metrics"}


def service_app(service: str) -> FastAPI:
    """The module-level ASGI app of a service."""
    app: FastAPI = importlib.import_module(f"services.{service}.app").app
    return app


def guarded_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, concrete path) of every documented route that must demand a service token."""
    found: list[tuple[str, str]] = []
    for path, operations in app.openapi()["paths"].items():
        if path in PUBLIC_PATHS:
            continue
        concrete = re.sub(r"\{[^}]+\}", "x1", path)
        found.extend((method.upper(), concrete) for method in sorted(operations) if method not in ("head", "options"))
    return found


async def row_counts(db: Database, schema: str) -> dict[str, int]:
    """Rows per table of one service schema (to prove that a refused request wrote nothing)."""
    async with db.sessionmaker() as session:
        tables = (await session.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = :s ORDER BY tablename"), {"s": schema})).scalars()
        counts = {}
        for table in tables:
            # names come from pg_tables of our own schema, quoted as identifiers
            query = text(f'SELECT count(*) FROM "{schema}"."{table}"')
            counts[table] = int((await session.execute(query)).scalar_one())
        return counts


ALL_SERVICES: tuple[str, ...] = SERVICES


async def audit_records(db: Database) -> list[Any]:
    """Scoring's audit chain, oldest first."""
    async with db.sessionmaker() as session:
        return list(await session.scalars(select(common.audit).order_by(common.audit.id)))


async def execute(db: Database, *statements: Any) -> None:
    """Run `statements` in one committed transaction, as a person with database access would."""
    async with db.sessionmaker() as session:
        for statement in statements:
            await session.execute(statement)
        await session.commit()
