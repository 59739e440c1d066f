"""the current difference from the 公示, and the cause of each result version

`ranked_period.stale_changes_sha256` is the digest of the subjects whose results differ from the latest 公示
(changed, added, removed) as last recorded: a recomputation that changes that set records `publication.stale`
again with the current counts. `subject_result.cause` is what made a result version (the scores.changed event or
the office's recomputation, the subjects whose scores moved, whether this subject's own scores moved); versions
stored before this revision have none. The rows' digests change with the new columns, so every row of both
tables is recorded again in the audit chain (as ranking_0007 did).

Revision ID: ranking_0008
Revises: ranking_0007
Create Date: 2026-12-07 18:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.common.audit import seal_migration
from services.common.audit_rows import AuditedTable

revision: str = 'ranking_0008'
down_revision: str | None = 'ranking_0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = 'ranking'
TABLES = (AuditedTable('ranked_period', volatile=('results_token',)), AuditedTable('subject_result'))


def upgrade() -> None:
    op.add_column('ranked_period', sa.Column('stale_changes_sha256', sa.String(length=64), nullable=True),
                  schema=SCHEMA)
    op.add_column('subject_result', sa.Column('cause', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
                  schema=SCHEMA)
    seal_migration(op.get_bind(), SCHEMA, f"migration:{revision}", TABLES)


def downgrade() -> None:
    op.drop_column('subject_result', 'cause', schema=SCHEMA)
    op.drop_column('ranked_period', 'stale_changes_sha256', schema=SCHEMA)
    seal_migration(op.get_bind(), SCHEMA, f"migration:{revision}:downgrade", TABLES)
