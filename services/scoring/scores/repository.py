"""All SQL of the scores context: fact copies, score versions, due periods."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Text, cast, delete, func, select, text
from sqlalchemy.dialects.postgresql import aggregate_order_by, insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db import copy_records, driver_connection
from services.scoring.periods.models import Period
from services.scoring.scores.compute import Newest
from services.scoring.scores.models import NEXT_SEQ, FactCopy, PendingCause, ScoreVersion

CHUNK = 2000


async def upsert_facts(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> bool:
    """Insert or replace fact copies (a correction keeps the fact's id); a row whose revision is
    older than the stored one is ignored. True when at least one row was written."""
    written = False
    for start in range(0, len(rows), CHUNK):
        new = insert(FactCopy).values(list(rows[start:start + CHUNK]))
        stmt = new.on_conflict_do_update(
            index_elements=["period_id", "fact_id"],
            set_={"subject_id": new.excluded.subject_id, "indicator": new.excluded.indicator,
                  "body": new.excluded.body, "revision": new.excluded.revision,
                  "retracted": new.excluded.retracted, "updated_at": new.excluded.updated_at,
                  "seq": NEXT_SEQ},
            where=FactCopy.revision <= new.excluded.revision,
        ).returning(FactCopy.fact_id)
        written = (await session.execute(stmt)).first() is not None or written
    return written


# the stored revision of each of a list of (period_id, fact_id): one statement whatever their number
_REVISIONS = ("SELECT c.period_id, c.fact_id, c.revision FROM scoring.fact_copy c "
              "JOIN unnest(CAST(:period_ids AS text[]), CAST(:fact_ids AS text[])) AS k(period_id, fact_id) "
              "ON c.period_id = k.period_id AND c.fact_id = k.fact_id")


async def fact_revisions(session: AsyncSession, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """The stored revision of each `(period_id, fact_id)` of `keys` that has a fact copy."""
    pairs = list(keys)
    if not pairs:
        return {}
    rows = await session.execute(text(_REVISIONS), {"period_ids": [p for p, _ in pairs],
                                                    "fact_ids": [f for _, f in pairs]})
    return {(period_id, fact_id): revision for period_id, fact_id, revision in rows}


async def delete_all_facts(session: AsyncSession, period_id: str) -> None:
    await session.execute(delete(FactCopy).where(FactCopy.period_id == period_id))


async def add_pending_causes(session: AsyncSession, rows: Sequence[dict[str, str]]) -> None:
    """Note what changed which subject's facts (`{period_id, subject_id, cause}` each), for the next recompute."""
    for start in range(0, len(rows), CHUNK):
        await session.execute(insert(PendingCause).values(list(rows[start:start + CHUNK])))


async def take_pending_causes(session: AsyncSession, period_id: str) -> dict[str, list[str]]:
    """The causes noted for each subject of the period since its last recompute, in the order they were applied,
    each once; they are deleted (the recompute that takes them names them)."""
    taken = await session.execute(delete(PendingCause).where(PendingCause.period_id == period_id)
                                  .returning(PendingCause.id, PendingCause.subject_id, PendingCause.cause))
    by_subject: dict[str, dict[str, None]] = {}
    for _id, subject_id, cause in sorted(taken.all()):
        by_subject.setdefault(subject_id, {})[cause] = None
    return {subject_id: list(causes) for subject_id, causes in by_subject.items()}


async def fact_owners(session: AsyncSession, period_id: str, fact_ids: Collection[str]
                      ) -> dict[str, tuple[str | None, str | None]]:
    """The subject and indicator of each of `fact_ids` the period holds a copy of (retracted ones too)."""
    if not fact_ids:
        return {}
    rows = await session.execute(select(FactCopy.fact_id, FactCopy.subject_id, FactCopy.indicator).where(
        FactCopy.period_id == period_id, FactCopy.fact_id.in_(sorted(set(fact_ids)))))
    return {fact_id: (subject_id, indicator) for fact_id, subject_id, indicator in rows.all()}


async def fact_bodies(session: AsyncSession, period_id: str) -> list[dict[str, Any]]:
    """Every fact copy of a period, aggregated to one JSON text by Postgres (one parse, not one per row)."""
    stmt = select(cast(func.json_agg(FactCopy.body), Text)).where(
        FactCopy.period_id == period_id, FactCopy.retracted.is_(False))
    found: list[dict[str, Any]] = parse_json(await session.scalar(stmt) or "[]")
    return found


# One part of a period's live fact bodies, by seq (a constant text: asyncpg runs it on the session's
# connection, inside its transaction, while the previous part is parsed).
_LIVE_FACTS_IN_SEQ_RANGE = ("SELECT CAST(json_agg(body) AS text) FROM scoring.fact_copy "
                            "WHERE period_id = $1 AND NOT retracted AND seq > $2 AND seq <= $3")
LOAD_PARTS, LOAD_PART_MIN_SEQS = 8, 8000


async def fact_seq_range(session: AsyncSession, period_id: str) -> tuple[int, int] | None:
    """(lowest, highest) seq of the period's fact copies, retracted ones included; None without any."""
    stmt = select(func.min(FactCopy.seq), func.max(FactCopy.seq)).where(FactCopy.period_id == period_id)
    low, high = (await session.execute(stmt)).one()
    return None if low is None else (int(low), int(high))


async def load_fact_bodies(session: AsyncSession, period_id: str, seqs: tuple[int, int] | None,
                           consume: Callable[[list[dict[str, Any]]], None]) -> None:
    """Every live fact copy of a period (`seqs` = fact_seq_range), handed to `consume` in up to
    LOAD_PARTS parts split by seq: PostgreSQL aggregates the next part while this process parses the
    current one and `consume` takes it (the parts together are fact_bodies, in another order).

    Only with the period's row lock held (a recompute): the parts are separate statements, and the
    lock keeps every writer of the period's fact copies out between them.
    """
    if seqs is None:
        return
    low, high = seqs
    parts = LOAD_PARTS if high - low >= LOAD_PART_MIN_SEQS else 1
    bounds = [low - 1 + (high - low + 1) * k // parts for k in range(parts)] + [high]
    raw = await driver_connection(session)

    def fetch(k: int) -> asyncio.Future[Any]:
        query: Awaitable[Any] = raw.fetchval(_LIVE_FACTS_IN_SEQ_RANGE, period_id, bounds[k], bounds[k + 1])
        return asyncio.ensure_future(query)

    pending = fetch(0)
    try:
        for k in range(parts):
            text = await pending
            if k + 1 < parts:
                pending = fetch(k + 1)
                await asyncio.sleep(0)  # the task sends its query (a cached statement: no round trip first)
            consume(parse_json(text or "[]"))
    finally:
        if not pending.done():  # consume failed: let the query in flight finish before the rollback
            with contextlib.suppress(Exception):
                await pending


def parse_json(text: str) -> Any:
    """The JSON text PostgreSQL aggregated, parsed with `json` (orjson turns integers beyond 64 bits into
    floats)."""
    return json.loads(text)


async def facts_since(session: AsyncSession, period_id: str, seq: int) -> list[tuple[str, bool, int, Any]]:
    """(fact id, retracted, seq, body) of the fact copies written after `seq`, in seq order, as one JSON text."""
    row = func.json_build_array(FactCopy.fact_id, FactCopy.retracted, FactCopy.seq, FactCopy.body)
    stmt = select(cast(func.json_agg(aggregate_order_by(row, FactCopy.seq)), Text)).where(
        FactCopy.period_id == period_id, FactCopy.seq > seq)
    found: list[Any] = json.loads(await session.scalar(stmt) or "[]")
    return [(str(fid), bool(retracted), int(n), body) for fid, retracted, n, body in found]


async def values_since(session: AsyncSession, period_id: str, seq: int) -> list[tuple[str, str, str, str, int]]:
    """(subject, indicator, value as text, explanation, seq) of the score versions written after `seq`, in seq
    order."""
    stmt = (select(ScoreVersion.subject_id, ScoreVersion.indicator, cast(ScoreVersion.value, Text),
                   ScoreVersion.explain, ScoreVersion.seq)
            .where(ScoreVersion.period_id == period_id, ScoreVersion.seq > seq).order_by(ScoreVersion.seq))
    return [(sid, ind, value, explain, int(n)) for sid, ind, value, explain, n in await session.execute(stmt)]


async def subjects_changed_since(session: AsyncSession, period_id: str, score_set: int) -> list[str]:
    """Subjects with a version in a score set after `score_set`.

    Through the (period_id, seq) index, without one on score_set: a period's versions are written by
    transactions holding the period's row lock, each with the next score set and seqs drawn after the
    previous one committed, so within a period seq grows with score_set. The versions after
    `score_set` are then those above the highest seq of a version at or below it, found by reading that
    index backwards from the newest version (as many rows as the delta, plus one)."""
    boundary = (select(ScoreVersion.seq)
                .where(ScoreVersion.period_id == period_id, ScoreVersion.score_set <= score_set)
                .order_by(ScoreVersion.seq.desc()).limit(1).scalar_subquery())
    stmt = select(ScoreVersion.subject_id).where(
        ScoreVersion.period_id == period_id, ScoreVersion.seq > func.coalesce(boundary, 0),
        ScoreVersion.score_set > score_set).distinct()
    return list(await session.scalars(stmt))


async def max_value_seq(session: AsyncSession, period_id: str) -> int:
    stmt = select(func.max(ScoreVersion.seq)).where(ScoreVersion.period_id == period_id)
    return int(await session.scalar(stmt) or 0)


def _newest_ids(period_id: str, subject_ids: Sequence[str] | None = None) -> Any:
    """The id of the newest version of every (subject, indicator) of a period."""
    stmt = select(func.max(ScoreVersion.id)).where(ScoreVersion.period_id == period_id)
    if subject_ids is not None:
        stmt = stmt.where(ScoreVersion.subject_id.in_(subject_ids))
    return stmt.group_by(ScoreVersion.subject_id, ScoreVersion.indicator)


async def latest_versions(session: AsyncSession, period_id: str, subject_ids: Sequence[str] | None = None,
                          ) -> list[ScoreVersion]:
    """The newest version of every (subject, indicator) of a period."""
    stmt = select(ScoreVersion).where(ScoreVersion.id.in_(_newest_ids(period_id, subject_ids)))
    return list(await session.scalars(stmt.order_by(ScoreVersion.subject_id, ScoreVersion.indicator)))


async def latest_values(session: AsyncSession, period_id: str) -> dict[tuple[str, str], Newest]:
    """(subject, indicator) → newest value as exact text and its explanation, aggregated to one JSON text by
    Postgres."""
    pair = ScoreVersion.subject_id + "\x1f" + ScoreVersion.indicator
    newest = func.json_build_array(cast(ScoreVersion.value, Text), ScoreVersion.explain)
    stmt = select(cast(func.json_object_agg(pair, newest), Text)).where(ScoreVersion.id.in_(_newest_ids(period_id)))
    raw: dict[str, list[str]] = json.loads(await session.scalar(stmt) or "{}")
    return {tuple(key.split("\x1f", 1)): Newest(value, explain)  # type: ignore[misc]
            for key, (value, explain) in raw.items()}


VERSION_COLUMNS = ("period_id", "subject_id", "indicator", "value", "fact_ids", "explain", "cause", "score_set",
                   "inputs_sha256", "created_at")


def fact_ids_json(fact_ids: list[str]) -> str:
    """The `fact_ids` column's JSON text (JSONB keeps the value, not the text: orjson's compact
    form is stored as the json module's spaced one was)."""
    try:
        return orjson.dumps(fact_ids).decode()
    except TypeError:  # orjson.JSONEncodeError (a lone surrogate…): the json module's text, as before
        return json.dumps(fact_ids)


async def insert_versions(session: AsyncSession, records: Iterable[tuple[Any, ...]]) -> None:
    """Bulk insert with COPY (a first recompute writes every value of every subject).

    `records` are tuples in VERSION_COLUMNS order (`fact_ids` as JSON text, fact_ids_json). They
    may come from a generator: asyncpg encodes them as they come and sends each 512 kB to
    PostgreSQL, which ingests one part while the next is produced. Nothing is sent without a record.
    """
    items = iter(records)
    first = next(items, None)
    if first is None:
        return
    await copy_records(session, ScoreVersion.__table__, VERSION_COLUMNS, itertools.chain((first,), items))


async def history(session: AsyncSession, period_id: str, subject_id: str, indicator: str,
                  as_of: datetime | None = None) -> list[ScoreVersion]:
    stmt = select(ScoreVersion).where(ScoreVersion.period_id == period_id, ScoreVersion.subject_id == subject_id,
                                      ScoreVersion.indicator == indicator)
    if as_of is not None:
        stmt = stmt.where(ScoreVersion.created_at <= as_of)
    return list(await session.scalars(stmt.order_by(ScoreVersion.id)))


async def claim_due_period(session: AsyncSession, quiet_before: datetime) -> Period | None:
    """One period whose last fact change is older than the quiet time, locked (other instances skip it)."""
    stmt = (select(Period).where(Period.recompute_due_at.is_not(None), Period.recompute_due_at <= quiet_before)
            .order_by(Period.recompute_due_at).limit(1).with_for_update(skip_locked=True))
    return await session.scalar(stmt)
