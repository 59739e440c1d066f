"""The Alembic environment shared by the three histories (async, schema-scoped)."""

from __future__ import annotations

import asyncio
import importlib
from typing import Any

from alembic import context
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from services.common.settings import get_settings, normalize_database_url


def _include_object(schema: str) -> Any:
    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ == "table":
            return bool(obj.schema == schema)
        return True

    return include


def _include_name(schema: str) -> Any:
    def include(name: str | None, type_: str, parent_names: Any) -> bool:
        if type_ == "schema":
            return name == schema
        return True

    return include


def _configure(connection: Connection, service: str, metadata: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table_schema=service,
        include_schemas=True,
        include_object=_include_object(service),
        include_name=_include_name(service),
        compare_type=True,
    )


def _migrate(connection: Connection, service: str, metadata: Any) -> None:
    connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{service}"'))
    _configure(connection, service, metadata)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str, service: str, metadata: Any) -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_migrate, service, metadata)
    finally:
        await engine.dispose()


def run(service: str) -> None:
    """Entry point of `migrations/<service>/env.py`."""
    metadata = importlib.import_module(f"services.{service}.models").Base.metadata
    config = context.config
    url = config.attributes.get("url") or get_settings().service_database_url(service)  # type: ignore[arg-type]
    if url is None:
        raise RuntimeError("no database URL: set KAOHE_DATABASE_URL")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, version_table_schema=service,
                          include_schemas=True, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_async(normalize_database_url(url), service, metadata))
