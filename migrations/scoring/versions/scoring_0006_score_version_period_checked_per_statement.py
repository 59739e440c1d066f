"""score versions: the period they name is checked once per statement, not once per row

The foreign key from score_version.period_id to period.id ran one check query per inserted row:
~230 ms of the ~650 ms PostgreSQL spends ingesting a first recompute's 65,000 versions at 5,000 staff
(docs/performance.md as it was before issue 16, in git history,, "Fourth pass"). It is replaced by two triggers that keep the same rule
(docs/decisions.md, "Score versions: the period checked per statement"):

- after each INSERT (or COPY) statement into score_version, the distinct periods of the new rows are
  locked FOR KEY SHARE, as the foreign key's check locked them, and the statement fails with
  foreign_key_violation (SQLSTATE 23503) when one of them does not exist;
- a period whose id is deleted or changed while score versions name it fails the same way, after the
  row is deleted or updated (as the foreign key's NO ACTION check ran after it).

Revision ID: scoring_0006
Revises: scoring_0005
Create Date: 2026-11-21 12:20:00
"""
from collections.abc import Sequence

from alembic import op


revision: str = 'scoring_0006'
down_revision: str | None = 'scoring_0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INSERT_CHECK = """
CREATE FUNCTION scoring.score_version_periods_exist() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing text;
BEGIN
    PERFORM 1 FROM scoring.period p WHERE p.id IN (SELECT DISTINCT n.period_id FROM new_versions n)
        ORDER BY p.id FOR KEY SHARE OF p;
    SELECT n.period_id INTO missing FROM (SELECT DISTINCT period_id FROM new_versions) n
        WHERE NOT EXISTS (SELECT 1 FROM scoring.period p WHERE p.id = n.period_id) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert or update on table "score_version" violates foreign key constraint "fk_score_version_period_id_period"'
            USING ERRCODE = 'foreign_key_violation', DETAIL = format('Key (period_id)=(%s) is not present in table "period".', missing);
    END IF;
    RETURN NULL;
END $$
"""

PERIOD_CHECK = """
CREATE FUNCTION scoring.period_without_score_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (TG_OP = 'DELETE' OR NEW.id IS DISTINCT FROM OLD.id)
            AND EXISTS (SELECT 1 FROM scoring.score_version v WHERE v.period_id = OLD.id) THEN
        RAISE EXCEPTION 'update or delete on table "period" violates foreign key constraint "fk_score_version_period_id_period" on table "score_version"'
            USING ERRCODE = 'foreign_key_violation', DETAIL = format('Key (id)=(%s) is still referenced from table "score_version".', OLD.id);
    END IF;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.drop_constraint('fk_score_version_period_id_period', 'score_version', schema='scoring', type_='foreignkey')
    op.execute(INSERT_CHECK)
    op.execute("CREATE TRIGGER score_version_periods_exist AFTER INSERT ON scoring.score_version "
               "REFERENCING NEW TABLE AS new_versions FOR EACH STATEMENT "
               "EXECUTE FUNCTION scoring.score_version_periods_exist()")
    op.execute(PERIOD_CHECK)
    op.execute("CREATE TRIGGER period_without_score_versions AFTER DELETE OR UPDATE OF id ON scoring.period "
               "FOR EACH ROW EXECUTE FUNCTION scoring.period_without_score_versions()")


def downgrade() -> None:
    op.execute("DROP TRIGGER period_without_score_versions ON scoring.period")
    op.execute("DROP FUNCTION scoring.period_without_score_versions()")
    op.execute("DROP TRIGGER score_version_periods_exist ON scoring.score_version")
    op.execute("DROP FUNCTION scoring.score_version_periods_exist()")
    op.create_foreign_key('fk_score_version_period_id_period', 'score_version', 'period', ['period_id'], ['id'],
                          source_schema='scoring', referent_schema='scoring')
