"""stored texts without a language: a period's stale reason and its publication's calendar note

Both were English sentences written when the period went stale or was published; they are now JSONB holding a
message code and its parameters (services/common/stored_text.py), rendered in the reader's language. The
sentences kaohe wrote before are turned into their codes (read back from their fixed English wording); any other
text is kept as it was written ({"text": …}) and shown as it is. The rows' digests change with the column type, so
every row of ranked_period is recorded again in the audit chain (as ranking_0006 did).

Revision ID: ranking_0007
Revises: ranking_0006
Create Date: 2026-12-07 12:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.common.audit import seal_migration
from services.common.audit_rows import AuditedTable

revision: str = 'ranking_0007'
down_revision: str | None = 'ranking_0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = 'ranking'
TABLES = (AuditedTable('ranked_period', volatile=('results_token',)),)

# the sentences as ranking wrote them up to this revision (services/ranking/periods/publication.py, services/common/
# workcalendar.py), and the message each becomes
STALE = r'^results changed after the 公示 of (\d{4}-\d{2}-\d{2}) \(publication (\d+)\): (.*)$'
FROZEN = 'scores changed after 审定 (finalized); reopen the period to take them'
NOTE = r'^no holiday arrangement is loaded for ([0-9, ]+): its working days were counted Monday to Friday \(holidays and 调休 ignored\)$'  # noqa: E501


def _count(column: str, what: str) -> str:
    return f"coalesce((regexp_match({column}, '(\\d+) {what}'))[1]::int, 0)"


STALE_USING = f"""CASE
    WHEN stale_reason IS NULL THEN NULL
    WHEN stale_reason = '{FROZEN}' THEN jsonb_build_object('code', 'publication.stale_after_finalization',
                                                            'params', '{{}}'::jsonb)
    WHEN stale_reason ~ '{STALE}' THEN jsonb_build_object('code', 'publication.stale', 'params', jsonb_build_object(
        'day', (regexp_match(stale_reason, '{STALE}'))[1],
        'publication', (regexp_match(stale_reason, '{STALE}'))[2]::int,
        'changed', {_count("(regexp_match(stale_reason, '" + STALE + "'))[3]", 'changed')},
        'added', {_count("(regexp_match(stale_reason, '" + STALE + "'))[3]", 'added')},
        'removed', {_count("(regexp_match(stale_reason, '" + STALE + "'))[3]", 'removed')}))
    ELSE jsonb_build_object('text', stale_reason) END"""
NOTE_USING = f"""CASE
    WHEN publication_calendar_note IS NULL THEN NULL
    WHEN publication_calendar_note ~ '{NOTE}' THEN jsonb_build_object('code', 'calendar.counted_monday_to_friday',
        'params', jsonb_build_object('years', (regexp_match(publication_calendar_note, '{NOTE}'))[1]))
    ELSE jsonb_build_object('text', publication_calendar_note) END"""


def upgrade() -> None:
    op.execute(f'ALTER TABLE {SCHEMA}.ranked_period ALTER COLUMN stale_reason TYPE jsonb USING {STALE_USING}')
    op.execute(f'ALTER TABLE {SCHEMA}.ranked_period ALTER COLUMN publication_calendar_note TYPE jsonb '
               f'USING {NOTE_USING}')
    seal_migration(op.get_bind(), SCHEMA, f"migration:{revision}", TABLES)


def _english(value: str | None) -> str | None:
    return None if value is None else str(value)


def downgrade() -> None:
    from services.common.stored_text import from_json

    connection = op.get_bind()
    rows = connection.execute(sa.text(f'SELECT id, stale_reason, publication_calendar_note FROM {SCHEMA}.ranked_period '
                                      'WHERE stale_reason IS NOT NULL OR publication_calendar_note IS NOT NULL')).all()
    op.execute(f"ALTER TABLE {SCHEMA}.ranked_period ALTER COLUMN stale_reason TYPE text USING stale_reason->>'text'")
    op.execute(f"ALTER TABLE {SCHEMA}.ranked_period ALTER COLUMN publication_calendar_note TYPE varchar(300) "
               "USING left(publication_calendar_note->>'text', 300)")
    for period_id, reason, note in rows:  # the English sentence of each message
        connection.execute(sa.text(f'UPDATE {SCHEMA}.ranked_period SET stale_reason = :reason, '
                                   'publication_calendar_note = :note WHERE id = :id'),
                           {"id": period_id, "reason": _english(from_json(reason)),
                            "note": (_english(from_json(note)) or "")[:300] or None})
    seal_migration(connection, SCHEMA, f"migration:{revision}:downgrade", TABLES)
