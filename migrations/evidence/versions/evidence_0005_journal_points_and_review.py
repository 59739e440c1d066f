"""journal points and review

A week's journal carries the person's own points (自评分) and the submission that takes it through its
review chain (003 篇三: 科室负责人 → 分管领导 → 部门负责人).

Revision ID: evidence_0005
Revises: evidence_0004
Create Date: 2026-12-07 04:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'evidence_0005'
down_revision: str | None = 'evidence_0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('journal_week', sa.Column('points', sa.Numeric(), nullable=True), schema='evidence')
    op.add_column('journal_week', sa.Column('submission_id', sa.String(length=36), nullable=True), schema='evidence')


def downgrade() -> None:
    op.drop_column('journal_week', 'submission_id', schema='evidence')
    op.drop_column('journal_week', 'points', schema='evidence')
