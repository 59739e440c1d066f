"""A score version names an existing period: checked once per statement by a trigger (scoring_0006), with the
foreign key's error (SQLSTATE 23503), for COPY and INSERT alike, and a period named by versions keeps its id."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from services.scoring.scores import repository as repo

NOW = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)


def _version(period_id: str, subject: str) -> tuple[Any, ...]:
    return (period_id, subject, "total", Decimal("1.5"), "[]", "x", "user:t", 1, "ab" * 32, NOW)


def _sqlstate(error: BaseException) -> str:
    """The SQLSTATE of asyncpg's error, raised as is (COPY on the raw connection) or wrapped by SQLAlchemy."""
    orig = error.orig if isinstance(error, DBAPIError) else error
    return str(getattr(orig, "sqlstate", None) or getattr(getattr(orig, "__cause__", None), "sqlstate", ""))


async def test_versions_of_a_known_period_go_in_and_an_unknown_one_fails_the_statement(
        period: httpx.AsyncClient) -> None:
    from tests.scoring.conftest import app_db

    async with app_db().sessionmaker() as session:
        await repo.insert_versions(session, [_version("q1", "p1"), _version("q1", "p2")])
        count = await session.scalar(text("SELECT count(*) FROM scoring.score_version WHERE period_id = 'q1'"))
        assert count == 2
        with pytest.raises(Exception) as copied:  # asyncpg's own error (COPY runs on the raw connection)
            # one unknown period among known ones fails the whole COPY
            async with session.begin_nested():
                await repo.insert_versions(session, [_version("q1", "p1"), _version("nope", "p1")])
        assert _sqlstate(copied.value) == "23503" and "nope" in str(copied.value)
        with pytest.raises(DBAPIError) as inserted:  # a plain INSERT is checked the same way
            async with session.begin_nested():
                await session.execute(text(
                    "INSERT INTO scoring.score_version (period_id, subject_id, indicator, value, fact_ids, explain, "
                    "cause, score_set, inputs_sha256) VALUES ('gone', 'p1', 'total', 1, '[]', '', 'c', 1, '')"))
        assert _sqlstate(inserted.value) == "23503"
        count = await session.scalar(text("SELECT count(*) FROM scoring.score_version"))
        assert count == 2  # nothing of the failed statements stayed


async def test_a_period_named_by_score_versions_keeps_its_id_and_its_row(period: httpx.AsyncClient) -> None:
    from tests.scoring.conftest import app_db

    async with app_db().sessionmaker() as session:
        await repo.insert_versions(session, [_version("q1", "p1")])
        await session.execute(text("UPDATE scoring.period SET label = label WHERE id = 'q1'"))  # not the id: fine
        # the period's other rows go: only the versions name it now
        await session.execute(text("DELETE FROM scoring.fact_copy WHERE period_id = 'q1'"))
        await session.execute(text("DELETE FROM scoring.period_subject WHERE period_id = 'q1'"))
        for statement in ("UPDATE scoring.period SET id = 'q9' WHERE id = 'q1'",
                          "DELETE FROM scoring.period WHERE id = 'q1'"):
            with pytest.raises(DBAPIError) as refused:
                async with session.begin_nested():
                    await session.execute(text(statement))
            assert _sqlstate(refused.value) == "23503" and "score_version" in str(refused.value)
        savepoint = await session.begin_nested()  # without its versions the period may go
        await session.execute(text("DELETE FROM scoring.score_version WHERE period_id = 'q1'"))
        gone = await session.execute(text("DELETE FROM scoring.period WHERE id = 'q1'"))
        assert gone.rowcount == 1  # type: ignore[attr-defined]
        await savepoint.rollback()
