"""score versions lose the (period_id, score_set) index

Ranking's partial read (`subjects_changed_since`) was its only user; it now finds the versions of the
score sets after N through the (period_id, seq) index: within a period, seq grows with score_set
(docs/decisions.md, "Score versions: one index fewer"). Maintaining the index cost ~85 ms of the
~650 ms PostgreSQL spends ingesting a first recompute's 65,000 versions (docs/performance.md
as it was before issue 16, in git history, "Fourth pass").

Revision ID: scoring_0005
Revises: scoring_0004
Create Date: 2026-11-21 12:15:00
"""
from collections.abc import Sequence

from alembic import op


revision: str = 'scoring_0005'
down_revision: str | None = 'scoring_0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index(op.f('ix_score_version_period_id_score_set'), table_name='score_version', schema='scoring')


def downgrade() -> None:
    op.create_index(op.f('ix_score_version_period_id_score_set'), 'score_version', ['period_id', 'score_set'],
                    unique=False, schema='scoring')
