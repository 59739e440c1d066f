"""a period's latest 公示

period_state.published_at is when ranking last published (公示) the period, from its `period.status` event: an
appeal's window runs from it (docs/decisions.md, "Newcomer probe: times people read, appeal deadlines"). The column
changes the digest of every period_state row, so the rows are noted again as written (a baseline).

Revision ID: evidence_0013
Revises: evidence_0012
Create Date: 2026-12-07 21:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.common.audit import seal_migration
from services.common.audit_rows import AuditedTable

revision: str = 'evidence_0013'
down_revision: str | None = 'evidence_0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = 'evidence'
TABLES = (AuditedTable('period_state', key=('period_id',)),)


def upgrade() -> None:
    op.add_column('period_state', sa.Column('published_at', sa.DateTime(timezone=True), nullable=True), schema=SCHEMA)
    seal_migration(op.get_bind(), SCHEMA, f"migration:{revision}", TABLES)


def downgrade() -> None:
    op.drop_column('period_state', 'published_at', schema=SCHEMA)
    seal_migration(op.get_bind(), SCHEMA, f"migration:{revision}:downgrade", TABLES)
