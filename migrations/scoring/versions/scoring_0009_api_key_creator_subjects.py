"""api key: the subjects its creator was

An API key acts for the person who created it in separation of duties (四眼原则, docs/identity.md): its creator's
`sub` was kept from the start (`created_by`); the assessed subjects the creator was (`subject_ids` of the creating
token) are kept from now on. Keys made before have none recorded (NULL) and take no decision bound by the
four-eyes principle until an administrator replaces them. The column changes every row's digest, so the rows of
api_key are recorded again in the audit chain.

Revision ID: scoring_0009
Revises: scoring_0008
Create Date: 2026-12-07 21:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.common.audit import seal_migration
from services.common.audit_rows import AuditedTable

revision: str = 'scoring_0009'
down_revision: str | None = 'scoring_0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = 'scoring'
TABLES = (AuditedTable('api_key', volatile=('last_used_at',)),)


def upgrade() -> None:
    op.add_column('api_key', sa.Column('creator_subject_ids', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
                  schema=SCHEMA)
    seal_migration(op.get_bind(), SCHEMA, f"migration:{revision}", TABLES)


def downgrade() -> None:
    op.drop_column('api_key', 'creator_subject_ids', schema=SCHEMA)
    seal_migration(op.get_bind(), SCHEMA, f"migration:{revision}:downgrade", TABLES)
