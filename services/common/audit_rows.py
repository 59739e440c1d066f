"""Tamper evidence for live rows: every write of an audited row leaves the digest of the row in the audit chain.

A statement-level trigger on each audited table (installed by each service's migration) notes the key and the
SHA-256 of the row's canonical content of every inserted, changed or deleted row in `audit_touched`, inside the
writing transaction. The service's commit hook (`services.common.audit.chain_sealer`) moves those notes into the
hash chain as `row.write` / `row.delete` records, in the same transaction. So a row written by a service always
has a record holding its digest, and verification (`verify_rows`) finds:

- a row whose digest differs from its last record's (changed behind the services' back),
- a row with no record (inserted behind their back),
- a record whose row is gone (deleted behind their back).

The digest is computed by PostgreSQL, in UTC, from `to_jsonb(row)` minus the table's volatile columns
(scheduling state and caches that are not evidence): the writer and the verifier use the same SQL expression.
A direct write with the trigger enabled leaves a note nobody seals; one with triggers disabled leaves none: the
row no longer matches its record either way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from kaohe.i18n import _

ROW_WRITE = "row.write"
ROW_DELETE = "row.delete"
ROW_ACTIONS = (ROW_WRITE, ROW_DELETE)
TOUCHED = "audit_touched"
# the records of row writes (a literal, so that the partial index ix_audit_record_row serves the lookup)
ROW_RECORDS = "action IN ('row.write', 'row.delete')"


@dataclass(frozen=True)
class Vouched:
    """A column of an audited row that holds the digest of state the row digests leave out (another table's
    volatile columns): the writer sets it with `sql`, verification computes `sql` again and compares. Being a
    column of an audited row, its value is itself vouched for by the chain."""

    column: str  # NULL claims nothing (a row written before its writer set it: its own digest covers that)
    sql: str  # over the vouching row as alias r; our own constant SQL, no input in it


@dataclass(frozen=True)
class AuditedTable:
    """A table whose live rows the audit chain vouches for."""

    name: str
    key: tuple[str, ...] = ("id",)
    volatile: tuple[str, ...] = ()  # left out of the digest: scheduling state and caches, not evidence
    # the services write each row once and never change or delete it (a version, a decision, an entry of a 公示): after
    # a key's first record, any record of it but a migration's baseline is a rewrite, even one that matches the row
    immutable: bool = False
    # When set, an UPDATE is noted only when it sets one of these columns (a row-level trigger on them): an UPDATE
    # of volatile columns alone, which cannot change a row's digest, costs nothing. Every column but the volatile.
    noted_updates: tuple[str, ...] = ()
    vouches: tuple[Vouched, ...] = ()

    def key_sql(self, alias: str = "r") -> str:
        """The row's key as text (the audit record's entity_id): `id`, or the parts joined by '/'."""
        return " || '/' || ".join(f'{alias}."{column}"::text' for column in self.key)

    def digest_sql(self, schema: str, alias: str = "r") -> str:
        return f'"{schema}".audit_row_digest(to_jsonb({alias}) - {self.volatile_sql()})'

    def volatile_sql(self) -> str:
        return "ARRAY[" + ", ".join(f"'{column}'" for column in self.volatile) + "]::text[]"


# A result version never changes once written; which version is current and the table's order do, at every
# recomputation, for as many subjects as moved in the ranking: they are left out of the versions' digests (no
# audit record per retired version) and the period row vouches for them all with one digest (ranking_0009).
RESULT_VOLATILE = ("is_current", "position")
RESULT_NOTED = ("id", "period_id", "subject_id", "version", "name", "group", "unit_path", "attributes", "rank",
                "total", "grade", "document", "document_sha256", "inputs_sha256", "created_at", "cause")
CURRENT_RESULTS = Vouched(
    "current_sha256",
    "(SELECT encode(sha256(convert_to(coalesce(string_agg(to_json(s.subject_id)::text || ',' || s.version || ',' "
    "|| s.position, E'\\n' ORDER BY s.position, s.subject_id), ''), 'UTF8')), 'hex') "
    'FROM "ranking".subject_result s WHERE s.period_id = r.id AND s.is_current)')

# The tables whose rows are evidence, by service (migrations keep their own copy of the list they install).
AUDITED: dict[str, tuple[AuditedTable, ...]] = {
    "evidence": (
        AuditedTable("submission"), AuditedTable("submission_version", immutable=True),
        AuditedTable("review_decision", immutable=True),
        AuditedTable("review_chain"), AuditedTable("attachment"), AuditedTable("fact"), AuditedTable("appeal"),
        AuditedTable("period_state", key=("period_id",)),
        # webhook subscriptions and their signing secrets (evidence_0010): where events go, and who can verify them;
        # the failure count is scheduling state. A record holds the row's digest only, never a secret.
        AuditedTable("webhook_subscription", volatile=("failing_since", "consecutive_failures")),
        AuditedTable("webhook_secret"),
        # rectification notices (their follow-up becomes a fact), journal rosters and weeks, rating tasks with their
        # raters, subjects and ballots (evidence_0011): a ballot's record holds the row's digest, never its grade
        AuditedTable("rectification_notice"), AuditedTable("journal_roster"), AuditedTable("journal_week"),
        AuditedTable("rating_task"), AuditedTable("rating_rater"), AuditedTable("rating_subject"),
        AuditedTable("rating_ballot"),
    ),
    "scoring": (
        AuditedTable("unit"), AuditedTable("person"), AuditedTable("api_key", volatile=("last_used_at",)),
        AuditedTable("scheme"), AuditedTable("scheme_version"),
        AuditedTable("period", volatile=("recompute_due_at", "pending_causes")),
        AuditedTable("period_subject"), AuditedTable("score_version", immutable=True),
        # the loaded years of the working-day calendar: they move deadlines and the 公示 window (scoring_0011)
        AuditedTable("holiday_arrangement", key=("year",)),
    ),
    "ranking": (
        AuditedTable("ranked_period", volatile=("results_token",), vouches=(CURRENT_RESULTS,)),
        AuditedTable("subject_result", volatile=RESULT_VOLATILE, noted_updates=RESULT_NOTED, immutable=True),
        AuditedTable("publication"),
        AuditedTable("publication_entry", key=("publication_id", "position"), immutable=True),
        AuditedTable("period_snapshot"), AuditedTable("period_reopening"), AuditedTable("objection"),
    ),
}


# --- DDL (run by the migrations) ----------------------------------------------------------------------------------

def install_sql(schema: str, tables: Iterable[AuditedTable]) -> list[str]:
    """The functions and triggers that note every write of the audited tables (schema and table names are our
    own constants; the statements are DDL, which takes no parameters)."""
    statements = [
        # the canonical digest of a row's JSON; callers set TimeZone UTC (the trigger function does)
        f"""CREATE FUNCTION "{schema}".audit_row_digest(r jsonb) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
            AS $$ SELECT encode(sha256(convert_to(r::text, 'UTF8')), 'hex') $$""",
        # TG_ARGV: [0] the key expression over alias r, [1] the digest expression over alias r
        f"""CREATE FUNCTION "{schema}".audit_row_touched() RETURNS trigger LANGUAGE plpgsql
            SET "TimeZone" = 'UTC' SET extra_float_digits = 1 AS $$
        DECLARE
            target text := format('%I.%I', TG_TABLE_SCHEMA, '{TOUCHED}');
        BEGIN
            IF TG_OP = 'INSERT' THEN
                EXECUTE format('INSERT INTO %s (table_name, row_key, row_digest) SELECT %L, %s, %s FROM new_rows r',
                               target, TG_TABLE_NAME, TG_ARGV[0], TG_ARGV[1]);
            ELSIF TG_OP = 'UPDATE' THEN
                EXECUTE format('INSERT INTO %1$s (table_name, row_key, row_digest) '
                    'SELECT %2$L, n.k, n.d FROM (SELECT %3$s AS k, %4$s AS d FROM new_rows r) n '
                    'LEFT JOIN (SELECT %3$s AS k, %4$s AS d FROM old_rows r) o ON o.k = n.k '
                    'WHERE o.d IS DISTINCT FROM n.d '
                    'UNION ALL SELECT %2$L, o.k, NULL FROM (SELECT %3$s AS k FROM old_rows r) o '
                    'WHERE NOT EXISTS (SELECT 1 FROM new_rows r WHERE %3$s = o.k)',
                    target, TG_TABLE_NAME, TG_ARGV[0], TG_ARGV[1]);
            ELSE
                EXECUTE format('INSERT INTO %s (table_name, row_key, row_digest) SELECT %L, %s, NULL FROM old_rows r',
                               target, TG_TABLE_NAME, TG_ARGV[0]);
            END IF;
            RETURN NULL;
        END $$""",  # noqa: S608 - DDL of our own names
    ]
    return [*statements, *trigger_sql(schema, tables)]


def row_function_sql(schema: str) -> str:
    """The function of the row-level UPDATE trigger of a table with `noted_updates` (PostgreSQL allows no column
    list on a statement-level trigger with transition tables): it notes the one row as the statement trigger
    would. TG_ARGV as audit_row_touched's."""
    return f"""CREATE OR REPLACE FUNCTION "{schema}".audit_row_touched_each() RETURNS trigger LANGUAGE plpgsql
            SET "TimeZone" = 'UTC' SET extra_float_digits = 1 AS $$
        BEGIN
            EXECUTE format('INSERT INTO %I.%I (table_name, row_key, row_digest) '
                           'SELECT %L, %s, %s FROM (SELECT ($1).*) r',
                           TG_TABLE_SCHEMA, '{TOUCHED}', TG_TABLE_NAME, TG_ARGV[0], TG_ARGV[1]) USING NEW;
            RETURN NULL;
        END $$"""  # noqa: S608 - DDL of our own names


def trigger_sql(schema: str, tables: Iterable[AuditedTable]) -> list[str]:
    """The triggers that note every write of `tables` (the functions `install_sql` creates must exist, and
    `row_function_sql`'s for a table with `noted_updates`: a later migration that adds a table to the audited
    ones runs only these)."""
    statements = []
    for table in tables:
        arguments = f"{_literal(table.key_sql())}, {_literal(table.digest_sql(schema))}"
        for event, referencing in (("INSERT", "NEW TABLE AS new_rows"),
                                   ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
                                   ("DELETE", "OLD TABLE AS old_rows")):
            if event == "UPDATE" and table.noted_updates:
                columns = ", ".join(f'"{column}"' for column in table.noted_updates)
                statements.append(
                    f'CREATE TRIGGER audit_row_update AFTER UPDATE OF {columns} ON "{schema}"."{table.name}" '
                    f'FOR EACH ROW EXECUTE FUNCTION "{schema}".audit_row_touched_each({arguments})')
                continue
            statements.append(
                f'CREATE TRIGGER audit_row_{event.lower()} AFTER {event} ON "{schema}"."{table.name}" '
                f"REFERENCING {referencing} FOR EACH STATEMENT "
                f'EXECUTE FUNCTION "{schema}".audit_row_touched({arguments})')
    return statements


def drop_trigger_sql(schema: str, tables: Iterable[AuditedTable]) -> list[str]:
    return [f'DROP TRIGGER audit_row_{event} ON "{schema}"."{table.name}"'
            for table in tables for event in ("insert", "update", "delete")]


def uninstall_sql(schema: str, tables: Iterable[AuditedTable]) -> list[str]:
    return [*drop_trigger_sql(schema, tables), f'DROP FUNCTION "{schema}".audit_row_touched()',
            f'DROP FUNCTION "{schema}".audit_row_digest(jsonb)']


def baseline_sql(schema: str, table: AuditedTable) -> str:
    """Note every existing row of a table, as if just written (a migration's starting point)."""
    return (f'INSERT INTO "{schema}".{TOUCHED} (table_name, row_key, row_digest) '  # noqa: S608 - our names
            f"SELECT '{table.name}', {table.key_sql()}, {table.digest_sql(schema)} "
            f'FROM "{schema}"."{table.name}" r')


def _literal(sql: str) -> str:
    return "'" + sql.replace("'", "''") + "'"


# --- verification ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RowProblem:
    """One live row that the chain does not vouch for."""

    table: str
    key: str
    kind: str  # changed | unrecorded | deleted | rewritten (a later record of a row of an immutable table) |
    # vouched (the state a `Vouched` column stands for moved)
    record_id: int | None  # the row's last record (None: it has none)

    def sentence(self) -> str:
        """What is wrong with the row, a marked message (English where it is read as a string)."""
        if self.kind == "changed":
            return _("row %(table)s %(key)s was changed (it no longer matches record %(record)s)",
                     table=self.table, key=self.key, record=self.record_id)
        if self.kind == "rewritten":
            return _("row %(table)s %(key)s was rewritten (record %(record)s writes it again, yet the services never "
                     "change a row of this table)", table=self.table, key=self.key, record=self.record_id)
        if self.kind == "vouched":
            return _("row %(table)s %(key)s no longer matches what it vouches for (rows it stands for were changed "
                     "behind the service's back)", table=self.table, key=self.key)
        if self.kind == "unrecorded":
            return _("row %(table)s %(key)s has no audit record (inserted behind the service's back)",
                     table=self.table, key=self.key)
        return _("row %(table)s %(key)s is gone (deleted behind the service's back; record %(record)s)",
                 table=self.table, key=self.key, record=self.record_id)

    def to_json(self) -> dict[str, Any]:
        return {"table": self.table, "key": self.key, "kind": self.kind, "record_id": self.record_id,
                "message": self.sentence()}


@dataclass
class RowsReport:
    tables: dict[str, int] = field(default_factory=dict)  # rows checked per table
    problems: list[RowProblem] = field(default_factory=list)  # at most `limit`, in table and key order
    problem_count: int = 0

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


Progress = Callable[[str, int], None]


async def verify_rows(conn: Any, schema: str, tables: Iterable[AuditedTable], *, limit: int = 1000,
                      progress: Progress | None = None) -> RowsReport:
    """Compare every live row of the audited tables with the last `row.*` record of its key, and each `Vouched`
    column with the state it stands for.

    `conn` is an asyncpg connection inside a (repeatable read) transaction whose TimeZone is UTC. PostgreSQL joins
    each table's rows (key, digest) with the last record of each key and sends back only the rows that differ, at
    most `limit` in all, in table and key order: the client's memory stays flat at any size, the server's join
    spills to disk past work_mem."""
    report = RowsReport()
    for table in tables:
        live = (f"SELECT {table.key_sql()} AS k, {table.digest_sql(schema)} AS d "  # noqa: S608 - our names
                f'FROM "{schema}"."{table.name}" r')
        recorded = ("SELECT DISTINCT ON (entity_id) entity_id AS k, id, after_digest "  # noqa: S608 - our names
                    f'FROM "{schema}".audit_record WHERE entity_type = $1 AND {ROW_RECORDS} '
                    "ORDER BY entity_id DESC, id DESC")
        found = await conn.fetch(
            f"SELECT coalesce(t.k, r.k) AS k, t.d, r.id, r.after_digest, count(*) OVER () AS problems "  # noqa: S608
            f"FROM ({live}) t FULL JOIN ({recorded}) r ON r.k = t.k WHERE t.d IS DISTINCT FROM r.after_digest "
            'ORDER BY coalesce(t.k, r.k) COLLATE "C" LIMIT $2', table.name, max(limit - len(report.problems), 1))
        rows = int(await conn.fetchval(f'SELECT count(*) FROM "{schema}"."{table.name}"'))  # noqa: S608
        for row in found:
            if len(report.problems) < limit:
                report.problems.append(RowProblem(table.name, row["k"], _kind(row), row["id"]))
        report.problem_count += int(found[0]["problems"]) if found else 0
        if table.immutable:
            await _rewritten(conn, schema, table, report, limit)
        for vouched in table.vouches:
            for row in await conn.fetch(
                    f"SELECT {table.key_sql()} AS k FROM \"{schema}\".\"{table.name}\" r "  # noqa: S608 - our names
                    f'WHERE r."{vouched.column}" <> {vouched.sql} ORDER BY ({table.key_sql()}) COLLATE "C"'):
                if len(report.problems) < limit:
                    report.problems.append(RowProblem(table.name, row["k"], "vouched", None))
                report.problem_count += 1
        report.tables[table.name] = rows
        if progress is not None:
            progress(table.name, rows)
    return report


async def _rewritten(conn: Any, schema: str, table: AuditedTable, report: RowsReport, limit: int) -> None:
    """The rows of an immutable table written again after their first record (by anyone but a migration): a
    record appended to vouch for a rewritten row makes it match again, but cannot be the row's first."""
    # a key's records after its first one that no migration's baseline wrote: the first of them names the rewrite
    found = await conn.fetch(
        "SELECT k, min(id) AS id, count(*) OVER () AS problems FROM (SELECT entity_id AS k, id, actor, "  # noqa: S608
        f'row_number() OVER (PARTITION BY entity_id ORDER BY id) AS n FROM "{schema}".audit_record '
        f"WHERE entity_type = $1 AND {ROW_RECORDS}) r WHERE n > 1 AND actor NOT LIKE 'migration:%' "
        'GROUP BY k ORDER BY k COLLATE "C" LIMIT $2', table.name, max(limit - len(report.problems), 1))
    for row in found:
        if len(report.problems) < limit:
            report.problems.append(RowProblem(table.name, row["k"], "rewritten", row["id"]))
    report.problem_count += int(found[0]["problems"]) if found else 0


def _kind(row: Any) -> str:
    if row["d"] is None:
        return "deleted"  # a record with a digest, no row
    return "changed" if row["after_digest"] is not None else "unrecorded"
