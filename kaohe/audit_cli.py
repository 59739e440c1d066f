"""`kaohe audit verify` and `kaohe audit checkpoint`: the audit chains, the live rows they vouch for, and heads kept
outside the database (signed checkpoints, 审定 snapshots) that catch a chain cut or rewritten after them.

A checkpoint is a small JSON file: the head of each service's chain (how many records, the last one's id and hash),
when it was taken, the Ed25519 public key and the signature of the rest by that key. Keep it where the database's
administrators cannot change it (printed with the 公示, sent to the supervising authority): any later rewrite of the
chain up to those heads, or a cut below them, no longer matches.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from kaohe.i18n import N_, _, listed, localize
from services.common.localtime import shown_stamp
from services.common.settings import SERVICES, Settings

audit_app = typer.Typer(help=N_("The audit chain of each service, the live rows it vouches for, and checkpoints."),
                        no_args_is_help=True)
CHECKPOINT_FORMAT = "kaohe-audit-checkpoint/1"
KEY_FILE = "audit-signing-key.pem"


def _fail(message: str | BaseException, code: int = 1) -> Any:
    from kaohe.console import fail

    fail(message, code)


def _settings() -> Settings:
    from kaohe.console import settings_or_exit

    return settings_or_exit()


def _chosen(service: list[str]) -> list[str]:
    unknown = [s for s in service if s not in SERVICES]
    if unknown:
        _fail(_("unknown service %(unknown)r; choose from %(names)s", unknown=unknown[0], names=listed(SERVICES)), 2)
    return [s for s in SERVICES if s in service]


@contextlib.contextmanager
def _databases(settings: Settings) -> Iterator[dict[str, str]]:
    """Each service's database: the configured one, the running kaohe's embedded server, or an embedded server
    started for the command (read-only: it works beside a running stack)."""
    import asyncpg

    from kaohe import ops_cli
    from kaohe.stack import StackError

    try:
        with ops_cli.service_databases(settings) as (urls, where):
            try:
                yield {str(name): url for name, url in urls.items()}
            except (OSError, asyncpg.PostgresError) as exc:  # one line, never a traceback
                _fail(_("cannot read the databases (%(where)s): %(reason)s", where=where,
                        reason=str(exc) or type(exc).__name__))
    except StackError as exc:
        _fail(exc)


# --- verify ------------------------------------------------------------------------------------------------------

@audit_app.command("verify", help=N_(
    "Recompute each service's audit hash chain and check every live audited row against it; name the "
    "first broken record and each changed, unrecorded or deleted row. Read-only: works while the "
    "stack runs."))
def verify(
    service: Annotated[list[str] | None, typer.Option("--service", "-s", help=N_("Service(s) to check (default: "
                                                                                 "all three)."))] = None,
    checkpoint: Annotated[Path | None, typer.Option(
        "--checkpoint", help=N_("A checkpoint written by `kaohe audit checkpoint`: its signature is checked and each "
        "chain must still hold its head."))] = None,
    public_key: Annotated[Path | None, typer.Option(
        "--public-key", help=N_("The PEM public key the checkpoint must be signed with (default: this installation's "
        "signing key, when it has one)."))] = None,
    snapshot: Annotated[Path | None, typer.Option(
        "--snapshot", help=N_("A 审定 snapshot's bytes (GET /exports/periods/{id}/snapshots/{n}.json): each chain must "
        "still hold the heads it froze, and the database's snapshot and results must be the same."))] = None,
    progress: Annotated[bool | None, typer.Option(
        "--progress/--no-progress", help=N_("Show progress on stderr (default: on a terminal only); without a "
        "terminal, a line per audited table and per 100,000 records of the chain."))] = None,
) -> None:
    chosen = _chosen(service or list(SERVICES))
    settings = _settings()
    heads: dict[str, list[Any]] = {name: [] for name in chosen}
    if checkpoint is not None:
        for name, head in _read_checkpoint(checkpoint, public_key, settings).items():
            if name in heads:
                heads[name].append(head)
    frozen = _read_snapshot(snapshot) if snapshot is not None else None
    if frozen is not None:
        for name, head in frozen["heads"].items():
            if name in heads:
                heads[name].append(head)
    broken = False
    with _databases(settings) as urls:
        stored = asyncio.run(_stored_heads(urls["ranking"])) if set(chosen) & {"evidence", "scoring"} else {}
        for name in chosen:
            # evidence's and scoring's heads that ranking kept at each 公示 and 审定 are kept outside their chains
            expect = heads[name] + stored.get(name, []) if name != "ranking" else heads[name]
            report = asyncio.run(_verify(name, urls[name], expect, progress))
            found: list[Any] = []
            if name == "scoring" and "evidence" in urls:  # scoring's copies of evidence's facts, and its causes
                found += asyncio.run(_provenance(urls["scoring"], urls["evidence"]))[0]
            if name == "evidence":  # the fact events of its outbox that no audited change sent, its unbacked facts
                found += asyncio.run(_outbox(urls["evidence"]))[0]
            if name in ("evidence", "scoring") and "ranking" in urls:  # statuses applied from ranking's events
                found += asyncio.run(_statuses(name, urls[name], urls["ranking"]))
            if name != "ranking":
                from services.common.provenance import LIMIT

                report.add_provenance(found, LIMIT)
            if name == "ranking":  # publications and finalized periods against the chain's records of them
                report.add_provenance(*asyncio.run(_anchors(urls["ranking"])))
            for line in audit_lines(name, report, held=len(heads[name])):
                typer.echo(localize(line))
            broken = broken or not report.ok
        if frozen is not None:
            lines, ok = asyncio.run(_check_snapshot(urls["ranking"], frozen))
            for line in lines:
                typer.echo(localize(line))
            broken = broken or not ok
    if broken:
        raise typer.Exit(1)


def audit_lines(name: str, report: Any, held: int = 0) -> list[str]:
    """What `kaohe audit verify` prints for one service: one line when it holds, one per finding otherwise (marked
    messages: `localize` writes each in the run's language; as strings they are English)."""
    counts = {"name": name, "records": report.records, "rows": report.rows, "tables": len(report.tables)}
    if report.ok:
        if held == 1:
            return [_("%(name)s: ok (%(records)s records, %(rows)s rows in %(tables)s tables; holds the 1 head kept "
                      "outside)", **counts)]
        if held:
            return [_("%(name)s: ok (%(records)s records, %(rows)s rows in %(tables)s tables; holds the %(held)s "
                      "heads kept outside)", held=held, **counts)]
        return [_("%(name)s: ok (%(records)s records, %(rows)s rows in %(tables)s tables)", **counts)]
    lines: list[str] = []
    if report.first_broken_id is not None:
        lines.append(_("%(name)s: BROKEN at record %(id)s: %(reason)s", name=name, id=report.first_broken_id,
                       reason=report.reason))
    if report.checkpoint is not None:
        lines.append(_("%(name)s: BROKEN: %(problem)s", name=name, problem=report.checkpoint))
    lines += [_("%(name)s: BROKEN: %(problem)s", name=name, problem=problem.sentence())
              for problem in report.row_problems]
    if report.row_problem_count > len(report.row_problems):
        lines.append(_("%(name)s: BROKEN: … and %(more)s more rows", name=name,
                       more=report.row_problem_count - len(report.row_problems)))
    lines += [_("%(name)s: BROKEN: %(problem)s", name=name, problem=problem.sentence())
              for problem in report.provenance]
    if report.provenance_count > len(report.provenance):
        lines.append(_("%(name)s: BROKEN: … and %(more)s more facts or causes", name=name,
                       more=report.provenance_count - len(report.provenance)))
    if report.unsealed:
        rows = ", ".join(f"{table} {key}" for table, key in report.unsealed_rows)
        more = report.unsealed_row_count - len(report.unsealed_rows)
        if more > 0:
            lines.append(_("%(name)s: BROKEN: %(writes)s row writes were made outside the service (noted by the "
                           "audited tables' triggers, never sealed into the chain): %(rows)s and %(more)s more rows",
                           name=name, writes=report.unsealed, rows=rows, more=more))
        else:
            lines.append(_("%(name)s: BROKEN: %(writes)s row writes were made outside the service (noted by the "
                           "audited tables' triggers, never sealed into the chain): %(rows)s",
                           name=name, writes=report.unsealed, rows=rows))
    return lines


async def _stored_heads(url: str) -> dict[str, list[Any]]:
    """The chain heads ranking stored with every 公示 and 审定 (vouched for by ranking's own chain), by service;
    none when ranking's database or schema is not there (a restore of the other services only)."""
    import asyncpg

    from services.common.audit import kept_heads

    try:
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1), timeout=10)
    except (OSError, asyncpg.PostgresError):  # ranking's own database unreachable: its own check says so
        return {}
    try:
        return dict(await kept_heads(conn))
    except (asyncpg.UndefinedTableError, asyncpg.InvalidSchemaNameError):
        return {}
    except ValueError as exc:
        _fail(_("%(where)s is not a chain head ({sequence, id, hash})", where=str(exc)), 2)
        return {}
    finally:
        await conn.close()


async def _provenance(scoring_url: str, evidence_url: str) -> tuple[list[Any], int]:
    """Scoring's fact copies and score versions' causes of every period against evidence's facts and their audited
    changes, read from the two databases (services/common/provenance.py); the problems and how many to name."""
    import asyncpg

    from services.common import provenance

    connections = [await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1), timeout=10)
                   for url in (scoring_url, evidence_url)]
    scoring, evidence = connections
    problems: list[Any] = []
    try:
        for period_id in await provenance.scoring_periods(scoring):
            copies = await provenance.scoring_copies(scoring, period_id)
            causes = await provenance.scoring_causes(scoring, period_id)
            problems += await provenance.check_period(period_id, copies, causes,
                                                      provenance.evidence_pages(evidence, period_id))
    finally:
        for conn in connections:
            await conn.close()
    return problems, provenance.LIMIT


async def _outbox(evidence_url: str) -> tuple[list[Any], int]:
    """The `fact.changed` events in evidence's outbox that no audited change of evidence sent, and evidence's live
    facts that no legitimate source of facts gives (services/common/provenance.py)."""
    import asyncpg

    from services.common import provenance

    conn = await asyncpg.connect(evidence_url.replace("postgresql+asyncpg://", "postgresql://", 1), timeout=10)
    try:
        return await provenance.unaudited_events(conn) + await provenance.unbacked_facts(conn), provenance.LIMIT
    finally:
        await conn.close()


async def _statuses(service: str, url: str, ranking_url: str) -> list[Any]:
    """The status changes `service` applied from ranking's events that no audited change of ranking made, and
    (evidence) a 公示 time that is none of ranking's (services/common/status_provenance.py)."""
    import asyncpg

    from services.common import status_provenance as status

    connections = [await asyncpg.connect(u.replace("postgresql+asyncpg://", "postgresql://", 1), timeout=10)
                   for u in (url, ranking_url)]
    try:
        applied = await status.applied_changes(connections[0], service)
        published = await status.evidence_published(connections[0]) if service == "evidence" else None
        try:
            ranking = await status.ranking_changes(connections[1])
        except (asyncpg.UndefinedTableError, asyncpg.InvalidSchemaNameError):
            return []  # ranking's schema is not there (a restore of the other services only): nothing to hold to
        return list(status.unbacked(service, applied, ranking, published))
    finally:
        for conn in connections:
            await conn.close()


async def _anchors(url: str) -> tuple[list[Any], int]:
    """Each publication's entries and each finalized period's snapshot and results against ranking's records of
    them (services/ranking/periods/anchors.py)."""
    from services.common import provenance
    from services.common.db import Database, create_engine
    from services.ranking.periods import anchors

    db = Database(create_engine(url, pool_size=1), "ranking")
    try:
        async with db.sessionmaker() as session:
            return await anchors.check(session), provenance.LIMIT
    finally:
        await db.dispose()


async def _verify(service: str, url: str, heads: list[Any], progress: bool | None = None) -> Any:
    import asyncpg

    from services.common.audit import verify_service
    from services.common.audit_rows import AUDITED

    dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    conn = await asyncpg.connect(dsn, timeout=10)
    rows_conn = await asyncpg.connect(dsn, timeout=10)
    try:
        with _progress(service, progress) as advance:
            return await verify_service(conn, service, AUDITED[service], progress=advance, rows_conn=rows_conn,
                                        expect=heads)
    finally:
        await conn.close()
        await rows_conn.close()


PLAIN_EVERY = 100_000  # records of the chain between two lines of plain progress


@contextlib.contextmanager
def _progress(service: str, shown: bool | None = None) -> Iterator[Callable[[str, int], None] | None]:
    """Progress on stderr (records of the chain and rows checked per table): a live display on a terminal, plain
    lines otherwise (a line per table, one per PLAIN_EVERY records); by default on a terminal only."""
    terminal = sys.stderr.isatty()
    if not (terminal if shown is None else shown):
        yield None
        return
    if not terminal:
        counts: dict[str, int] = {}

        def line(table: str, count: int) -> None:
            before = counts.get(table, 0)
            counts[table] = before + count
            if table != "audit_record":
                typer.echo(localize(_("%(service)s: %(table)s: %(count)s rows checked",
                                      service=service, table=table, count=format(count, ','))), err=True)
            elif counts[table] // PLAIN_EVERY > before // PLAIN_EVERY:
                typer.echo(localize(_("%(service)s: audit chain: %(count)s records checked",
                                      service=service, count=format(counts[table], ","))), err=True)

        yield line
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed:,}"),
                  TimeElapsedColumn(), console=Console(stderr=True), transient=True) as display:
        tasks: dict[str, Any] = {}

        def advance(table: str, count: int) -> None:
            if table not in tasks:
                tasks[table] = display.add_task(f"{service} {table}", total=None)
            display.advance(tasks[table], count)

        yield advance


# --- snapshots -----------------------------------------------------------------------------------------------------

def _read_snapshot(path: Path) -> dict[str, Any]:
    """An exported 审定 snapshot: its bytes, SHA-256, document and the chain heads it froze."""
    try:
        content = path.read_bytes()
        document = json.loads(content)
    except (OSError, ValueError) as exc:
        _fail(_("%(path)s is not a snapshot: %(exc)s", path=path, exc=exc), 2)
    if not isinstance(document, dict) or not isinstance(document.get("subjects"), list):
        _fail(_("%(path)s is not a 审定 snapshot (no subjects)", path=path), 2)
    raw = document.get("chain_heads")
    if not isinstance(raw, dict):
        _fail(_("%(path)s holds no chain heads (a snapshot taken before they were recorded)", path=path), 2)
    heads = {name: _head(value, f"{path}: chain_heads.{name}") for name, value in raw.items()}
    typer.echo(localize(_("snapshot: period %(period_id)s snapshot %(sequence)s, SHA-256 %(hexdigest)s (compare it "
                          "with the one published at 审定)",
                          period_id=document.get("period_id"), sequence=document.get("sequence"),
                          hexdigest=hashlib.sha256(content).hexdigest())))
    return {"content": content, "document": document, "heads": heads}


async def _check_snapshot(url: str, frozen: dict[str, Any]) -> tuple[list[str], bool]:
    """The database's snapshot of that period and sequence is the same bytes; the results it serves are the ones
    the snapshot froze (the latest snapshot of a period still finalized)."""
    from services.common.db import Database, create_engine
    from services.ranking.periods import repository, snapshot_check

    document = frozen["document"]
    period_id, sequence = str(document.get("period_id")), document.get("sequence")
    db = Database(create_engine(url, pool_size=1), "ranking")
    try:
        async with db.sessionmaker() as session:
            period = await repository.get(session, period_id)
            stored = await repository.snapshot(session, period_id, int(sequence)) if period else None
            if period is None or stored is None:
                return [_("snapshot: BROKEN: the database has no snapshot %(sequence)s of period %(period)s",
                          sequence=sequence, period=period_id)], False
            lines: list[str] = []  # each a finding (marked messages)
            if stored.content.encode() != frozen["content"]:
                lines.append(_("snapshot: BROKEN: the database's snapshot %(sequence)s of period %(period)s is not the "
                               "exported one (its bytes differ)", sequence=sequence, period=period_id))
            report = await snapshot_check.check(session, period, stored)
    finally:
        await db.dispose()
    if not report["bytes_ok"]:
        lines.append(_("snapshot: BROKEN: the database's snapshot bytes do not match its SHA-256 %(sha256)s",
                       sha256=report["sha256"]))
    if not report["audit_ok"]:
        lines.append(_("snapshot: BROKEN: the audit record of the approval holds another SHA-256 (%(sha256)s)",
                       sha256=report["recorded_sha256"]))
    lines += [_("snapshot: BROKEN: subject %(subject)s: %(field)s is %(served)s in the served results, %(frozen)s "
                "in the snapshot", subject=d["subject_id"], field=d["field"], served=d["served"], frozen=d["snapshot"])
              for d in report["differences"]]
    if report["results_checked"] and report["note"]:  # compared, yet the period's status is not explained
        lines.append(_("snapshot: BROKEN: %(problem)s", problem=report["note"]))
    if lines:
        return lines, False
    if report["results_checked"]:
        return [_("snapshot: ok (the database holds the same bytes; the served results agree)")], True
    return [_("snapshot: ok (the database holds the same bytes; %(note)s)", note=report["note"])], True


# --- checkpoints ---------------------------------------------------------------------------------------------------

@audit_app.command("checkpoint", help=N_(
    "Verify every chain (and the rows it vouches for), then write their heads in a checkpoint signed "
    "with the office's Ed25519 key; keep the file outside the database (docs/operations.md, \"Audit "
    "checkpoints\")."))
def checkpoint(
    out: Annotated[Path, typer.Option("--out", "-o", help=N_("The file to write (JSON)."))],
) -> None:
    from services.common.audit import canonical

    settings = _settings()
    key = signing_key(settings, create=True)
    if out.exists():
        _fail(_("%(out)s exists; choose another --out file", out=out))
    heads: dict[str, Any] = {}
    with _databases(settings) as urls:
        for name in list(urls):
            report = asyncio.run(_verify(name, urls[name], []))
            if not report.ok:
                for line in audit_lines(name, report):
                    typer.echo(localize(line), err=True)
                _fail(_("%(name)s: the chain does not verify; a checkpoint would vouch for it: none written",
                        name=name))
            heads[name] = {"sequence": report.records, "id": report.head_id,
                           "hash": report.head_hash or "0" * 64}
    payload = {"format": CHECKPOINT_FORMAT, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
               "heads": heads, "public_key": _public_hex(key)}
    signed = {**payload, "signature": key.sign(canonical(payload).encode()).hex()}
    out.write_text(json.dumps(signed, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for name, head in heads.items():
        typer.echo(localize(_("%(name)s: head at record %(sequence)s (%(hash)s…)",
                              name=name, sequence=head['sequence'], hash=head['hash'][:16])))
    typer.echo(localize(_("checkpoint written to %(out)s, signed by key %(fingerprint)s",
                          out=out, fingerprint=fingerprint(_public_hex(key)))))


def signing_key(settings: Settings, *, create: bool) -> Any:
    """The office's Ed25519 private key: KAOHE_AUDIT_SIGNING_KEY_FILE, else (development only) the data folder's,
    generated on first use (0600). None when there is none and `create` is false."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = settings.audit_signing_key_file
    if path is None:
        if settings.environment == "production":
            if not create:
                return None
            _fail(_("KAOHE_AUDIT_SIGNING_KEY_FILE is required in production: checkpoints are signed with the "
                    "office's own key, kept off the database's machine"), 2)
        path = settings.data_dir / KEY_FILE
        if not path.exists():
            if not create:
                return None
            path.parent.mkdir(parents=True, exist_ok=True)
            pem = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another process made it meanwhile
                pass
            else:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(pem)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        _fail(_("the audit signing key %(path)s cannot be read: %(exc)s", path=path, exc=exc), 2)
    if not isinstance(key, Ed25519PrivateKey):
        _fail(_("the audit signing key %(path)s is not an Ed25519 private key", path=path), 2)
    return key


def _public_hex(key: Any) -> str:
    from cryptography.hazmat.primitives import serialization

    return str(key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex())


def fingerprint(public_hex: str) -> str:
    """A short name of a public key to compare by eye: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(bytes.fromhex(public_hex)).hexdigest()[:16]


def _read_checkpoint(path: Path, public_key: Path | None, settings: Settings) -> dict[str, Any]:
    """The heads of a checkpoint whose signature holds, by the trusted key."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from services.common.audit import canonical

    try:
        signed = json.loads(path.read_text(encoding="utf-8"))
        payload = {k: v for k, v in signed.items() if k != "signature"}
        if payload.get("format") != CHECKPOINT_FORMAT or not isinstance(payload.get("heads"), dict):
            raise ValueError(_("not a %(format)s file", format=CHECKPOINT_FORMAT))
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(payload["public_key"]))
        key.verify(bytes.fromhex(signed["signature"]), canonical(payload).encode())
    except InvalidSignature:
        _fail(_("checkpoint %(path)s: the signature does not hold (the file was changed after it was signed)",
                path=path))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        _fail(_("checkpoint %(path)s cannot be read: %(exc)s", path=path, exc=exc), 2)
    if public_key is not None:
        try:
            trusted = serialization.load_pem_public_key(public_key.read_bytes())
        except (OSError, ValueError) as exc:
            _fail(_("the public key %(public_key)s cannot be read: %(exc)s", public_key=public_key, exc=exc), 2)
        trusted_hex = trusted.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()
    else:
        own = signing_key(settings, create=False)
        trusted_hex = _public_hex(own) if own is not None else None  # type: ignore[assignment]
    signer = fingerprint(payload["public_key"])
    if trusted_hex is not None and trusted_hex != payload["public_key"]:
        _fail(_("checkpoint %(path)s is signed by key %(signer)s, not by the trusted key %(fingerprint)s",
                path=path, signer=signer, fingerprint=fingerprint(trusted_hex)))
    taken = shown_stamp(payload.get("created_at"))
    if trusted_hex is not None:
        typer.echo(localize(_("checkpoint: taken %(created_at)s, signature holds, key %(signer)s (the trusted key)",
                              created_at=taken, signer=signer)))
    else:
        typer.echo(localize(_("checkpoint: taken %(created_at)s, signature holds, key %(signer)s (a key no trusted "
                              "key was given for: compare it)", created_at=taken, signer=signer)))
    return {name: _head(value, f"{path}: heads.{name}") for name, value in payload["heads"].items()}


def _head(value: Any, where: str) -> Any:
    from services.common.audit import head_of

    try:
        return head_of(value, where)
    except ValueError:
        return _fail(_("%(where)s is not a chain head ({sequence, id, hash})", where=where), 2)


def public_key_pem(settings: Settings) -> bytes:
    """The public half of the signing key, as PEM (to publish, and to give auditors)."""
    from cryptography.hazmat.primitives import serialization

    key = signing_key(settings, create=True)
    return bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo))


@audit_app.command("public-key", help=N_(
    "Print (or write) the public key that checks this office's checkpoints: publish it, give it to "
    "auditors."))
def public_key_command(
    out: Annotated[Path | None, typer.Option("--out", "-o", help=N_("Write the PEM here instead of printing it."))]
    = None,
) -> None:
    pem = public_key_pem(_settings())
    if out is None:
        typer.echo(pem.decode(), nl=False)
    else:
        out.write_bytes(pem)
        typer.echo(localize(_("public key written to %(out)s", out=out)))
