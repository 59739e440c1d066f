"""audited holiday arrangements

Every write of holiday_arrangement (the loaded years of the working-day calendar, which move review deadlines,
journal make-ups and the 公示 window) now leaves the row's digest in the audit chain, as the tables of scoring_0008
do (services/common/audit_rows.py); every existing row is recorded here once (a baseline).

Revision ID: scoring_0011
Revises: scoring_0010
Create Date: 2026-12-07 22:00:00
"""
from collections.abc import Sequence

from alembic import op

from services.common.audit import seal_migration
from services.common.audit_rows import AuditedTable, drop_trigger_sql, trigger_sql

revision: str = 'scoring_0011'
down_revision: str | None = 'scoring_0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = 'scoring'
# the table as this revision adds it (services/common/audit_rows.py AUDITED may grow later)
TABLES = (AuditedTable('holiday_arrangement', key=('year',)),)


def upgrade() -> None:
    for statement in trigger_sql(SCHEMA, TABLES):
        op.execute(statement)
    seal_migration(op.get_bind(), SCHEMA, f"migration:{revision}", TABLES)


def downgrade() -> None:
    for statement in drop_trigger_sql(SCHEMA, TABLES):
        op.execute(statement)
