"""Database access shared by the services: one async engine per service, the request-scoped
session that commits at the boundary, and the declarative metadata of each service schema."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import MetaData, Select, func, literal, select
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


def pending(session: AsyncSession, key: str) -> list[Any]:
    """A per-transaction list kept on the session (audit entries, outbox wake-ups…)."""
    items: list[Any] = session.info.setdefault(key, [])
    return items


async def locked_row(session: AsyncSession, stmt: Select[Any], name: str) -> Any:
    """The one row `stmt` (a SELECT … FOR UPDATE) finds, locked, or None. A row not written yet has nothing to lock:
    then the transaction-scoped advisory lock of `name` (the row's key, prefixed by its table) is taken and the row
    looked for again, so concurrent first writers of the same row wait for each other and the later one finds the
    row the earlier committed, instead of failing on the unique constraint."""
    found = (await session.scalars(stmt)).first()
    if found is None:
        await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(literal(name), literal(0)))))
        found = (await session.scalars(stmt)).first()
    return found
