"""publication calendar note

A publication window counted Monday to Friday (a year it spans had no holiday arrangement) says so
(issue 21, item 20).

Revision ID: ranking_0005
Revises: ranking_0004
Create Date: 2026-12-07 06:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'ranking_0005'
down_revision: str | None = 'ranking_0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('ranked_period', sa.Column('publication_calendar_note', sa.String(length=300), nullable=True),
                  schema='ranking')


def downgrade() -> None:
    op.drop_column('ranked_period', 'publication_calendar_note', schema='ranking')
