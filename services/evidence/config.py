"""Settings only the evidence service reads (prefix `KAOHE_EVIDENCE_`), kept apart from the shared ones."""

from __future__ import annotations

from datetime import time
from functools import lru_cache

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from kaohe.i18n import localize, separated
from services.common.settings import ConfigError, SecretFileSettings, Settings, example_secret_problem


class EvidenceSettings(SecretFileSettings):
    """Attachment limits, storage, review and journal defaults."""

    model_config = SettingsConfigDict(env_prefix="KAOHE_EVIDENCE_", extra="ignore", frozen=True)
    secret_file_fields = ("s3_access_key", "s3_secret_key")  # each also from KAOHE_EVIDENCE_<NAME>_FILE

    attachment_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1,
                                      description="Largest attachment accepted, in bytes.")
    attachments_per_submission: int = Field(default=20, ge=1, le=1000, description=(
        "Most attachments one submission may have."))
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
        "How long periods and subjects read from scoring are cached (a write reads its period's status afresh)."))
    journal_due_weekday: int = Field(default=1, ge=1, le=7, description=(
        "ISO weekday of the following week by which a weekly journal is due (1 = Monday)."))
    journal_due_time: time = Field(default=time(23, 59, 59), description="Local time on that day.")
    makeup_working_days: int = Field(default=5, ge=1, description=(
        "Working days after an excused absence ends during which a journal can be made up."))
    late_makeup_working_days: int = Field(default=5, ge=1, le=60, description=(
        "Working days an approved make-up (补报) lets a subject's late evidence in, once the period's collection "
        "closed."))
    rectification_grace_days: int = Field(default=30, ge=0, le=366, description=(
        "Days after a period's last day that a rectification notice's deadline may reach (the period's grace)."))
    appeal_window_days: int = Field(default=10, ge=1, le=60, description=(
        "Working days during which a fact can be appealed (申诉), counted from the later of the period's latest 公示 "
        "and the fact's last change, the day not counted, to the end of the last one (local time); before the 公示 "
        "a fact can always be appealed."))
    appeal_answer_days: int = Field(default=10, ge=1, le=60, description=(
        "Working days the office has to answer an appeal, counted from the day it is filed (not counted) to the end "
        "of the last one (local time); a later answer is recorded as late."))
    webhook_allowed_hosts: str = Field(default="", description=(
        "Hosts webhooks may be sent to, a comma list (`hooks.example.org`, `*.partner.cn`); empty: any public "
        "host in development, none in production."))
    webhook_allowed_networks: str = Field(default="", description=(
        "Private, loopback or link-local networks webhooks may reach all the same, a comma list of CIDRs "
        "(`10.20.0.0/16`); empty: public addresses only."))
    webhook_subscriptions_per_scope: int = Field(default=20, ge=1, le=1000, description=(
        "Most webhook subscriptions on one scope (organisation path); one more is refused (409, details.limit)."))
    webhook_test_pending_per_subscription: int = Field(default=3, ge=1, le=100, description=(
        "Most test deliveries (`sendTestWebhook`) a subscription may have pending; one more is refused (409)."))
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60, description=(
        "How long one webhook request may take (connect 2 s of it); slower counts as a failure."))
    webhook_retry_hours: float = Field(default=24.0, ge=24, le=24 * 14, description=(
        "How long a delivery is retried (exponential backoff with jitter) before it is given up."))
    webhook_disable_after_hours: float = Field(default=72.0, ge=24, le=24 * 30, description=(
        "A subscription whose deliveries all failed for this long is disabled (event `webhook.disabled`)."))
    webhook_secret_overlap_hours: float = Field(default=24.0, ge=0, le=24 * 30, description=(
        "After a secret rotation, how long the old secret still signs next to the new one."))
    webhook_concurrency: int = Field(default=32, ge=1, le=1000, description=(
        "Webhook requests in flight per evidence process."))
    webhook_per_subscription: int = Field(default=4, ge=1, le=100, description=(
        "Webhook requests in flight per subscription, so a slow receiver holds at most this many slots."))


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
        raise ConfigError(separated(localize(problem) for problem in problems))


@lru_cache(maxsize=1)
def evidence_settings() -> EvidenceSettings:
    """The evidence settings (read once)."""
    return EvidenceSettings()
