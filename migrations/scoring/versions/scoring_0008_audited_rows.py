"""audited rows: every write of an audited table leaves the row's digest in the audit chain

A statement-level trigger on each table below notes the key and SHA-256 of every row an INSERT, UPDATE or
DELETE writes in audit_touched; the service's commit seals the notes into the chain as row.write/row.delete
records (services/common/audit_rows.py). Every existing row is recorded here once (a baseline), so that
verification can compare every live row with its last record from now on.

Revision ID: scoring_0008
Revises: scoring_0007
Create Date: 2026-12-07 06:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.common.audit import seal_migration
from services.common.audit_rows import AuditedTable, install_sql, uninstall_sql

revision: str = 'scoring_0008'
down_revision: str | None = 'scoring_0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = 'scoring'
# the tables as this revision installs them (services/common/audit_rows.py AUDITED may grow later)
TABLES = (
    AuditedTable('unit'),
    AuditedTable('person'),
    AuditedTable('api_key', volatile=('last_used_at',)),
    AuditedTable('scheme'),
    AuditedTable('scheme_version'),
    AuditedTable('period', volatile=('recompute_due_at', 'pending_causes')),
    AuditedTable('period_subject'),
    AuditedTable('score_version'),
)


def upgrade() -> None:
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
