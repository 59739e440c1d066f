"""Settings only the evidence service reads (prefix `KAOHE_EVIDENCE_`), kept apart from the shared ones."""

from __future__ import annotations

from datetime import time
from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class EvidenceSettings(BaseSettings):
    """Attachment limits, storage, review and journal defaults."""

    model_config = SettingsConfigDict(env_prefix="KAOHE_EVIDENCE_", extra="ignore", frozen=True)

    attachment_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1)
    # "" = local folder under data_dir/attachments; "s3://bucket/prefix?endpoint=http://host:9000&region=…"
    storage_url: str = ""
    s3_access_key: str = ""
    s3_secret_key: str = ""
    review_deadline_working_days: int = Field(default=5, ge=1, le=60)
    sweep_interval_seconds: float = Field(default=300.0, ge=1.0)
    scoring_cache_seconds: float = Field(default=30.0, ge=0.0)
    journal_due_weekday: int = Field(default=1, ge=1, le=7)  # ISO weekday of the week after: Monday
    journal_due_time: time = time(23, 59, 59)
    makeup_working_days: int = Field(default=5, ge=1)
    appeal_window_days: int = Field(default=10, ge=1)
    appeal_answer_days: int = Field(default=10, ge=1)


@lru_cache(maxsize=1)
def evidence_settings() -> EvidenceSettings:
    """The evidence settings (read once)."""
    return EvidenceSettings()
