"""appeal answer due note

An appeal's answer deadline counted Monday to Friday (a year it spans had no holiday arrangement) says so, as a
submission's level deadline does (`level_due_note`): `appeal.answer_due_note`, a stored text (JSONB, message code
and parameters). The column changes the digest of every appeal row, so the rows are noted again as written.

Revision ID: evidence_0014
Revises: evidence_0013
Create Date: 2026-12-08 00:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from services.common.audit import seal_migration
from services.common.audit_rows import AuditedTable

revision: str = 'evidence_0014'
down_revision: str | None = 'evidence_0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = 'evidence'
TABLES = (AuditedTable('appeal'),)


def upgrade() -> None:
    op.add_column('appeal', sa.Column('answer_due_note', JSONB(), nullable=True), schema=SCHEMA)
    seal_migration(op.get_bind(), SCHEMA, f"migration:{revision}", TABLES)


def downgrade() -> None:
    op.drop_column('appeal', 'answer_due_note', schema=SCHEMA)
    seal_migration(op.get_bind(), SCHEMA, f"migration:{revision}:downgrade", TABLES)
