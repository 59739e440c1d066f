"""ranked_period.results_token: changes with every write of a period's results

A ranking process keeps the digests of a period's current results in memory; the token, a random
value set whenever `store` writes, tells it whether they are still those in the database
(docs/decisions.md, "Incremental recompute").

Revision ID: ranking_0003
Revises: ranking_0002
Create Date: 2026-11-21 07:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'ranking_0003'
down_revision: str | None = 'ranking_0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('ranked_period', sa.Column('results_token', sa.String(length=32), server_default='',
                                             nullable=False), schema='ranking')


def downgrade() -> None:
    op.drop_column('ranked_period', 'results_token', schema='ranking')
