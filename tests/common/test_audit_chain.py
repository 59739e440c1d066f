"""The audit chain: sealed at commit, verified, and tampering detected at the first broken link."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, update

from services.common import audit
from services.common.audit import GENESIS, install_audit, link_hash, verify_chain
from services.common.db import driver_connection, session_scope
from services.evidence.models import common

Audit = common.audit


async def _write(db: Any, count: int = 3) -> None:
    install_audit(db, Audit)
    for n in range(count):
        async for session in session_scope(db):
            audit.record(session, actor="alice", action="submission.create", entity_type="submission",
                         entity_id=f"s{n}", after={"n": n})


async def _ids(db: Any) -> list[int]:
    async with db.sessionmaker() as session:
        return list(await session.scalars(select(Audit.id).order_by(Audit.id)))


async def test_records_are_chained_and_verify(service_db: Any) -> None:
    db = await service_db("evidence")
    await _write(db)
    async with db.sessionmaker() as session:
        rows = list(await session.scalars(select(Audit).order_by(Audit.id)))
        report = await verify_chain(session, Audit)
    assert [r.entity_id for r in rows] == ["s0", "s1", "s2"]
    assert rows[0].prev_hash == GENESIS
    assert rows[1].prev_hash == rows[0].hash and rows[2].prev_hash == rows[1].hash
    assert rows[2].hash == link_hash(rows[1].hash, rows[2])
    assert report.ok and report.records == 3


async def test_an_altered_record_is_named(service_db: Any) -> None:
    db = await service_db("evidence")
    await _write(db)
    ids = await _ids(db)
    async with db.sessionmaker() as session:
        await session.execute(update(Audit).where(Audit.id == ids[1]).values(actor="mallory"))
        report = await verify_chain(session, Audit)
    assert not report.ok and report.first_broken_id == ids[1]
    assert "altered" in (report.reason or "")


async def test_a_deleted_record_is_named_by_its_successor(service_db: Any) -> None:
    db = await service_db("evidence")
    await _write(db)
    ids = await _ids(db)
    async with db.sessionmaker() as session:
        await session.execute(delete(Audit).where(Audit.id == ids[1]))
        report = await verify_chain(session, Audit)
    assert not report.ok and report.first_broken_id == ids[2]


async def test_an_inserted_record_is_named_by_its_successor(service_db: Any) -> None:
    db = await service_db("evidence")
    await _write(db)
    ids = await _ids(db)
    async with db.sessionmaker() as session:
        await session.execute(update(Audit).values(id=Audit.id * 10))  # make room between records
        first = await session.scalar(select(Audit).where(Audit.id == ids[0] * 10))
        forged = {c: getattr(first, c) for c in ("recorded_at", "actor", "action", "entity_type", "entity_id",
                                                  "before_digest", "after_digest", "details", "request_id")}
        forged.update(entity_id="forged", prev_hash=first.hash)
        forged["hash"] = link_hash(first.hash, forged)  # a well-formed link to the first record
        await session.execute(insert(Audit).values(id=ids[0] * 10 + 5, **forged))
        report = await verify_chain(session, Audit)
    assert not report.ok and report.first_broken_id == ids[1] * 10
    assert "link" in (report.reason or "")


async def test_a_seal_of_many_records_is_copied_in_chain_order_and_verifies(service_db: Any) -> None:
    db = await service_db("evidence")
    install_audit(db, Audit)
    assert audit.COPY_ABOVE == 16  # 40 records in one transaction take the COPY path, 2 the INSERT path
    async for session in session_scope(db):
        for n in range(40):
            audit.record(session, actor="系统", action="result.changed", entity_type="subject_result",
                         entity_id=f"p1/s{n:02d}", before_digest="a" * 64, after_digest=f"{n:064d}",
                         details={"version": n + 2, "原因": "重算"})
    async for session in session_scope(db):
        for n in range(2):
            audit.record(session, actor="alice", action="submission.create", entity_type="submission",
                         entity_id=f"s{n}", after={"n": n})
    async with db.sessionmaker() as session:
        rows = list(await session.scalars(select(Audit).order_by(Audit.id)))
        report = await verify_chain(session, Audit)
    assert report.ok and report.records == 42
    assert [r.entity_id for r in rows] == [f"p1/s{n:02d}" for n in range(40)] + ["s0", "s1"]
    assert [r.details for r in rows[:3]] == [{"version": 2, "原因": "重算"}, {"version": 3, "原因": "重算"},
                                            {"version": 4, "原因": "重算"}]
    assert (rows[39].actor, rows[39].before_digest, rows[39].after_digest) == ("系统", "a" * 64, f"{39:064d}")
    assert rows[0].prev_hash == GENESIS and rows[40].prev_hash == rows[39].hash
    assert all(rows[i].prev_hash == rows[i - 1].hash for i in range(1, 42))
    assert len({r.recorded_at for r in rows[:40]}) == 1  # one seal, one time
    # the copied rows are checked like any other: altering one is named
    async with db.sessionmaker() as session:
        await session.execute(update(Audit).where(Audit.id == rows[20].id).values(details={"version": 99}))
        altered = await verify_chain(session, Audit)
    assert not altered.ok and altered.first_broken_id == rows[20].id


def test_the_fast_link_hash_writes_the_reference_bytes() -> None:
    """orjson's canonical JSON equals json.dumps(sort_keys, ensure_ascii=False) for text (control characters, CJK,
    astral characters), integers, booleans, nulls, lists and objects; a value orjson refuses gives None."""
    from datetime import UTC, datetime

    from services.common.audit import fast_link_hash

    texts = ["", "审定\u0000\u001f\u007f\u2028\U0001f600\"\\\n\t", "a" * 300]
    for n, value in enumerate(texts):
        fields = {"recorded_at": datetime(2026, 12, 7, 1, 2, 3, n * 7, tzinfo=UTC), "actor": value, "action": "x",
                  "entity_type": value, "entity_id": str(n), "before_digest": None, "after_digest": "f" * 64,
                  "details": {"b": [1, True, None, value], "a": {"z": 2**40, "y": value}}, "request_id": value or None}
        assert fast_link_hash(GENESIS, fields, fields["details"]) == link_hash(GENESIS, fields)
    fields["details"] = {"big": 2**70}
    assert fast_link_hash(GENESIS, fields, fields["details"]) is None


def test_a_seal_hashes_every_record_as_the_reference_does_whatever_its_details() -> None:
    """chain_records takes orjson's path for plain details only: a float, a datetime or a Decimal in the details
    (which orjson writes otherwise than json.dumps(default=str), or refuses) still gets the reference bytes."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from services.common.audit import AuditEntry, chain_records

    at = datetime(2026, 12, 8, 1, 2, 3, 456789, tzinfo=UTC)
    details = [{}, {"version": 2}, {"scores_moved": ["甲", "乙"], "own": True, "cause": None}, {"ratio": 0.1},
               {"at": at}, {"total": Decimal("92.50")}, {"big": 2**70}, {"nested": {"k": [1, {"x": 1e16}]}}]
    entries = [AuditEntry("user:甲", "result.changed", "subject_result", f"p/{n}", None, "a" * 64, d)
               for n, d in enumerate(details)]
    rows = chain_records(entries, GENESIS, at, "req")
    prev = GENESIS
    for row in rows:
        assert row["prev_hash"] == prev and row["hash"] == link_hash(prev, row)
        prev = row["hash"]


async def test_the_chain_is_verified_on_its_fast_path_at_any_fraction_of_a_second(service_db: Any,
                                                                                 monkeypatch: Any) -> None:
    """PostgreSQL's text of recorded_at ("2026-12-07 01:02:03.5") is read as Python's isoformat() writes it
    ("2026-12-07T01:02:03.500000+00:00"): whole seconds, trailing zeros, one microsecond, a year boundary; no
    record falls back to the slow reference check."""
    from datetime import UTC, datetime

    times = iter([datetime(2026, 12, 7, 1, 2, 3, tzinfo=UTC), datetime(2026, 12, 7, 1, 2, 3, 500000, tzinfo=UTC),
                  datetime(2026, 12, 7, 1, 2, 3, 1, tzinfo=UTC), datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
                  datetime(2027, 1, 1, 0, 0, 0, 120000, tzinfo=UTC)])
    monkeypatch.setattr(audit.clock, "now", lambda: next(times))
    db = await service_db("evidence")
    await _write(db, 5)

    async def slow(*_args: Any) -> None:
        raise AssertionError("a record was checked on the slow path")

    monkeypatch.setattr(audit, "_broken", slow)
    async with db.sessionmaker() as session:
        stamps = [r.isoformat() for r in await session.scalars(select(Audit.recorded_at).order_by(Audit.id))]
        report = await verify_chain(session, Audit)
    assert stamps == ["2026-12-07T01:02:03+00:00", "2026-12-07T01:02:03.500000+00:00",
                      "2026-12-07T01:02:03.000001+00:00", "2026-12-31T23:59:59.999999+00:00",
                      "2027-01-01T00:00:00.120000+00:00"]
    assert report.ok and report.records == 5


async def test_values_copy_escapes_verify_and_a_tab_for_a_backslash_t_is_caught(service_db: Any,
                                                                                monkeypatch: Any) -> None:
    """The chain is read with COPY, whose text format escapes tabs, newlines and backslashes and writes NULL as
    \\N: values holding them (and floats and integers past 64 bits, which only the reference encoding writes the
    same) verify; a real tab put where the record held a backslash and a "t" is named, though COPY writes the new
    value as the old one's characters."""
    db = await service_db("evidence")
    install_audit(db, Audit)
    tricky = ["a\tb", "line\nnext\r", "back\\slash", "\\N", "\\\\N", "\\t", "\b\f\v\x01", "审定\\n"]
    async for session in session_scope(db):
        for n, value in enumerate(tricky):
            audit.record(session, actor=value, action="submission.create", entity_type="submission",
                         entity_id=value, after={"text": value, "n": n}, details={"note": value, "tab": "\t"})
        audit.record(session, actor="alice", action="x", entity_type="t", entity_id="floats",
                     details={"share": 0.1, "big": 2**70})
        audit.record(session, actor="\\t", action="x", entity_type="t", entity_id="plain")  # its one backslash
    slow: list[int] = []
    reference = audit._broken

    async def counted(conn: Any, schema: str, record_id: int, *rest: Any) -> Any:
        slow.append(record_id)
        return await reference(conn, schema, record_id, *rest)

    monkeypatch.setattr(audit, "_broken", counted)
    async with db.sessionmaker() as session:
        report = await verify_chain(session, Audit)
        floats = await session.scalar(select(Audit.id).where(Audit.entity_id == "floats"))
        assert report.ok and report.records == len(tricky) + 2
        assert slow == [floats]  # every escaped value was read right on the fast path
        literal = await session.scalar(select(Audit.id).where(Audit.entity_id == "plain"))
        await session.execute(update(Audit).where(Audit.id == literal).values(actor="\t"))
        altered = await verify_chain(session, Audit)
    assert not altered.ok and altered.first_broken_id == literal
    assert "altered" in (altered.reason or "")


async def test_a_chain_read_in_several_copies_holds_and_names_a_break_in_a_later_one(service_db: Any,
                                                                                   monkeypatch: Any) -> None:
    """Two records per COPY: five records are three statements, progress counts 2, 2, 1, the head is the last
    record; a record deleted in the second statement is named by its successor in the third."""
    monkeypatch.setattr(audit, "CHAIN_CHUNK", 2)
    db = await service_db("evidence")
    await _write(db, 5)
    ids = await _ids(db)
    seen: list[tuple[str, int]] = []
    async with db.sessionmaker() as session:
        conn = await driver_connection(session)
        await audit._utc(conn)
        report = await audit.check_chain(conn, "evidence", lambda table, count: seen.append((table, count)))
        last = await session.scalar(select(Audit.hash).where(Audit.id == ids[4]))
        assert (report.ok, report.records, report.head_id, report.head_hash) == (True, 5, ids[4], last)
        assert seen == [("audit_record", 2), ("audit_record", 2), ("audit_record", 1)]
        await session.execute(delete(Audit).where(Audit.id == ids[3]))
        broken = await verify_chain(session, Audit)
    assert (broken.ok, broken.first_broken_id, broken.records) == (False, ids[4], 4)
