"""which result version is current, and the table's order, vouched for by the period row

A recomputation that moves one subject in the ranking writes a new version for every subject whose rank moved
and retires (`is_current = false`) the versions they replace. Retiring noted every retired row's digest in the
audit chain, the full row hashed twice by the UPDATE trigger: at 5,000 staff a change that moves hundreds of
ranks spent a third of its time there. `is_current` and `position` are now left out of the result versions'
digests (a version, once written, never changes), their UPDATE trigger is a row trigger on the other columns
only, and the period row vouches for which version of each subject is current and for the table's order with
one digest, `ranked_period.current_sha256` (services/common/audit_rows.py CURRENT_RESULTS), which verification
computes again. Every row of both tables is recorded again in the audit chain, as their digests change.

Revision ID: ranking_0009
Revises: ranking_0008
Create Date: 2026-12-08 00:20:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.common.audit import seal_migration
from services.common.audit_rows import AuditedTable, Vouched, drop_trigger_sql, row_function_sql, trigger_sql

revision: str = 'ranking_0009'
down_revision: str | None = 'ranking_0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = 'ranking'
# the tables as this revision leaves them (services/common/audit_rows.py AUDITED may change later)
CURRENT = Vouched(
    'current_sha256',
    "(SELECT encode(sha256(convert_to(coalesce(string_agg(to_json(s.subject_id)::text || ',' || s.version || ',' "
    "|| s.position, E'\\n' ORDER BY s.position, s.subject_id), ''), 'UTF8')), 'hex') "
    'FROM "ranking".subject_result s WHERE s.period_id = r.id AND s.is_current)')
RESULT = AuditedTable(
    'subject_result', volatile=('is_current', 'position'),
    noted_updates=('id', 'period_id', 'subject_id', 'version', 'name', 'group', 'unit_path', 'attributes', 'rank',
                   'total', 'grade', 'document', 'document_sha256', 'inputs_sha256', 'created_at', 'cause'))
PERIOD = AuditedTable('ranked_period', volatile=('results_token',), vouches=(CURRENT,))
BEFORE = (AuditedTable('ranked_period', volatile=('results_token',)), AuditedTable('subject_result'))


def upgrade() -> None:
    op.add_column('ranked_period', sa.Column('current_sha256', sa.String(length=64), nullable=True), schema=SCHEMA)
    op.execute(row_function_sql(SCHEMA))
    for statement in [*drop_trigger_sql(SCHEMA, [RESULT]), *trigger_sql(SCHEMA, [RESULT])]:
        op.execute(statement)
    op.execute(f'UPDATE "{SCHEMA}".ranked_period r SET current_sha256 = {CURRENT.sql}')  # noqa: S608 - our SQL
    seal_migration(op.get_bind(), SCHEMA, f"migration:{revision}", (PERIOD, RESULT))


def downgrade() -> None:
    for statement in [*drop_trigger_sql(SCHEMA, [RESULT]), *trigger_sql(SCHEMA, BEFORE[1:])]:
        op.execute(statement)
    op.execute(f'DROP FUNCTION "{SCHEMA}".audit_row_touched_each()')
    op.drop_column('ranked_period', 'current_sha256', schema=SCHEMA)
    seal_migration(op.get_bind(), SCHEMA, f"migration:{revision}:downgrade", BEFORE)
