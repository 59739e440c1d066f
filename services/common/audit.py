"""The append-only audit log with its SHA-256 hash chain.

Entries are collected during the transaction (`record`) and sealed just before commit
(`seal`), under a transaction-scoped advisory lock, so the chain is a total order even with
several instances of a service writing at once, while the lock is held only for the seal.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

import orjson
from sqlalchemy import delete, event, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from kaohe.i18n import _
from services.common import clock
from services.common.audit_rows import ROW_DELETE, ROW_WRITE, AuditedTable, Progress, RowProblem, verify_rows
from services.common.auth import Principal
from services.common.db import INSERT_PAGE_ROWS, WROTE, Database, copy_records, driver_connection, pending
from services.common.observability import request_id_var
from services.common.tables import AuditRecordMixin, AuditTouchedMixin

GENESIS = "0" * 64
_PENDING = "audit_pending"


def digest(value: Any) -> str | None:
    """SHA-256 of the canonical JSON of a state (None stays None)."""
    if value is None:
        return None
    return hashlib.sha256(canonical(value).encode()).hexdigest()


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


MAX_DETAIL_TEXT = 500  # characters of one person's text an audit record's details keep (its digest covers all)
MAX_DETAIL_JSON = 2000  # characters of canonical JSON a value in the details may take before only its digest is kept


def texts(name: str, values: list[str]) -> dict[str, Any]:
    """People's texts (an appeal's points, its replies) for an audit record's details, bounded: each cut to
    MAX_DETAIL_TEXT characters (`<name>`), their lengths (`<name>_lengths`) and the SHA-256 of the whole list
    (`<name>_sha256`, the digest of the canonical JSON the stored record's texts must give back)."""
    return {name: [v[:MAX_DETAIL_TEXT] for v in values], f"{name}_lengths": [len(v) for v in values],
            f"{name}_sha256": digest(values)}


def bounded_json(value: Any) -> Any:
    """`value` for an audit record's details when its canonical JSON is at most MAX_DETAIL_JSON characters, else
    `{"sha256", "chars"}` of it."""
    text = canonical(value)
    if len(text) <= MAX_DETAIL_JSON:
        return value
    return {"sha256": hashlib.sha256(text.encode()).hexdigest(), "chars": len(text)}


@dataclass(frozen=True)
class AuditEntry:
    actor: str
    action: str
    entity_type: str
    entity_id: str
    before_digest: str | None
    after_digest: str | None
    details: dict[str, Any]


def record(
    session: AsyncSession,
    *,
    actor: Principal | str,
    action: str,
    entity_type: str,
    entity_id: str,
    before: Any = None,
    after: Any = None,
    details: dict[str, Any] | None = None,
    before_digest: str | None = None,
    after_digest: str | None = None,
) -> None:
    """Queue an audit record for this transaction; it is chained when the transaction commits.

    A caller that already holds `digest(before)` or `digest(after)` may pass it instead of the state."""
    name = actor.subject if isinstance(actor, Principal) else actor
    behalf = actor.acting_for() if isinstance(actor, Principal) else {}
    pending(session, _PENDING).append(AuditEntry(
        name, action, entity_type, str(entity_id),
        digest(before) if before is not None else before_digest,
        digest(after) if after is not None else after_digest, {**(details or {}), **behalf},
    ))


_HASHED = ("actor", "action", "entity_type", "entity_id", "before_digest", "after_digest", "details", "request_id")


def link_hash(prev_hash: str, row: AuditRecordMixin | dict[str, Any]) -> str:
    """The hash of one record: its content and the previous record's hash."""
    fields: dict[str, Any] = row if isinstance(row, dict) else {k: getattr(row, k) for k in (*_HASHED, "recorded_at")}
    content = canonical({
        "recorded_at": fields["recorded_at"].astimezone(UTC).isoformat(),
        **{key: fields[key] for key in _HASHED},
    })
    return hashlib.sha256((prev_hash + content).encode()).hexdigest()


_SHA256 = hashlib.sha256
_DUMPS = orjson.dumps
_SORTED = orjson.OPT_SORT_KEYS


def fast_link_hash(prev_hash: str, fields: Any, details: Any) -> str | None:
    """`link_hash` through orjson: the same bytes for text, integers, booleans, nulls, lists
    and objects with text keys (a test compares them); None when orjson refuses a value. Callers that cannot be
    sure of the values (floats) compare with `link_hash` before they call a record broken."""
    try:
        content = _DUMPS({
            "recorded_at": fields["recorded_at"].astimezone(UTC).isoformat(), "actor": fields["actor"],
            "action": fields["action"], "entity_type": fields["entity_type"], "entity_id": fields["entity_id"],
            "before_digest": fields["before_digest"], "after_digest": fields["after_digest"], "details": details,
            "request_id": fields["request_id"]}, option=_SORTED)
    except TypeError:
        return None
    return _SHA256(prev_hash.encode() + content).hexdigest()


def lock_key(schema: str) -> int:
    """The advisory lock that orders one schema's seals."""
    return int.from_bytes(hashlib.sha256(f"kaohe-audit-{schema}".encode()).digest()[:8], "big", signed=True)


def row_entries(touched: Iterable[Any], actor: str) -> list[AuditEntry]:
    """One record per row noted by the triggers (`(id, table_name, row_key, row_digest)`), its last state in the
    transaction; in the order of the notes."""
    last: dict[tuple[str, str], Any] = {}
    for note in sorted(touched, key=lambda n: n[0]):
        last.pop((note[1], note[2]), None)  # re-inserted: keeps the order of the last write
        last[(note[1], note[2])] = note
    return [AuditEntry(actor, ROW_DELETE if note[3] is None else ROW_WRITE, note[1], note[2], None, note[3], {})
            for note in last.values()]


def chain_records(entries: list[AuditEntry], prev: str, now: Any, request_id: str | None) -> list[dict[str, Any]]:
    """The sealed rows of `entries`, chained after `prev`."""
    rows: list[dict[str, Any]] = []
    for entry in entries:
        row: dict[str, Any] = {"recorded_at": now, "request_id": request_id, "prev_hash": prev, **entry.__dict__}
        fast = _plain(entry.details) and fast_link_hash(prev, row, entry.details)
        row["hash"] = prev = fast or link_hash(prev, row)
        rows.append(row)
    return rows


_EMPTY: dict[str, Any] = {}


def _plain(value: Any) -> bool:
    """Only text, integers, booleans, nulls, lists and text-keyed objects: values `fast_link_hash` writes as `canonical`
    does (a float, a datetime or a Decimal is written otherwise: those details take `link_hash`)."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return True
    if kind is dict:
        return all(type(key) is str and _plain(item) for key, item in value.items())
    return kind is list and all(_plain(item) for item in value)


def chain_sealer(model: type[AuditRecordMixin], schema: str,
                 touched: type[AuditTouchedMixin] | None = None) -> Callable[[AsyncSession], Any]:
    """A before-commit hook that chains this transaction's audit entries and the audited rows it wrote."""
    key = lock_key(schema)

    async def seal(session: AsyncSession) -> None:
        entries: list[AuditEntry] = session.info.pop(_PENDING, [])
        if session.info.pop(WROTE, False) and touched is not None:
            notes = (await session.execute(
                delete(touched).where(touched.tx == text("txid_current_if_assigned()"))
                .returning(touched.id, touched.table_name, touched.row_key, touched.row_digest))).all()
            if notes:
                entries = [*entries, *row_entries(notes, entries[0].actor if entries else "system")]
        if not entries:
            return
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
        last = await session.scalar(select(model.hash).order_by(model.id.desc()).limit(1))
        rows = chain_records(entries, last or GENESIS, clock.now(), request_id_var.get())
        if len(rows) > COPY_ABOVE:
            await _copy(session, model, rows)
        else:  # a few records (the usual case): one multi-row INSERT (no ORM objects)
            await session.execute(insert(model), rows)
        session.info.pop(WROTE, None)  # the seal's own writes touch no audited table

    return seal


# Above this many records a seal writes them with COPY (a ranking recompute may audit hundreds of result
# versions: the multi-row INSERT goes out in pages of INSERT_PAGE_ROWS, one round trip each).
COPY_ABOVE = INSERT_PAGE_ROWS


async def _copy(session: AsyncSession, model: type[AuditRecordMixin], rows: list[dict[str, Any]]) -> None:
    """COPY the sealed rows in chain order (the id sequence numbers them in that order, as the INSERT did); the
    details get the JSON text SQLAlchemy's JSONB binding would have sent (json.dumps)."""
    columns = tuple(rows[0])  # every sealed row has the same keys: the columns the INSERT would write
    records = [tuple(json.dumps(row[c]) if c == "details" else row[c] for c in columns) for row in rows]
    await copy_records(session, model.__table__, columns, records)  # type: ignore[attr-defined]


def install_audit(db: Database, model: type[AuditRecordMixin], touched: type[AuditTouchedMixin] | None = None) -> None:
    """Seal the audit chain in every transaction of this database."""
    db.before_commit.append(chain_sealer(model, db.schema, touched))


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _flush: UOWTransaction) -> None:
    session.info[WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if not state.is_select:
        state.session.info[WROTE] = True


@dataclass
class ChainReport:
    ok: bool
    records: int
    first_broken_id: int | None = None
    reason: str | None = None
    head_id: int | None = None  # the last record checked and its hash (the chain's head when it holds)
    head_hash: str | None = None
    rows: int = 0  # live rows checked
    tables: dict[str, int] = field(default_factory=dict)
    row_problems: list[RowProblem] = field(default_factory=list)
    row_problem_count: int = 0
    unsealed: int = 0  # notes of row writes no service sealed (a direct write with the triggers on)
    unsealed_rows: list[tuple[str, str]] = field(default_factory=list)  # their (table, key), first UNSEALED_NAMED
    unsealed_row_count: int = 0  # how many rows those writes touched
    checkpoint: str | None = None  # why the chain does not hold against a checkpoint's head (None: it does)
    # scoring's fact copies and causes that no audited change of evidence vouches for (services/common/provenance.py
    # ProvenanceProblem), at most provenance.LIMIT, and how many in all
    provenance: list[Any] = field(default_factory=list)
    provenance_count: int = 0

    def add_provenance(self, problems: list[Any], limit: int) -> None:
        """Scoring's provenance problems: named (at most `limit`), counted, and the report no longer ok."""
        self.provenance, self.provenance_count = problems[:limit], len(problems)
        self.ok = self.ok and not problems

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "records": self.records,
                "first_broken_id": self.first_broken_id, "reason": self.reason,
                "head": {"id": self.head_id, "hash": self.head_hash}, "rows": self.rows, "tables": self.tables,
                "row_problems": [p.to_json() for p in self.row_problems], "row_problem_count": self.row_problem_count,
                "unsealed": self.unsealed,
                "unsealed_rows": [{"table": table, "key": key} for table, key in self.unsealed_rows],
                "unsealed_row_count": self.unsealed_row_count,
                "checkpoint": self.checkpoint,
                "provenance": [p.to_json() for p in self.provenance], "provenance_count": self.provenance_count}


UNSEALED_NAMED = 20  # rows named by a report's unsealed writes (the count says how many writes in all)
CHAIN_CHUNK = 50_000  # records per COPY: what the verifier holds of the chain at once, besides the socket's bytes
# recorded_at as PostgreSQL's ISO text of the UTC time ("2026-12-07 08:00:01.5"), turned into what Python's
# isoformat() writes by `_iso`; prev_hash is read only for a record that does not hold
_CHAIN_COLUMNS = ("id, (recorded_at AT TIME ZONE 'UTC')::text, actor, action, entity_type, entity_id, before_digest, "
                  "after_digest, details::text, request_id, hash")
_LINK_BROKEN = _("link to the previous record is broken (a record before it was deleted, inserted or altered)")
_ALTERED = _("content does not match its hash (the record was altered)")
_NULL = "\\N"  # COPY's text format: a NULL
_COPY_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_ESCAPED = re.compile(r"\\(.)", re.S)


def _iso(stamp: str) -> str:
    """PostgreSQL's ISO text of a UTC timestamp as Python's isoformat() of the aware time: "T", six fraction digits
    when there is a fraction, "+00:00". A stamp it gets wrong costs only speed: `_broken` checks with `link_hash`."""
    seconds, _, fraction = stamp.partition(".")
    return seconds.replace(" ", "T", 1) + ("." + fraction.ljust(6, "0") if fraction else "") + "+00:00"


def _copy_fields(line: str) -> list[Any]:
    """One row of COPY's text format: fields split at tabs, NULL as None, backslash escapes undone (a tab, newline
    or backslash in a value arrives escaped, so the raw tabs and newlines are only separators)."""
    return [None if f == _NULL else _ESCAPED.sub(lambda m: _COPY_ESCAPES.get(m[1], m[1]), f)
            for f in line.split("\t")]


@dataclass(frozen=True)
class Head:
    """A chain's head: how many records it holds (`sequence`), the last one's id and hash."""

    sequence: int
    id: int | None
    hash: str

    def to_json(self) -> dict[str, Any]:
        return {"sequence": self.sequence, "id": self.id, "hash": self.hash}


def head_of(value: Any, where: str) -> Head:
    """A head as JSON keeps it (`{sequence, id, hash}`: a checkpoint's, a snapshot's, ranking's stored ones);
    ValueError naming `where` otherwise."""
    sequence = value.get("sequence") if isinstance(value, dict) else None
    if not isinstance(sequence, int) or isinstance(sequence, bool) or not isinstance(value.get("hash"), str):
        raise ValueError(where)
    return Head(sequence, value.get("id"), value["hash"])


# Ranking keeps the heads of the three chains with every 公示 (publication) and 审定 (period_snapshot), in rows its
# own chain vouches for: outside evidence's and scoring's chains, so a cut or a rewrite of either is caught there.
KEPT_HEADS_SQL = ("SELECT chain_heads::text AS heads FROM ranking.publication WHERE chain_heads IS NOT NULL "
                  "UNION SELECT chain_heads::text FROM ranking.period_snapshot WHERE chain_heads IS NOT NULL")


async def kept_heads(conn: Any) -> dict[str, list[Head]]:
    """The chain heads ranking stored with every 公示 and 审定, by service (an asyncpg connection to ranking's
    database): what `kaohe audit verify` and the gateway's `verifyAuditChain` hold evidence's and scoring's chains
    to. ValueError naming a stored value that is not a head."""
    found: dict[str, list[Head]] = {}
    for row in await conn.fetch(KEPT_HEADS_SQL):
        for name, value in json.loads(row["heads"]).items():
            found.setdefault(name, []).append(head_of(value, f"ranking's kept chain_heads.{name}"))
    return found


async def chain_head(conn: Any, schema: str) -> Head:
    """The head of a schema's chain, in one statement (one snapshot): records are numbered in seal order under the
    seal's lock, so the committed records are always a prefix of the chain."""
    row = await conn.fetchrow(
        f'SELECT count(*) AS n, max(id) AS id, (SELECT hash FROM "{schema}".audit_record '  # noqa: S608 - our schema
        f'ORDER BY id DESC LIMIT 1) AS hash FROM "{schema}".audit_record')
    return Head(int(row["n"]), row["id"], row["hash"] or GENESIS)


async def check_chain(conn: Any, schema: str, progress: Progress | None = None,
                      expect: Iterable[Head] = ()) -> ChainReport:
    """Recompute a schema's chain on an asyncpg connection (inside a transaction), streaming it in id order with
    COPY, CHAIN_CHUNK records a statement; name the first record whose link or content does not hold, and, given
    heads kept outside (a signed checkpoint's, a snapshot's), whether the chain still holds each at its place."""
    expected = {head.sequence: head for head in expect}
    report = await _check_chain(conn, schema, progress, expected)
    longest = max(expected, default=0)
    if report.ok and report.checkpoint is None and report.records < longest:
        report.checkpoint = _("the chain holds %(records)s records, fewer than the %(longest)s of a head kept "
                              "outside it: records were cut from its end (truncated)", records=report.records,
                              longest=longest)
    report.ok = report.ok and report.checkpoint is None
    return report


class _Chunk:
    """Hashes the records of one COPY as its bytes arrive (the server sends the next while this process hashes).

    Each record is checked against the previous record's stored hash, so a record the fast encoding does not
    reproduce is only noted (`suspects`, at most one chunk's) and checked with the reference once the COPY is
    over, when the connection is free again."""

    def __init__(self, prev: str, count: int, head_id: str | None, expected: dict[int, Head],
                 differs: str | None) -> None:
        self.prev, self.count, self.head_id, self.expected, self.differs = prev, count, head_id, expected, differs
        self.rows, self.rest = 0, b""  # head_id: the last record's id as COPY wrote it
        self.suspects: list[tuple[int, int, str, int | None]] = []  # (id, number, previous hash, previous id)
        self.stamp, self.iso = "", ""  # the last recorded_at and its isoformat (a seal's records share one)

    async def feed(self, data: bytes) -> None:
        lines = (self.rest + data).split(b"\n")
        self.rest = lines.pop()
        loads, dumps, sha256, expected, null = orjson.loads, orjson.dumps, hashlib.sha256, self.expected, _NULL
        prev, count, head_id, stamp, iso = self.prev, self.count, self.head_id, self.stamp, self.iso
        for raw in lines:
            line = raw.decode()
            if line.count("\\") != line.count(null):  # an escaped character somewhere: the careful split
                (id_text, recorded_at, actor, action, entity_type, entity_id, before, after, details_text,
                 request_id, hash_) = _copy_fields(line)
            else:
                (id_text, recorded_at, actor, action, entity_type, entity_id, before, after, details_text,
                 request_id, hash_) = line.split("\t")
                before = None if before == null else before  # the nullable columns
                after = None if after == null else after
                request_id = None if request_id == null else request_id
            count += 1
            if recorded_at != stamp:
                stamp, iso = recorded_at, _iso(recorded_at)
            try:  # fast_link_hash, inlined (the loop runs a million times)
                details = _EMPTY if details_text == "{}" else loads(details_text)
                content = dumps({
                    "recorded_at": iso, "actor": actor, "action": action, "entity_type": entity_type,
                    "entity_id": entity_id, "before_digest": before, "after_digest": after, "details": details,
                    "request_id": request_id}, option=_SORTED)
                fast = sha256(prev.encode() + content).hexdigest()
            except (TypeError, ValueError):
                fast = None
            if fast != hash_:
                self.suspects.append((int(id_text), count, prev, int(head_id) if head_id is not None else None))
            prev, head_id = hash_, id_text
            if count in expected and hash_ != expected[count].hash and self.differs is None:
                self.differs = _("record %(id)s (number %(count)s of the chain) has hash %(here)s… here and "
                                 "%(kept)s… in a head kept outside: the chain was rewritten up to it (a fork)",
                                 id=id_text, count=count, here=hash_[:16], kept=expected[count].hash[:16])
        self.rows += count - self.count
        self.prev, self.count, self.head_id, self.stamp, self.iso = prev, count, head_id, stamp, iso


async def _check_chain(conn: Any, schema: str, progress: Progress | None, expected: dict[int, Head]) -> ChainReport:
    if 0 in expected and expected[0].hash != GENESIS:
        return ChainReport(False, 0, checkpoint=_("a head of the empty chain that is not the genesis hash"))
    await conn.execute("SET LOCAL DateStyle = 'ISO, YMD'")  # the text of recorded_at that _iso reads
    query = (f'SELECT {_CHAIN_COLUMNS} FROM "{schema}".audit_record WHERE id > $1 '  # noqa: S608 - our schema
             f"ORDER BY id LIMIT {CHAIN_CHUNK}")
    chunk = _Chunk(GENESIS, 0, None, expected, None)
    after = -(2 ** 63)
    while True:
        chunk = _Chunk(chunk.prev, chunk.count, chunk.head_id, expected, chunk.differs)
        await conn.copy_from_query(query, after, output=chunk.feed)
        if chunk.rest:
            raise RuntimeError("COPY ended inside a row")  # never: PostgreSQL ends every row with a newline
        for record_id, number, prev, head_id in chunk.suspects:
            broken = await _broken(conn, schema, record_id, number, prev, head_id)
            if broken is not None:
                return broken
        if progress is not None and chunk.rows:
            progress("audit_record", chunk.rows)
        if chunk.rows < CHAIN_CHUNK:
            break
        after = int(chunk.head_id or after)
    head_id = int(chunk.head_id) if chunk.head_id is not None else None
    return ChainReport(True, chunk.count, head_id=head_id, head_hash=chunk.prev if head_id is not None else None,
                       checkpoint=chunk.differs)


async def _broken(conn: Any, schema: str, record_id: int, count: int, prev: str,
                  head_id: int | None) -> ChainReport | None:
    """A record whose hash the fast path did not reproduce: a broken link, altered content, or a value only the
    reference encoding writes the same (floats)."""
    row = await conn.fetchrow(f'SELECT * FROM "{schema}".audit_record WHERE id = $1', record_id)  # noqa: S608
    if row["prev_hash"] != prev:
        return ChainReport(False, count, record_id, _LINK_BROKEN, head_id, prev)
    details = json.loads(row["details"]) if isinstance(row["details"], str) else row["details"]
    if link_hash(prev, {**dict(row.items()), "details": details}) != row["hash"]:
        return ChainReport(False, count, record_id, _ALTERED, head_id, prev)
    return None


async def verify_service(conn: Any, schema: str, tables: Iterable[AuditedTable], *,
                         progress: Progress | None = None, limit: int = 1000, rows_conn: Any = None,
                         expect: Iterable[Head] = ()) -> ChainReport:
    """The chain, then every live row of the audited tables against it, in one snapshot (repeatable read, read
    only). `conn` is an asyncpg connection outside any transaction; with a second one (`rows_conn`), PostgreSQL
    compares the rows in the same snapshot while this process recomputes the chain."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        await _utc(conn)
        if rows_conn is None:
            chain = await check_chain(conn, schema, progress, expect)
            rows = await verify_rows(conn, schema, tables, limit=limit, progress=progress)
        else:
            snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
            async with rows_conn.transaction(isolation="repeatable_read", readonly=True):
                await rows_conn.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")  # the server's own identifier
                await _utc(rows_conn)
                chain, rows = await asyncio.gather(check_chain(conn, schema, progress, expect),
                                                   verify_rows(rows_conn, schema, tables, limit=limit,
                                                               progress=progress))
        return await _combine(conn, schema, chain, rows)


async def _utc(conn: Any) -> None:
    await conn.execute("SET LOCAL TimeZone = 'UTC'")  # the digests' timestamps, as the triggers write them
    await conn.execute("SET LOCAL extra_float_digits = 1")


async def _combine(conn: Any, schema: str, report: ChainReport, rows: Any) -> ChainReport:
    report.tables, report.rows = rows.tables, rows.rows
    report.row_problems, report.row_problem_count = rows.problems, rows.problem_count
    report.unsealed = int(await conn.fetchval(f'SELECT count(*) FROM "{schema}".audit_touched'))  # noqa: S608
    if report.unsealed:  # which rows were written: the table and key of each, in the order first written
        named = await conn.fetch(
            f'SELECT table_name, row_key, count(*) OVER () AS rows FROM "{schema}".audit_touched '  # noqa: S608
            "GROUP BY table_name, row_key ORDER BY min(id) LIMIT $1", UNSEALED_NAMED)
        report.unsealed_rows = [(row["table_name"], row["row_key"]) for row in named]
        report.unsealed_row_count = int(named[0]["rows"])
    report.ok = report.ok and not rows.problem_count and not report.unsealed
    return report


async def _verify_in_transaction(conn: Any, schema: str, tables: Iterable[AuditedTable], progress: Progress | None,
                                 limit: int, expect: Iterable[Head] = ()) -> ChainReport:
    await _utc(conn)
    chain = await check_chain(conn, schema, progress, expect)
    rows = await verify_rows(conn, schema, tables, limit=limit, progress=progress)
    return await _combine(conn, schema, chain, rows)


async def verify_chain(session: AsyncSession, model: type[AuditRecordMixin],
                       tables: Iterable[AuditedTable] = (), expect: Iterable[Head] = ()) -> ChainReport:
    """`verify_service` on a connection of its own from the session's engine (a service's `/v1/audit/verify`), the
    chain held to the heads `expect` kept outside it; a session bound to one connection (a test's) is verified
    inside its transaction."""
    schema = model.__table__.schema  # type: ignore[attr-defined]
    if isinstance(session.bind, AsyncEngine):
        async with session.bind.connect() as first, session.bind.connect() as second:
            raw = [(await c.get_raw_connection()).driver_connection for c in (first, second)]
            return await verify_service(raw[0], schema, tables, rows_conn=raw[1], expect=expect)
    return await _verify_in_transaction(await driver_connection(session), schema, tables, None, 1000, expect)


def seal_migration(connection: Any, schema: str, actor: str, tables: Iterable[AuditedTable] = ()) -> int:
    """In a migration (a synchronous connection, inside its transaction): note every row of `tables` as written
    (a baseline: after the triggers are installed, or after a change of an audited table's columns changes the
    digest of its rows), then seal every note of this transaction into the chain, as a service's commit does.
    Returns the number of records written."""
    from sqlalchemy import column, table

    from services.common.audit_rows import TOUCHED, baseline_sql

    connection.execute(text("SET LOCAL TimeZone = 'UTC'"))
    connection.execute(text("SET LOCAL extra_float_digits = 1"))
    for audited in tables:
        connection.execute(text(baseline_sql(schema, audited)))
    notes = connection.execute(text(
        f'DELETE FROM "{schema}".{TOUCHED} WHERE tx = txid_current_if_assigned() '  # noqa: S608 - our schema
        "RETURNING id, table_name, row_key, row_digest")).all()
    entries = row_entries(notes, actor)
    if not entries:
        return 0
    connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key(schema)})
    last = connection.scalar(text(f'SELECT hash FROM "{schema}".audit_record ORDER BY id DESC LIMIT 1'))  # noqa: S608
    rows = chain_records(entries, last or GENESIS, clock.now(), None)
    from sqlalchemy.dialects.postgresql import JSONB

    target = table("audit_record", *(column(c) for c in rows[0] if c != "details"), column("details", JSONB),
                   schema=schema)
    for start in range(0, len(rows), 1000):
        connection.execute(insert(target), rows[start:start + 1000])
    return len(rows)
