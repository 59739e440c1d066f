"""Database access shared by the services: one async engine per service, the request-scoped
session that commits at the boundary, and the declarative metadata of each service schema."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import MetaData, Select, func, literal, select, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import types as sa_types
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Hooks run inside the transaction just before commit (the audit chain is sealed there),
# and after a successful commit (e.g. waking the outbox relay).
BeforeCommit = Callable[[AsyncSession], Awaitable[None]]
AfterCommit = Callable[[AsyncSession], None]


def service_metadata(schema: str) -> MetaData:
    """The metadata of one service: every table lives in the service's own schema."""
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


# Rows per multi-row INSERT (SQLAlchemy's "insertmanyvalues", used by every ORM flush of new rows). Each batch size
# is a different SQL text, prepared and cached per connection (up to 100 statements each): with the default of
# 1000, a flush of 1..N rows added a statement of N rows for every N seen, and ranking's RSS grew through a whole
# soak. With pages of 16 a table has at most 16 such statements per connection, each small.
INSERT_PAGE_ROWS = 16


def create_engine(url: str, *, pool_size: int = 10, application_name: str = "kaohe") -> AsyncEngine:
    """An asyncpg engine that survives a database restart (pre-ping, recycled connections)."""
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_recycle=1800,
        insertmanyvalues_page_size=INSERT_PAGE_ROWS,
        connect_args={"server_settings": {"application_name": application_name}, "timeout": 10},
    )


class Database:
    """A service's engine and session factory, plus the commit hooks of its cross-cutting rules."""

    def __init__(self, engine: AsyncEngine, schema: str) -> None:
        self.engine = engine
        self.schema = schema
        self.sessionmaker: async_sessionmaker[AsyncSession] = async_sessionmaker(
            engine, expire_on_commit=False
        )
        self.before_commit: list[BeforeCommit] = []
        self.after_commit: list[AfterCommit] = []

    async def commit(self, session: AsyncSession) -> None:
        """Seal the transaction (hooks, then commit) and run the after-commit hooks.

        Pending ORM changes are flushed first: the audit seal must see every row the transaction wrote (a change
        left for the commit's own flush would be written after the seal, its row digest never chained)."""
        await session.flush()
        for hook in self.before_commit:
            await hook(session)
        await session.commit()
        for after in self.after_commit:
            after(session)

    async def dispose(self) -> None:
        await self.engine.dispose()


async def session_scope(db: Database) -> AsyncGenerator[AsyncSession, None]:
    """One unit of work: commit when the block succeeds, roll back when it raises."""
    async with db.sessionmaker() as session:
        try:
            yield session
            await db.commit(session)
        except BaseException:
            await session.rollback()
            raise


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """FastAPI dependency: the request's session, committed at the request boundary."""
    db: Database = request.app.state.db
    # aclosing: on an error the unit of work rolls back here, within the request, instead of when
    # the event loop finalizes the abandoned generator later (on the connection's next user's turn)
    async with contextlib.aclosing(session_scope(db)) as scope:
        async for session in scope:
            session.info["request"] = request
            yield session


# scope="function": commit before the response is sent, so a client that got 2xx reads its own
# write at once (the default "request" scope commits only after the response has gone out).
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def driver_connection(session: AsyncSession) -> Any:
    """The asyncpg connection under the session, inside its transaction: for COPY and pipelined reads."""
    connection = await session.connection()
    raw = (await connection.get_raw_connection()).driver_connection
    assert raw is not None
    return raw


# Set on a session's info when its transaction may have written rows (flush, DML, COPY): the audit seal then looks
# for the audited rows it wrote (services/common/audit_rows.py).
WROTE = "wrote_rows"


async def copy_records(session: AsyncSession, table: Any, columns: Sequence[str], records: Any) -> None:
    """COPY `records` (tuples in `columns` order, a list or any iterable) into a table, in the session's
    transaction. JSONB columns take JSON text."""
    session.info[WROTE] = True
    raw = await driver_connection(session)
    await raw.copy_records_to_table(table.name, schema_name=table.schema, columns=list(columns), records=records)


_UNSET = object()


def _bound(column_type: Any, values: list[Any], dialect: Any) -> list[Any]:
    """Python values as a statement binds them for COPY or an array parameter: a TypeDecorator's own conversion
    first, then JSON as its text (None as JSON null, as the ORM writes it, unless the type says `none_as_null`)."""
    if isinstance(column_type, sa_types.TypeDecorator):
        values = [column_type.process_bind_param(v, dialect) for v in values]
        column_type = column_type.impl_instance
    if isinstance(column_type, sa_types.JSON):
        null = None if column_type.none_as_null else "null"
        return [null if v is None else json.dumps(v) for v in values]
    return values


async def copy_objects(session: AsyncSession, objects: Sequence[Any]) -> None:
    """INSERT new ORM objects of one mapped class with COPY (a bulk upload's thousands of rows: a flush sends them
    in pages of INSERT_PAGE_ROWS), with the values a flush would write: each column an object sets, a column's
    Python-side scalar default where it left it unset, and else the database's (a numbered key, a server default):
    one COPY per set of columns so left, in the order of the objects' first appearance. Each value is bound as a
    flush binds it (`_bound`). The objects stay outside the session."""
    if not objects:
        return
    mapper = sa_inspect(type(objects[0]))
    table = mapper.local_table
    attributes = [(a.key, a.columns[0]) for a in mapper.column_attrs]
    defaults = {key: column.default.arg if column.default is not None and column.default.is_scalar else _UNSET
                for key, column in attributes}
    computed = {key for key, column in attributes if column.default is not None and not column.default.is_scalar}
    if any(key not in obj.__dict__ for key in computed for obj in objects):
        raise TypeError(f"{table.name}: set the columns of Python-computed defaults ({', '.join(sorted(computed))})")
    left = {key for key, _column in attributes if defaults[key] is _UNSET}  # to the database where unset
    groups: dict[frozenset[str], list[Any]] = {}  # objects that leave the same columns to the database
    for obj in objects:
        groups.setdefault(frozenset(key for key in left if key not in obj.__dict__), []).append(obj)
    for unset, group in groups.items():
        await _copy_group(session, table, [(k, c) for k, c in attributes if k not in unset], defaults, group)


async def _copy_group(session: AsyncSession, table: Any, attributes: list[tuple[str, Any]],
                      defaults: dict[str, Any], objects: Sequence[Any]) -> None:
    names: list[str] = []
    cells: list[list[Any]] = []  # one list per column, a value per object
    dialect = session.get_bind().dialect
    for key, column in attributes:
        names.append(column.name)
        cells.append(_bound(column.type, [obj.__dict__.get(key, defaults[key]) for obj in objects], dialect))
    records = list(zip(*cells, strict=True))
    await copy_records(session, table, names, records)


async def insert_unnested(session: AsyncSession, table: Any, rows: Sequence[dict[str, Any]], *,
                          conflict: str | None = None, returning: str | None = None) -> list[Any]:
    """INSERT `rows` (dicts with the same keys, column names) as one statement whatever their number: one array
    parameter per column, `INSERT … SELECT FROM unnest(…) WITH ORDINALITY ORDER BY` it, so the rows are numbered
    in their order; `ON CONFLICT (conflict) DO NOTHING` when given; the `returning` column of each row written.
    A multi-row VALUES takes a parameter per cell (at most 32,767 a statement) and compiles anew for each count."""
    if not rows:
        return []
    names = list(rows[0])
    dialect = session.get_bind().dialect
    arrays, params = [], {}
    for index, name in enumerate(names):
        column = table.c[name]
        params[f"p{index}"] = _bound(column.type, [row[name] for row in rows], dialect)
        stored = column.type.impl_instance if isinstance(column.type, sa_types.TypeDecorator) else column.type
        arrays.append(f"CAST(:p{index} AS {stored.compile(dialect=dialect)}[])")
    quoted = ", ".join(f'"{name}"' for name in names)
    sql = (f'INSERT INTO "{table.schema}"."{table.name}" ({quoted}) '  # noqa: S608 - our names, values bound
           f'SELECT {quoted} FROM unnest({", ".join(arrays)}) '
           f'WITH ORDINALITY AS u({quoted}, ordinality) ORDER BY ordinality')
    if conflict is not None:
        sql += f' ON CONFLICT ("{conflict}") DO NOTHING'
    if returning is not None:
        sql += f' RETURNING "{returning}"'
    result = await session.execute(text(sql), params)
    return list(result.scalars().all()) if returning is not None else []


def pending(session: AsyncSession, key: str) -> list[Any]:
    """A per-transaction list kept on the session (audit entries, outbox wake-ups…)."""
    items: list[Any] = session.info.setdefault(key, [])
    return items


async def advisory_lock(session: AsyncSession, name: str) -> None:
    """Wait for the transaction-scoped advisory lock of `name` (a key prefixed by what it guards): writers that
    count rows before adding one (bounds such as "at most N per scope") take it first, so that two at once cannot
    both pass the bound."""
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(literal(name), literal(0)))))


async def locked_row(session: AsyncSession, stmt: Select[Any], name: str) -> Any:
    """The one row `stmt` (a SELECT … FOR UPDATE) finds, locked, or None. A row not written yet has nothing to lock:
    then the transaction-scoped advisory lock of `name` (the row's key, prefixed by its table) is taken and the row
    looked for again, so concurrent first writers of the same row wait for each other and the later one finds the
    row the earlier committed, instead of failing on the unique constraint."""
    found = (await session.scalars(stmt)).first()
    if found is None:
        await advisory_lock(session, name)
        found = (await session.scalars(stmt)).first()
    return found


async def counted_page(session: AsyncSession, entity: Any, where: Sequence[Any], order_by: Sequence[Any], *,
                       offset: int, limit: int) -> tuple[int, list[Any]]:
    """How many rows of `entity` match `where`, and the `limit` of them after `offset` in `order_by` order: a page
    of a list filtered in SQL (scope included), so that its pages are full and its count honest."""
    total = await session.scalar(select(func.count()).select_from(entity).where(*where))
    rows = await session.scalars(select(entity).where(*where).order_by(*order_by).offset(offset).limit(limit))
    return int(total or 0), list(rows)
