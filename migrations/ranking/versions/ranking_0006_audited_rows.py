"""audited rows: every write of an audited table leaves the row's digest in the audit chain; chain heads

Every 公示 (publication) and 审定 (period_snapshot) keeps the heads of the three audit chains (chain_heads).

A statement-level trigger on each table below notes the key and SHA-256 of every row an INSERT, UPDATE or
DELETE writes in audit_touched; the service's commit seals the notes into the chain as row.write/row.delete
records (services/common/audit_rows.py). Every existing row is recorded here once (a baseline), so that
verification can compare every live row with its last record from now on.

Revision ID: ranking_0006
Revises: ranking_0005
Create Date: 2026-12-07 06:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.common.audit import seal_migration
from services.common.audit_rows import AuditedTable, install_sql, uninstall_sql

revision: str = 'ranking_0006'
down_revision: str | None = 'ranking_0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = 'ranking'
# the tables as this revision installs them (services/common/audit_rows.py AUDITED may grow later)
TABLES = (
    AuditedTable('ranked_period', volatile=('results_token',)),
    AuditedTable('subject_result'),
    AuditedTable('publication'),
    AuditedTable('publication_entry', key=('publication_id', 'position')),
    AuditedTable('period_snapshot'),
    AuditedTable('period_reopening'),
    AuditedTable('objection'),
)


def upgrade() -> None:
    # the heads of the three audit chains written into every 公示 and 审定 (before the rows are recorded)
    op.add_column('publication', sa.Column('chain_heads', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
                  schema=SCHEMA)
    op.add_column('period_snapshot', sa.Column('chain_heads', postgresql.JSONB(astext_type=sa.Text()),
                                               nullable=True), schema=SCHEMA)
    op.create_table('audit_touched',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('tx', sa.BigInteger(), server_default=sa.text('txid_current()'), nullable=False),
    sa.Column('table_name', sa.String(length=100), nullable=False),
    sa.Column('row_key', sa.Text(), nullable=False),
    sa.Column('row_digest', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_touched')),
    schema=SCHEMA
    )
    op.create_index(op.f('ix_audit_touched_tx'), 'audit_touched', ['tx'], unique=False, schema=SCHEMA)
    # the records of one audited table's rows (services/common/audit_rows.py verify_rows)
    op.create_index('ix_audit_record_row', 'audit_record', ['entity_type', 'entity_id', 'id'], unique=False,
                    schema=SCHEMA, postgresql_where=sa.text("action IN ('row.write', 'row.delete')"))
    for statement in install_sql(SCHEMA, TABLES):
        op.execute(statement)
    seal_migration(op.get_bind(), SCHEMA, f"migration:{revision}", TABLES)


def downgrade() -> None:
    for statement in uninstall_sql(SCHEMA, TABLES):
        op.execute(statement)
    op.drop_index('ix_audit_record_row', table_name='audit_record', schema=SCHEMA)
    op.drop_index(op.f('ix_audit_touched_tx'), table_name='audit_touched', schema=SCHEMA)
    op.drop_table('audit_touched', schema=SCHEMA)
    op.drop_column('period_snapshot', 'chain_heads', schema=SCHEMA)
    op.drop_column('publication', 'chain_heads', schema=SCHEMA)
