"""audited notices, journals and ratings; a notice keeps its period's label; deliveries outlive a subscription

Every write of rectification_notice (whose follow-up becomes a fact), journal_roster, journal_week, rating_task,
rating_rater, rating_subject and rating_ballot now leaves the row's digest in the audit chain, as the tables of
evidence_0008 and evidence_0010 do (services/common/audit_rows.py); every existing row is recorded here once (a
baseline). A ballot's record holds the row's digest only, never its grade.

rectification_notice.period_label is the label of the notice's period when it was issued (2026-Q1…): its
follow-up fact counts for that period even when dated after its last day (the fact's `period`).

webhook_delivery no longer refers to webhook_subscription by a foreign key: deleting a subscription keeps its
delivery log (the deliveries keep its id) for the audit, and its pending deliveries are given up by the service.

Revision ID: evidence_0011
Revises: evidence_0010
Create Date: 2026-12-07 18:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.common.audit import seal_migration
from services.common.audit_rows import AuditedTable, drop_trigger_sql, trigger_sql

revision: str = 'evidence_0011'
down_revision: str | None = 'evidence_0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = 'evidence'
# the tables as this revision adds them (services/common/audit_rows.py AUDITED may grow later)
TABLES = (
    AuditedTable('rectification_notice'),
    AuditedTable('journal_roster'),
    AuditedTable('journal_week'),
    AuditedTable('rating_task'),
    AuditedTable('rating_rater'),
    AuditedTable('rating_subject'),
    AuditedTable('rating_ballot'),
)
DELIVERY_FK = 'fk_webhook_delivery_subscription_id_webhook_subscription'


def upgrade() -> None:
    op.add_column('rectification_notice', sa.Column('period_label', sa.String(length=100), server_default='',
                                                    nullable=False), schema=SCHEMA)
    op.drop_constraint(DELIVERY_FK, 'webhook_delivery', type_='foreignkey', schema=SCHEMA)
    for statement in trigger_sql(SCHEMA, TABLES):
        op.execute(statement)
    seal_migration(op.get_bind(), SCHEMA, f"migration:{revision}", TABLES)


def downgrade() -> None:
    for statement in drop_trigger_sql(SCHEMA, TABLES):
        op.execute(statement)
    op.execute(f'DELETE FROM "{SCHEMA}".webhook_delivery d WHERE NOT EXISTS '
               f'(SELECT 1 FROM "{SCHEMA}".webhook_subscription s WHERE s.id = d.subscription_id)')
    op.create_foreign_key(DELIVERY_FK, 'webhook_delivery', 'webhook_subscription', ['subscription_id'], ['id'],
                          source_schema=SCHEMA, referent_schema=SCHEMA, ondelete='CASCADE')
    op.drop_column('rectification_notice', 'period_label', schema=SCHEMA)
