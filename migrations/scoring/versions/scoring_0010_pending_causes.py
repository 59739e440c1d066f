"""pending causes: which subject's facts each applied fact change changed

Each applied fact change notes its event and the subject of its fact; the next recompute takes them and names, as
the cause of a subject's new score versions, only the events that changed that subject's facts (a bulk upload
named every event of the file on every subject's version before).

Revision ID: scoring_0010
Revises: scoring_0009
Create Date: 2026-12-07 21:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'scoring_0010'
down_revision: str | None = 'scoring_0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('pending_cause',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('period_id', sa.String(length=64), nullable=False),
    sa.Column('subject_id', sa.String(length=64), nullable=False),
    sa.Column('cause', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_cause')),
    schema='scoring'
    )
    op.create_index(op.f('ix_pending_cause_period_id_id'), 'pending_cause', ['period_id', 'id'], unique=False,
                    schema='scoring')


def downgrade() -> None:
    op.drop_index(op.f('ix_pending_cause_period_id_id'), table_name='pending_cause', schema='scoring')
    op.drop_table('pending_cause', schema='scoring')
