"""holiday arrangement

Each year's State Council arrangement of public holidays and make-up working days, loaded by an office
(issue 21, item 20).

Revision ID: scoring_0007
Revises: scoring_0006
Create Date: 2026-12-07 06:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = 'scoring_0007'
down_revision: str | None = 'scoring_0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('holiday_arrangement',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('holidays', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('workdays', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('source', sa.String(length=500), nullable=False),
    sa.Column('loaded_by', sa.String(length=200), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('year'),
    schema='scoring'
    )


def downgrade() -> None:
    op.drop_table('holiday_arrangement', schema='scoring')
