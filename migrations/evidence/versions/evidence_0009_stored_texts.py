"""stored texts without a language: a deadline's calendar note, kaohe's review reasons, webhook failures

Sentences kaohe wrote in one language (a submission's level_due_note, the reason of a level agreed by default or
approved on upload, a webhook delivery's last error and a subscription's disabled reason) are now JSONB holding a
message code and its parameters (services/common/stored_text.py), rendered in the reader's language. The sentences
written before are turned into their codes where their fixed wording is recognised; any other text (a reviewer's
own reason, an error text of an older version) is kept as written ({"text": …}) and shown as it is. The digests of
submission and review_decision rows change with the column type, so their rows are recorded again in the audit
chain (as evidence_0008 did).

Revision ID: evidence_0009
Revises: evidence_0008
Create Date: 2026-12-07 12:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.common.audit import seal_migration
from services.common.audit_rows import AuditedTable

revision: str = 'evidence_0009'
down_revision: str | None = 'evidence_0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = 'evidence'
TABLES = (AuditedTable('submission'), AuditedTable('review_decision'))

# the sentences as evidence wrote them up to this revision, and the message each becomes
NOTE = r'^no holiday arrangement is loaded for ([0-9, ]+): its working days were counted Monday to Friday \(holidays and 调休 ignored\)$'  # noqa: E501
DEFAULT_AGREE = 'deadline passed without action: taken as agreeing'
ON_UPLOAD = '批量导入：上传者即各级审核人'
HTTP_STATUS = r'^HTTP (\d{3})$'

NOTE_USING = f"""CASE
    WHEN level_due_note IS NULL THEN NULL
    WHEN level_due_note ~ '{NOTE}' THEN jsonb_build_object('code', 'calendar.counted_monday_to_friday',
        'params', jsonb_build_object('years', (regexp_match(level_due_note, '{NOTE}'))[1]))
    ELSE jsonb_build_object('text', level_due_note) END"""
REASON_USING = f"""CASE
    WHEN action = 'default_agree' AND reason = '{DEFAULT_AGREE}'
        THEN jsonb_build_object('code', 'review.default_agree', 'params', '{{}}'::jsonb)
    WHEN reason = '{ON_UPLOAD}' THEN jsonb_build_object('code', 'review.approved_on_upload', 'params', '{{}}'::jsonb)
    ELSE jsonb_build_object('text', reason) END"""
ERROR_USING = f"""CASE
    WHEN last_error IS NULL THEN NULL
    WHEN last_error ~ '{HTTP_STATUS}' THEN jsonb_build_object('code', 'webhook.http_status',
        'params', jsonb_build_object('status', (regexp_match(last_error, '{HTTP_STATUS}'))[1]::int))
    ELSE jsonb_build_object('text', last_error) END"""


def upgrade() -> None:
    op.execute(f'ALTER TABLE {SCHEMA}.submission ALTER COLUMN level_due_note TYPE jsonb USING {NOTE_USING}')
    op.execute(f'ALTER TABLE {SCHEMA}.review_decision ALTER COLUMN reason TYPE jsonb USING {REASON_USING}')
    op.execute(f'ALTER TABLE {SCHEMA}.webhook_delivery ALTER COLUMN last_error TYPE jsonb USING {ERROR_USING}')
    op.execute(f'ALTER TABLE {SCHEMA}.webhook_subscription ALTER COLUMN disabled_reason TYPE jsonb '
               "USING CASE WHEN disabled_reason IS NULL THEN NULL ELSE jsonb_build_object('text', disabled_reason) END")
    seal_migration(op.get_bind(), SCHEMA, f"migration:{revision}", TABLES)


COLUMNS = (('submission', 'level_due_note', 'id', 'varchar(300)', 300), ('review_decision', 'reason', 'id', 'text', None),
           ('webhook_delivery', 'last_error', 'id', 'text', None),
           ('webhook_subscription', 'disabled_reason', 'id', 'text', None))


def _english(value: str | None, limit: int | None) -> str | None:
    return None if value is None else str(value)[:limit] if limit else str(value)


def downgrade() -> None:
    from services.common.stored_text import from_json

    connection = op.get_bind()
    for table, column, key, kind, limit in COLUMNS:
        rows = connection.execute(sa.text(f"SELECT {key}, {column} FROM {SCHEMA}.{table} "  # noqa: S608 - our names
                                          f"WHERE {column} IS NOT NULL AND {column}->>'text' IS NULL")).all()
        kept = f"coalesce({column}->>'text', '')"  # a message's English is written below
        op.execute(f"ALTER TABLE {SCHEMA}.{table} ALTER COLUMN {column} TYPE {kind} USING CASE WHEN {column} IS NULL "
                   f"THEN NULL ELSE {f'left({kept}, {limit})' if limit else kept} END")
        for row_key, stored in rows:  # the English sentence of each message
            connection.execute(sa.text(f"UPDATE {SCHEMA}.{table} SET {column} = :value WHERE {key} = :key"),  # noqa: S608
                               {"key": row_key, "value": _english(from_json(stored), limit)})
    seal_migration(connection, SCHEMA, f"migration:{revision}:downgrade", TABLES)
