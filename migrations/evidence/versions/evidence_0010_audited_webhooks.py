"""audited webhooks: the subscriptions and their signing secrets are audited rows

Every write of webhook_subscription and webhook_secret now leaves the row's digest in the audit chain, as the
tables of evidence_0008 do (services/common/audit_rows.py): a subscription redirected or a secret replaced behind
the service's back shows at verification. A record holds the digest of the row, never the secret itself. The
failure count of a subscription (failing_since, consecutive_failures) is scheduling state, left out of the digest.
Every existing row is recorded here once (a baseline).

Revision ID: evidence_0010
Revises: evidence_0009
Create Date: 2026-12-07 15:30:00
"""
from collections.abc import Sequence

from alembic import op

from services.common.audit import seal_migration
from services.common.audit_rows import AuditedTable, drop_trigger_sql, trigger_sql

revision: str = 'evidence_0010'
down_revision: str | None = 'evidence_0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = 'evidence'
# the tables as this revision adds them (services/common/audit_rows.py AUDITED may grow later)
TABLES = (
    AuditedTable('webhook_subscription', volatile=('failing_since', 'consecutive_failures')),
    AuditedTable('webhook_secret'),
)


def upgrade() -> None:
    for statement in trigger_sql(SCHEMA, TABLES):
        op.execute(statement)
    seal_migration(op.get_bind(), SCHEMA, f"migration:{revision}", TABLES)


def downgrade() -> None:
    for statement in drop_trigger_sql(SCHEMA, TABLES):
        op.execute(statement)
