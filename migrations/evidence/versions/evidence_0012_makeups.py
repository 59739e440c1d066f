"""make-ups (补报): the office's approval of a subject's late evidence once the period's collection closed

Revision ID: evidence_0012
Revises: evidence_0011
Create Date: 2026-12-07 21:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'evidence_0012'
down_revision: str | None = 'evidence_0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = 'evidence'


def upgrade() -> None:
    op.create_table(
        'makeup',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('period_id', sa.String(length=100), nullable=False),
        sa.Column('subject_id', sa.String(length=100), nullable=False),
        sa.Column('unit_path', sa.String(length=500), nullable=False),
        sa.Column('indicator', sa.String(length=100), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('approved_by', sa.String(length=200), nullable=False),
        sa.Column('approved_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('closes_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_makeup')),
        schema=SCHEMA,
    )
    op.create_index(op.f('ix_makeup_period_id'), 'makeup', ['period_id'], unique=False, schema=SCHEMA)


def downgrade() -> None:
    op.drop_index(op.f('ix_makeup_period_id'), table_name='makeup', schema=SCHEMA)
    op.drop_table('makeup', schema=SCHEMA)
