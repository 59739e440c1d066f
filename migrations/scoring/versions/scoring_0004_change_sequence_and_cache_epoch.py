"""change sequence on fact copies and score versions, cache epoch on periods, versions by score set

A process keeps a period's fact copies and newest values in memory and refreshes them by reading
only the rows whose `seq` is above the highest it has seen (docs/decisions.md, "Incremental
recompute"). `period.cache_epoch` moves on changes a delta cannot show (enrolment, a rebuild that
deletes fact copies), which make every process reload the period.

Revision ID: scoring_0004
Revises: scoring_0003
Create Date: 2026-11-21 07:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'scoring_0004'
down_revision: str | None = 'scoring_0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEXT = sa.text("nextval('scoring.change_seq'::regclass)")


def upgrade() -> None:
    op.execute("CREATE SEQUENCE IF NOT EXISTS scoring.change_seq")
    op.add_column('fact_copy', sa.Column('seq', sa.BigInteger(), server_default=NEXT, nullable=False),
                  schema='scoring')
    op.add_column('score_version', sa.Column('seq', sa.BigInteger(), server_default=NEXT, nullable=False),
                  schema='scoring')
    op.add_column('period', sa.Column('cache_epoch', sa.Integer(), server_default='0', nullable=False),
                  schema='scoring')
    op.create_index(op.f('ix_fact_copy_period_id_seq'), 'fact_copy', ['period_id', 'seq'], unique=False,
                    schema='scoring')
    op.create_index(op.f('ix_score_version_period_id_seq'), 'score_version', ['period_id', 'seq'],
                    unique=False, schema='scoring')
    op.create_index(op.f('ix_score_version_period_id_score_set'), 'score_version', ['period_id', 'score_set'],
                    unique=False, schema='scoring')


def downgrade() -> None:
    op.drop_index(op.f('ix_score_version_period_id_score_set'), table_name='score_version', schema='scoring')
    op.drop_index(op.f('ix_score_version_period_id_seq'), table_name='score_version', schema='scoring')
    op.drop_index(op.f('ix_fact_copy_period_id_seq'), table_name='fact_copy', schema='scoring')
    op.drop_column('period', 'cache_epoch', schema='scoring')
    op.drop_column('score_version', 'seq', schema='scoring')
    op.drop_column('fact_copy', 'seq', schema='scoring')
    op.execute("DROP SEQUENCE IF EXISTS scoring.change_seq")
