"""All SQL about subject results."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import BigInteger, ColumnElement, Table, any_, bindparam, false, func, or_, select, text, true, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from services.common.audit_rows import CURRENT_RESULTS
from services.common.auth import Principal
from services.common.db import copy_records
from services.ranking.access import OFFICE_READERS, PUBLIC_READERS, own_unit_scopes
from services.ranking.periods.models import PublicationEntry, RankedPeriod
from services.ranking.results.models import SubjectResult


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _within(scopes: Sequence[str]) -> list[ColumnElement[bool]]:
    unit = SubjectResult.unit_path
    clauses: list[ColumnElement[bool]] = []
    for scope in scopes:
        clauses += [unit == scope, unit.like(_escape_like(scope) + "/%", escape="\\")]
    return clauses


def office_visible(principal: Principal) -> ColumnElement[bool]:
    """The SQL form of `access.can_read_current`: the office roles' subtrees."""
    scopes = principal.scopes_for(*OFFICE_READERS)
    if "" in scopes:
        return true()
    clauses = _within(scopes)
    return or_(*clauses) if clauses else false()


def published_visible(principal: Principal) -> ColumnElement[bool]:
    """The SQL form of `access.can_read_published`: the office's rows, a unit head's subtree, the subject's own."""
    scopes = principal.scopes_for(*OFFICE_READERS, *PUBLIC_READERS)
    if "" in scopes:
        return true()
    clauses = _within(scopes) + [SubjectResult.unit_path == scope for scope in own_unit_scopes(principal)]
    if principal.subject_ids:
        clauses.append(SubjectResult.subject_id.in_(principal.subject_ids))
    return or_(*clauses) if clauses else false()


async def current(session: AsyncSession, period_id: str) -> list[SubjectResult]:
    """Every current result of a period, in table order."""
    rows = await session.scalars(
        select(SubjectResult)
        .where(SubjectResult.period_id == period_id, SubjectResult.is_current)
        .order_by(SubjectResult.position)
    )
    return list(rows)


async def latest_versions(session: AsyncSession, period_id: str,
                          subject_ids: Sequence[str] | None = None) -> dict[str, int]:
    """The highest version of each subject (or of the named ones) ever stored in the period (current or not)."""
    stmt = select(SubjectResult.subject_id, func.max(SubjectResult.version)).where(
        SubjectResult.period_id == period_id)
    if subject_ids is not None:
        stmt = stmt.where(SubjectResult.subject_id.in_(list(subject_ids)))
    rows = await session.execute(stmt.group_by(SubjectResult.subject_id))
    return {subject_id: version for subject_id, version in rows}


@dataclass(frozen=True)
class CurrentDigest:
    """What `store` compares of a current result, without its document."""

    id: int
    digest: str
    unit_path: str
    position: int
    version: int


async def current_digests(session: AsyncSession, period_id: str) -> dict[str, CurrentDigest]:
    """subject → its current result's id, digest, unit path, position and version."""
    rows = await session.execute(
        select(SubjectResult.subject_id, SubjectResult.id, SubjectResult.document_sha256, SubjectResult.unit_path,
               SubjectResult.position, SubjectResult.version)
        .where(SubjectResult.period_id == period_id, SubjectResult.is_current)
        .order_by(SubjectResult.position)
    )
    return {sid: CurrentDigest(rid, digest, unit_path, position, version)
            for sid, rid, digest, unit_path, position, version in rows}


async def by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, SubjectResult]:
    if not ids:
        return {}
    rows = await session.scalars(select(SubjectResult).where(SubjectResult.id.in_(list(ids))))
    return {row.id: row for row in rows}


async def set_positions(session: AsyncSession, moves: Sequence[dict[str, int]]) -> None:
    """Bulk UPDATE of table positions by primary key ([{"id": …, "position": …}])."""
    if moves:
        await session.execute(update(SubjectResult), list(moves))


async def page(
    session: AsyncSession, period_id: str, principal: Principal, *, group: str | None, offset: int, limit: int
) -> tuple[int, list[SubjectResult]]:
    """One page of the current results the office roles see, in table order, and their count."""
    where: list[Any] = [SubjectResult.period_id == period_id, SubjectResult.is_current, office_visible(principal)]
    if group is not None:
        where.append(SubjectResult.group == group)
    total = await session.scalar(select(func.count()).select_from(SubjectResult).where(*where))
    rows = await session.scalars(
        select(SubjectResult).where(*where).order_by(SubjectResult.position).offset(offset).limit(limit)
    )
    return int(total or 0), list(rows)


def _published(publication_id: int) -> Any:
    """The result versions a publication shows, in its order."""
    return (select(SubjectResult).join(PublicationEntry, PublicationEntry.result_id == SubjectResult.id)
            .where(PublicationEntry.publication_id == publication_id))


async def published_page(
    session: AsyncSession, publication_id: int, principal: Principal, *, group: str | None, offset: int, limit: int
) -> tuple[int, list[SubjectResult]]:
    """One page of what a publication shows to the caller, in its order, and the count."""
    where: list[Any] = [published_visible(principal)] + ([SubjectResult.group == group] if group is not None else [])
    query = _published(publication_id).where(*where)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(query.order_by(PublicationEntry.position).offset(offset).limit(limit))
    return int(total or 0), list(rows)


async def published_rows(session: AsyncSession, publication_id: int, principal: Principal) -> list[SubjectResult]:
    """Every row of a publication the caller may see, in its order (the publication list)."""
    rows = await session.scalars(_published(publication_id).where(published_visible(principal))
                                 .order_by(PublicationEntry.position))
    return list(rows)


async def published_of(session: AsyncSession, publication_id: int, subject_ids: Sequence[str]) -> list[SubjectResult]:
    """The result versions a publication shows for the named subjects (absent ones are missing)."""
    rows = await session.scalars(_published(publication_id).where(PublicationEntry.subject_id.in_(list(subject_ids)))
                                 .order_by(PublicationEntry.position))
    return list(rows)


async def visible_current(session: AsyncSession, period_id: str, principal: Principal) -> list[SubjectResult]:
    """Every current result the office roles see, in table order (the ranking export)."""
    rows = await session.scalars(
        select(SubjectResult)
        .where(SubjectResult.period_id == period_id, SubjectResult.is_current, office_visible(principal))
        .order_by(SubjectResult.position)
    )
    return list(rows)


async def current_of(session: AsyncSession, period_id: str, subject_ids: Sequence[str]) -> list[SubjectResult]:
    """The current results of the named subjects (absent ones are simply missing)."""
    rows = await session.scalars(
        select(SubjectResult)
        .where(SubjectResult.period_id == period_id, SubjectResult.is_current,
               SubjectResult.subject_id.in_(list(subject_ids)))
        .order_by(SubjectResult.position)
    )
    return list(rows)


async def history(session: AsyncSession, period_id: str, subject_id: str) -> list[SubjectResult]:
    """Every version of one subject's result, oldest first."""
    rows = await session.scalars(
        select(SubjectResult)
        .where(SubjectResult.period_id == period_id, SubjectResult.subject_id == subject_id)
        .order_by(SubjectResult.version)
    )
    return list(rows)


def add(session: AsyncSession, result: SubjectResult) -> None:
    session.add(result)


async def retire(session: AsyncSession, ids: Sequence[int]) -> None:
    """Mark results as no longer current (a newer version replaces them, or the subject left).

    One statement whatever the count (`id = ANY($1)` with an array): an `IN (…)` list was a
    different SQL text, prepared again, for every number of ids."""
    if ids:
        param = bindparam("ids", list(ids), type_=ARRAY(BigInteger))
        await session.execute(update(SubjectResult).where(SubjectResult.id == any_(param)).values(is_current=False)
                              .execution_options(synchronize_session=False))


async def vouch_current(session: AsyncSession, period: RankedPeriod) -> None:
    """Set the period's digest of its current results and table order (CURRENT_RESULTS), once they are written:
    the result versions' own digests leave `is_current` and `position` out."""
    value = await session.scalar(
        text(f'UPDATE "ranking".ranked_period r SET current_sha256 = {CURRENT_RESULTS.sql} '  # noqa: S608 - our SQL
             "WHERE r.id = :id RETURNING r.current_sha256"), {"id": period.id})
    set_committed_value(period, "current_sha256", value)


# The columns a new result version is written with (created_at takes its default, now(), as an INSERT's would).
ROW_COLUMNS = ("id", "period_id", "subject_id", "version", "is_current", "name", "group", "unit_path", "attributes",
               "position", "rank", "total", "grade", "document", "document_sha256", "inputs_sha256", "cause")
_JSONB = frozenset({"attributes", "document", "cause"})


def _json(row: dict[str, Any], column: str) -> str | None:
    given = row.get("document_json") if column == "document" else None
    if given is not None:
        return str(given)
    return None if row.get(column) is None else json.dumps(row[column])  # no cause: SQL NULL


async def insert_rows(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Bulk insert of new result versions with COPY; subject → new row id.

    The ids are taken from the table's sequence first (one `nextval … FROM generate_series`),
    so the rows go in with one COPY whatever their number. The JSONB columns get JSON text: the
    row's `document_json` when the caller has the document's canonical JSON already (same value,
    so the same JSONB), else json.dumps as SQLAlchemy's binding would have written."""
    if not rows:
        return {}
    table = cast(Table, SubjectResult.__table__)
    ids = list(await session.scalars(
        text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
        {"table": f"{table.schema}.{table.name}", "n": len(rows)}))
    records = [
        (rid, *(_json(row, c) if c in _JSONB else row[c] for c in ROW_COLUMNS[1:]))
        for rid, row in zip(ids, rows, strict=True)
    ]
    await copy_records(session, table, ROW_COLUMNS, records)
    return {str(row["subject_id"]): int(rid) for rid, row in zip(ids, rows, strict=True)}


async def publication_rows(session: AsyncSession, publication_id: int) -> list[SubjectResult]:
    """Every row a publication shows, in its order: the public 公示 (its columns are chosen by the caller)."""
    rows = await session.scalars(_published(publication_id).order_by(PublicationEntry.position))
    return list(rows)


async def scores_of(session: AsyncSession, ids: Sequence[int]) -> dict[int, tuple[Any, Any]]:
    """result id → (its document's total, its document's scores) for the named versions (what a new version is
    compared with to tell a subject whose scores moved from one only ranked again)."""
    if not ids:
        return {}
    param = bindparam("ids", list(ids), type_=ARRAY(BigInteger))
    rows = await session.execute(select(SubjectResult.id, SubjectResult.document["total"],
                                        SubjectResult.document["scores"]).where(SubjectResult.id == any_(param)))
    return {rid: (total, scores) for rid, total, scores in rows}
