"""Signed checkpoints (issue 15): a chain cut below a checkpoint's head, or rewritten consistently up to it (a fork
that verifies on its own), fails `kaohe audit verify --checkpoint`; a changed file or another office's key is
refused; production does not sign without its configured key."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, text, update

from services.common.audit import GENESIS, link_hash
from services.scoring.models import common
from tests.cli_helpers import clean_env, run_kaohe
from tests.conftest import auth, in_thread
from tests.reliability.conftest import audit_records, execute
from tests.reliability.test_audit_tampering import HASHED, committed_scoring

Audit = common.audit
ADMIN = auth(("admin", ""), subject="office")


def kaohe(url: str, data: Path, *args: str, lang: str | None = None, **env: Any) -> Any:
    language = ["--lang", lang] if lang else []
    done = in_thread(run_kaohe, *language, "audit", *args,
                     env=clean_env(KAOHE_DATABASE_URL=url, KAOHE_DATA_DIR=data, **env))
    assert "Traceback" not in done.stderr, done.stderr
    return done


async def _units(client: Any, *slugs: str) -> None:
    for slug in slugs:
        response = await client.post("/v1/units", json={"id": f"u-{slug}", "name": slug, "slug": slug},
                                     headers=ADMIN)
        assert response.status_code == 201, response.text


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path


async def test_a_checkpoint_holds_then_catches_a_cut_chain(fresh_database: Any, folder: Path) -> None:
    url, data = fresh_database(), folder / "data"
    async with committed_scoring(url) as (client, db):
        await _units(client, "a", "b")  # 2 records each (unit.create and the row's): 4
        made = kaohe(url, data, "checkpoint", "--out", str(folder / "cp.json"))
        assert made.returncode == 0, made.stderr
        signed = json.loads((folder / "cp.json").read_text(encoding="utf-8"))
        chain = await audit_records(db)
        assert signed["heads"]["scoring"] == {"sequence": 4, "id": chain[3].id, "hash": chain[3].hash}
        assert signed["heads"]["evidence"] == {"sequence": 0, "id": None, "hash": GENESIS}
        assert (data / "audit-signing-key.pem").stat().st_mode & 0o777 == 0o600

        await _units(client, "c")  # the chain grows past the checkpoint: it still holds
        held = kaohe(url, data, "verify", "--checkpoint", str(folder / "cp.json"))
        assert held.returncode == 0, held.stdout + held.stderr
        lines = held.stdout.splitlines()
        trusted = f", signature holds, key {_fingerprint(signed)} (the trusted key)"
        assert lines[0].startswith("checkpoint: taken ") and lines[0].endswith(trusted)
        assert lines[1:] == ["evidence: ok (0 records, 0 rows in 17 tables; holds the 1 head kept outside)",
                             "scoring: ok (6 records, 3 rows in 9 tables; holds the 1 head kept outside)",
                             "ranking: ok (0 records, 0 rows in 7 tables; holds the 1 head kept outside)"]
        taken = datetime.fromisoformat(signed["created_at"]).astimezone(UTC) + timedelta(hours=8)  # Shanghai
        assert lines[0].startswith(f"checkpoint: taken {taken:%Y-%m-%d %H:%M} (UTC+08:00), signature holds")
        chinese = kaohe(url, data, "verify", "--checkpoint", str(folder / "cp.json"), lang="zh-CN")
        assert chinese.returncode == 0, chinese.stdout + chinese.stderr
        assert chinese.stdout.splitlines() == [  # every line in Chinese, nothing of the English left
            f"检查点：生成于 {taken.year}年{taken.month}月{taken.day}日 {taken:%H:%M}（北京时间），签名有效，"
            f"密钥 {_fingerprint(signed)}（受信任的密钥）",
            "evidence：通过（0 条记录，17 张表共 0 行；与链外保存的 1 个链头一致）",
            "scoring：通过（6 条记录，9 张表共 3 行；与链外保存的 1 个链头一致）",
            "ranking：通过（0 条记录，7 张表共 0 行；与链外保存的 1 个链头一致）"]

        # the last three records cut: a shorter chain, valid on its own, below the checkpoint's head
        await execute(db, delete(Audit).where(Audit.id >= chain[3].id))
        alone = kaohe(url, data, "verify", "--service", "scoring")
        assert alone.stdout.count("BROKEN at record") == 0  # the links alone do not show it
        cut = kaohe(url, data, "verify", "--service", "scoring", "--checkpoint", str(folder / "cp.json"))
        assert cut.returncode == 1
        assert ("scoring: BROKEN: the chain holds 3 records, fewer than the 4 of a head kept outside it: records "
                "were cut from its end (truncated)") in cut.stdout.splitlines()
        chinese = kaohe(url, data, "verify", "--service", "scoring", "--checkpoint", str(folder / "cp.json"),
                        lang="zh-CN")
        assert chinese.returncode == 1
        assert ("scoring：校验不通过：审计链现有 3 条记录，少于链外保存的链头所示的 4 条：链尾的记录已被截去"
                in chinese.stdout.splitlines())
        assert all(line.startswith("scoring：校验不通过：") for line in chinese.stdout.splitlines()[1:])
        await db.dispose()


async def test_verify_shows_progress_on_request_without_a_terminal(fresh_database: Any, folder: Path) -> None:
    """`--progress` writes a line per audited table to stderr (the chain's 4 records are below the first 100,000);
    by default, without a terminal, nothing; stdout is the same either way."""
    url, data = fresh_database(), folder / "data"
    async with committed_scoring(url) as (client, db):
        await _units(client, "a", "b")
        shown = kaohe(url, data, "verify", "--service", "scoring", "--progress")
        quiet = kaohe(url, data, "verify", "--service", "scoring")
        await db.dispose()
    assert shown.returncode == quiet.returncode == 0
    assert shown.stdout == quiet.stdout == "scoring: ok (4 records, 2 rows in 9 tables)\n"
    assert sorted(shown.stderr.splitlines()) == sorted([
        "scoring: unit: 2 rows checked", "scoring: person: 0 rows checked", "scoring: api_key: 0 rows checked",
        "scoring: scheme: 0 rows checked", "scoring: scheme_version: 0 rows checked",
        "scoring: period: 0 rows checked", "scoring: period_subject: 0 rows checked",
        "scoring: score_version: 0 rows checked", "scoring: holiday_arrangement: 0 rows checked"])
    assert quiet.stderr == ""


def test_plain_progress_names_each_hundred_thousand_records_of_the_chain(capsys: Any) -> None:
    from kaohe.audit_cli import _progress

    with _progress("ranking", True) as advance:
        assert advance is not None
        for _batch in range(25):  # 250,000 records in batches of 10,000
            advance("audit_record", 10_000)
        advance("subject_result", 1_234_567)
    assert capsys.readouterr().err.splitlines() == [
        "ranking: audit chain: 100,000 records checked", "ranking: audit chain: 200,000 records checked",
        "ranking: subject_result: 1,234,567 rows checked"]


async def test_a_chain_rewritten_consistently_verifies_alone_but_not_against_the_checkpoint(
        fresh_database: Any, folder: Path) -> None:
    url, data = fresh_database(), folder / "data"
    async with committed_scoring(url) as (client, db):
        await _units(client, "a", "b")
        assert kaohe(url, data, "checkpoint", "--out", str(folder / "cp.json")).returncode == 0
        chain = await audit_records(db)
        # whoever holds the database rewrites who created u-a and re-hashes every record after it: a fork
        prev, rewritten = GENESIS, []
        for record in chain:
            fields = {c: getattr(record, c) for c in HASHED}
            if record.action == "unit.create" and record.entity_id == "u-a":
                fields["actor"] = "mallory"
            fields["hash"] = link_hash(prev, fields)
            rewritten.append(update(Audit).where(Audit.id == record.id).values(
                actor=fields["actor"], prev_hash=prev, hash=fields["hash"]))
            prev = fields["hash"]
        await execute(db, update(Audit).values(hash=func.upper(Audit.hash)), *rewritten)  # unique meanwhile
        alone = kaohe(url, data, "verify", "--service", "scoring")
        assert (alone.returncode, alone.stdout.strip()) == (0, "scoring: ok (4 records, 2 rows in 9 tables)")
        forked = kaohe(url, data, "verify", "--service", "scoring", "--checkpoint", str(folder / "cp.json"))
        assert forked.returncode == 1
        assert forked.stdout.splitlines()[1] == (
            f"scoring: BROKEN: record {chain[3].id} (number 4 of the chain) has hash {prev[:16]}… here and "
            f"{chain[3].hash[:16]}… in a head kept outside: the chain was rewritten up to it (a fork)")
        chinese = kaohe(url, data, "verify", "--service", "scoring", "--checkpoint", str(folder / "cp.json"),
                        lang="zh-CN")
        assert chinese.stdout.splitlines()[1] == (
            f"scoring：校验不通过：记录 {chain[3].id}（链上第 4 条）在此处的哈希为 {prev[:16]}…，"
            f"而链外保存的链头中为 {chain[3].hash[:16]}…：审计链在此之前已被改写（分叉）")
        await db.dispose()


async def test_the_last_records_cut_and_written_again_to_the_same_length_fail_against_the_checkpoint(
        fresh_database: Any, folder: Path) -> None:
    """Whoever holds the database removes u-b (its row and its two records, no trigger firing), then lets the
    service write u-c: the chain is as long as at the checkpoint, every link and row holds, only the head differs."""
    url, data = fresh_database(), folder / "data"
    async with committed_scoring(url) as (client, db):
        await _units(client, "a", "b")  # records 1-2 for u-a, 3-4 for u-b
        assert kaohe(url, data, "checkpoint", "--out", str(folder / "cp.json")).returncode == 0
        before = await audit_records(db)
        await execute(db, text("SET LOCAL session_replication_role = replica"),
                       delete(Audit).where(Audit.id >= before[2].id), text("DELETE FROM scoring.unit WHERE id = 'u-b'"))
        await _units(client, "c")  # records 3-4 again, chained after record 2 by the service itself
        after = await audit_records(db)
        alone = kaohe(url, data, "verify", "--service", "scoring")
        forked = kaohe(url, data, "verify", "--service", "scoring", "--checkpoint", str(folder / "cp.json"))
        await db.dispose()
    assert [r.entity_id for r in after] == ["u-a", "u-a", "u-c", "u-c"]
    assert (alone.returncode, alone.stdout) == (0, "scoring: ok (4 records, 2 rows in 9 tables)\n")
    assert forked.returncode == 1
    assert forked.stdout.splitlines()[1:] == [
        f"scoring: BROKEN: record {after[3].id} (number 4 of the chain) has hash {after[3].hash[:16]}… here and "
        f"{before[3].hash[:16]}… in a head kept outside: the chain was rewritten up to it (a fork)"]


async def test_a_changed_checkpoint_or_another_key_is_refused(fresh_database: Any, folder: Path) -> None:
    url, data = fresh_database(), folder / "data"
    async with committed_scoring(url) as (client, db):
        await _units(client, "a")
        assert kaohe(url, data, "checkpoint", "--out", str(folder / "cp.json")).returncode == 0
        signed = json.loads((folder / "cp.json").read_text(encoding="utf-8"))
        signed["heads"]["scoring"]["sequence"] = 1  # an older head, to hide what came after
        (folder / "changed.json").write_text(json.dumps(signed), encoding="utf-8")
        changed = kaohe(url, data, "verify", "--checkpoint", str(folder / "changed.json"))
        assert (changed.returncode, changed.stderr.strip()) == (1, (
            f"kaohe: checkpoint {folder / 'changed.json'}: the signature does not hold (the file was changed after "
            "it was signed)"))

        other = kaohe(url, folder / "other-office", "checkpoint", "--out", str(folder / "other.json"))
        assert other.returncode == 0, other.stderr
        theirs = json.loads((folder / "other.json").read_text(encoding="utf-8"))
        refused = kaohe(url, data, "verify", "--checkpoint", str(folder / "other.json"))
        assert (refused.returncode, refused.stderr.strip()) == (1, (
            f"kaohe: checkpoint {folder / 'other.json'} is signed by key {_fingerprint(theirs)}, not by the trusted "
            f"key {_fingerprint(signed)}"))
        # given the other office's public key explicitly, it is the trusted one
        key = kaohe(url, folder / "other-office", "public-key", "--out", str(folder / "other.pem"))
        assert key.returncode == 0, key.stderr
        trusted = kaohe(url, data, "verify", "--checkpoint", str(folder / "other.json"), "--public-key",
                        str(folder / "other.pem"))
        assert trusted.returncode == 0, trusted.stdout + trusted.stderr

        production = kaohe(url, folder / "prod", "checkpoint", "--out", str(folder / "prod.json"),
                           KAOHE_ENVIRONMENT="production", KAOHE_SERVICE_TOKEN_SECRET="x" * 40)
        assert production.returncode == 2
        assert production.stderr.strip().startswith("kaohe: KAOHE_AUDIT_SIGNING_KEY_FILE is required in production")
        assert not (folder / "prod.json").exists()
        await db.dispose()


def _fingerprint(signed: dict[str, Any]) -> str:
    import hashlib

    return hashlib.sha256(bytes.fromhex(signed["public_key"])).hexdigest()[:16]
