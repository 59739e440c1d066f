"""Settings only the evidence service reads (prefix `KAOHE_EVIDENCE_`), kept apart from the shared ones."""

from __future__ import annotations

from datetime import time
from functools import lru_cache

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common.settings import ConfigError, Settings, example_secret_problem


class EvidenceSettings(BaseSettings):
    """Attachment limits, storage, review and journal defaults."""

    model_config = SettingsConfigDict(env_prefix="KAOHE_EVIDENCE_", extra="ignore", frozen=True)

    attachment_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1,
                                      description="Largest attachment accepted, in bytes.")
    storage_url: str = Field(default="", description=(
        "Attachment storage: empty = DATA_DIR/attachments, file:///folder, or "
        "s3://bucket/prefix?endpoint=http://host:9000&region=us-east-1."))
    s3_access_key: str = Field(default="", description="Access key of the S3-compatible store.")
    s3_secret_key: SecretStr | None = Field(default=None, description="Secret key of the S3-compatible store.")
    review_deadline_working_days: int = Field(default=5, ge=1, le=60, description=(
        "Working days a review level has when no chain is configured."))
    sweep_interval_seconds: float = Field(default=300.0, ge=1.0, description=(
        "How often deadlines (reviews, journals, rating tasks, notices) are swept."))
    scoring_cache_seconds: float = Field(default=30.0, ge=0.0, description=(
        "How long periods and subjects read from scoring are cached."))
    journal_due_weekday: int = Field(default=1, ge=1, le=7, description=(
        "ISO weekday of the following week by which a weekly journal is due (1 = Monday)."))
    journal_due_time: time = Field(default=time(23, 59, 59), description="Local time on that day.")
    makeup_working_days: int = Field(default=5, ge=1, description=(
        "Working days after an excused absence ends during which a journal can be made up."))
    appeal_window_days: int = Field(default=10, ge=1, description="Days after a fact during which it can be appealed.")
    appeal_answer_days: int = Field(default=10, ge=1, description="Days the office has to answer an appeal.")


def production_problems(settings: Settings, conf: EvidenceSettings) -> list[str]:
    """The evidence settings production refuses: the object store's secret from an example."""
    if settings.environment != "production" or conf.s3_secret_key is None:
        return []
    problem = example_secret_problem("KAOHE_EVIDENCE_S3_SECRET_KEY", conf.s3_secret_key.get_secret_value())
    return [problem] if problem else []


def refuse_unsafe(settings: Settings) -> None:
    """Stop the evidence service's start-up on a setting production refuses (one line naming it)."""
    problems = production_problems(settings, evidence_settings())
    if problems:
        raise ConfigError("; ".join(problems))


@lru_cache(maxsize=1)
def evidence_settings() -> EvidenceSettings:
    """The evidence settings (read once)."""
    return EvidenceSettings()
