"""level due note

A submission's deadline counted Monday to Friday (a year it spans had no holiday arrangement) says so
(issue 21, item 20).

Revision ID: evidence_0007
Revises: evidence_0006
Create Date: 2026-12-07 06:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'evidence_0007'
down_revision: str | None = 'evidence_0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('submission', sa.Column('level_due_note', sa.String(length=300), nullable=True), schema='evidence')


def downgrade() -> None:
    op.drop_column('submission', 'level_due_note', schema='evidence')
