"""the body an upheld appeal's correction wrote into its fact

appeal.fact_body is the fact's body as the upheld correction wrote it, in the same transaction: evidence's
verification holds a live fact whose source is the appeal to it exactly (docs/decisions.md, "Every live fact held to
what produced it"). Appeals answered before stay NULL (the fact is then held to the correction's values only). The
column changes the digest of every appeal row, so the rows are noted again as written (a baseline).

Revision ID: evidence_0015
Revises: evidence_0014
Create Date: 2026-12-08 00:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.common.audit import seal_migration
from services.common.audit_rows import AuditedTable

revision: str = 'evidence_0015'
down_revision: str | None = 'evidence_0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = 'evidence'
TABLES = (AuditedTable('appeal'),)


def upgrade() -> None:
    op.add_column('appeal', sa.Column('fact_body', postgresql.JSONB(), nullable=True), schema=SCHEMA)
    seal_migration(op.get_bind(), SCHEMA, f"migration:{revision}", TABLES)


def downgrade() -> None:
    op.drop_column('appeal', 'fact_body', schema=SCHEMA)
    seal_migration(op.get_bind(), SCHEMA, f"migration:{revision}:downgrade", TABLES)
