"""Webhook payloads of the evidence API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kaohe.i18n import _, listed
from services.common.auth import ScopePath
from services.common.notify import EVENT_TYPES
from services.common.stored_text import Localized

MAX_TYPES = len(EVENT_TYPES)


def _known_types(value: list[str] | None) -> list[str] | None:
    if value is None:
        return None
    unknown = sorted(set(value) - set(EVENT_TYPES))
    if unknown:
        raise ValueError(_("unknown event type %(type)r; the types are %(types)s", type=unknown[0][:100],
                           types=listed(list(EVENT_TYPES))))
    return sorted(set(value))


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "name": "portal", "url": "https://hooks.example.org/kaohe", "scope_path": "city/district-a",
        "event_types": ["submission.returned", "submission.approved"]}]})

    name: str = Field(min_length=1, max_length=200)
    url: str = Field(min_length=1, max_length=2000)
    scope_path: ScopePath
    event_types: list[str] = Field(default_factory=list, max_length=MAX_TYPES, description="empty: every type")

    _types = field_validator("event_types")(_known_types)


class SubscriptionUpdate(BaseModel):
    """Only the fields given change; `paused: false` also re-enables a disabled subscription."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    url: str | None = Field(default=None, min_length=1, max_length=2000)
    event_types: list[str] | None = Field(default=None, max_length=MAX_TYPES)
    paused: bool | None = None

    _types = field_validator("event_types")(_known_types)


class SubscriptionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    url: str
    scope_path: str
    event_types: list[str]
    status: str
    disabled_reason: Localized | None
    failing_since: datetime | None
    consecutive_failures: int
    created_by: str
    created_at: datetime
    updated_at: datetime


class SubscriptionPage(BaseModel):
    items: list[SubscriptionRead]
    next: str | None = Field(description="Pass as `after` for the next page; null on the last one.")
    total_count: int = Field(description="How many subscriptions the caller's list holds.")


class SubscriptionCreated(SubscriptionRead):
    secret: str = Field(description="The signing secret (`whsec_…`), shown this once only.")


class SecretRotated(BaseModel):
    secret: str = Field(description="The new signing secret, shown this once only.")
    previous_expires_at: datetime | None = Field(description="Until when the previous secret still signs too.")


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    subscription_id: str
    event_id: uuid.UUID
    type: str
    state: str
    attempts: int
    response_status: int | None
    latency_ms: int | None
    last_error: Localized | None
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime
    delivered_at: datetime | None
    redelivery_of: int | None
    payload: dict[str, Any]


class DeliveryPage(BaseModel):
    items: list[DeliveryRead]
    next: str | None = Field(description="Pass as `after` for the next page; null on the last one.")
    total_count: int | None = Field(default=None, description="With `count=true`: how many the log holds.")
