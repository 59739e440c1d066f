"""Regression (soak): ranking's RSS grew through a whole 10-minute soak. Every ORM flush of n new rows is one
multi-row INSERT whose SQL text depends on n; each text is prepared and cached per connection, so every batch size
ever flushed stayed in memory (in the service and in PostgreSQL). Inserts are now paged by `INSERT_PAGE_ROWS`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, MetaData, String, Table, insert, text

from services.common.db import INSERT_PAGE_ROWS, create_engine

ITEMS = Table("soak_item", MetaData(), Column("id", BigInteger, primary_key=True, autoincrement=True),
              Column("name", String(50)))


async def test_batches_of_every_size_leave_a_bounded_set_of_prepared_inserts(fresh_database: Any) -> None:
    engine = create_engine(fresh_database(migrate=False), pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(ITEMS.metadata.create_all)
        async with engine.connect() as conn:
            for size in range(1, 61):  # every batch size from 1 to 60 rows, as ranking's recomputes produce
                rows = [{"name": f"{size}-{i}"} for i in range(size)]
                ids = (await conn.execute(insert(ITEMS).returning(ITEMS.c.id), rows)).scalars().all()
                assert len(ids) == size
            await conn.commit()
            prepared = (await conn.execute(text(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'INSERT INTO soak_item%'"))).scalar()
            total = (await conn.execute(text("SELECT count(*) FROM soak_item"))).scalar()
    finally:
        await engine.dispose()
    assert INSERT_PAGE_ROWS == 16
    assert total == 60 * 61 // 2  # 1 + 2 + ... + 60 rows, none lost to the paging
    # pages of 16 rows: the only batch sizes ever sent are 1..16, one statement each (60 without the paging)
    assert prepared == 16
