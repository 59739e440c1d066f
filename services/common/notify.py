"""Events for integrators (issue 18): what happened, about which entity, in which unit.

A service calls `publish` inside the transaction that makes the change; the notices are handed over just
before commit (a before-commit hook, `install_notify`). The evidence service keeps the event log, the webhook
subscriptions and their deliveries (services/evidence/webhooks/): there the hook writes the notices straight
into its log; scoring and ranking put them into their outbox for evidence (topic `notify`), so they reach the
log at least once and are recorded once (the notice's id is the key).

A notice carries ids, never a document: whoever receives it fetches the entity through the gateway, where
access is checked. `unit_path` is the unit the entity belongs to: subscribers receive only notices about
units inside their scope.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock
from services.common.db import Database, pending

TOPIC = "notify"  # the outbox topic that carries notices to the event log (evidence)
LOG_SERVICE = "evidence"  # the service that keeps the event log
_PENDING = "notify_pending"
NAMESPACE = uuid.UUID("5b0c7d4e-3f1a-4d8e-9a61-2f0c1e7b9d18")  # ids of notices a sweep may raise again

# Every event type, with the GraphQL type its entity is fetched as, and what it means.
EVENT_TYPES: dict[str, tuple[str, str]] = {
    "submission.submitted": ("Submission", "a submission (or a new version of it) awaits review"),
    "submission.returned": ("Submission", "a reviewer returned a submission for correction"),
    "submission.rejected": ("Submission", "a reviewer rejected a submission"),
    "submission.approved": ("Submission", "a submission passed its last review level; its value is a fact"),
    "submission.revoked": ("Submission", "the approval of a submission was revoked"),
    "review.due_soon": ("Submission", "a review level's deadline is less than a day away"),
    "review.overdue": ("Submission", "a review level's deadline passed without a decision (taken as agreeing)"),
    "journal.missing": ("Journal", "a weekly journal was not submitted by its deadline"),
    "rating_task.opened": ("RatingTask", "a rating task (民主测评) was opened to its raters"),
    "rating_task.closing": ("RatingTask", "a rating task closes in less than a day"),
    "rating_task.closed": ("RatingTask", "a rating task was closed"),
    "rectification.issued": ("RectificationNotice", "a rectification notice (问题整改单) was issued"),
    "rectification.answered": ("RectificationNotice", "a rectification notice received its feedback"),
    "rectification.overdue": ("RectificationNotice", "a rectification notice passed its deadline"),
    "appeal.filed": ("Appeal", "an appeal (申诉) against a fact was filed"),
    "appeal.answered": ("Appeal", "an appeal was answered"),
    "results.computed": ("Period", "a period's ranking was (re)computed"),
    "results.changed_after_publication": ("Period", "results changed after they were published (公示)"),
    "publication.opened": ("Period", "a period's results were published (公示) for a window"),
    "publication.closed": ("Period", "a period's publication window ended with its approval (审定)"),
    "objection.filed": ("Objection", "an objection to a published result was filed"),
    "objection.answered": ("Objection", "an objection was answered"),
    "period.finalised": ("Period", "a period was approved (审定) and frozen"),
    "period.reopened": ("Period", "a finalised period was reopened"),
    "webhook.disabled": ("WebhookSubscription", "a webhook subscription was disabled after sustained failures"),
    "webhook.test": ("WebhookSubscription", "a test event asked for through the API"),
}


def node_id(type_name: str, entity_id: str) -> str:
    """The entity's GraphQL node id: base64 of `Type:id` (the Relay convention)."""
    return base64.b64encode(f"{type_name}:{entity_id}".encode()).decode()


@dataclass(frozen=True)
class Notice:
    """One event about one entity; `subject_id` is the assessed subject it concerns, when there is one."""

    id: str
    type: str
    entity_id: str
    unit_path: str
    occurred_at: str
    period_id: str | None = None
    subject_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def entity_type(self) -> str:
        return EVENT_TYPES[self.type][0]

    @property
    def ordering_key(self) -> str:
        """Notices about the same entity are delivered to a subscriber in the order they happened."""
        return f"{self.entity_type}:{self.entity_id}"

    def data(self) -> dict[str, Any]:
        """The `data` of the webhook payload: ids and the node id, nothing of the document."""
        body: dict[str, Any] = {"id": self.entity_id, "node_id": node_id(self.entity_type, self.entity_id),
                                "entity_type": self.entity_type, "unit_path": self.unit_path}
        if self.period_id is not None:
            body["period_id"] = self.period_id
        if self.subject_id is not None:
            body["subject_id"] = self.subject_id
        return {**self.extra, **body}

    def to_json(self) -> dict[str, Any]:
        """The fields as `dataclasses.asdict` gives them (`extra` holds scalars: a shallow copy is a deep one)."""
        return {**{f.name: getattr(self, f.name) for f in _FIELDS}, "extra": dict(self.extra)}

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Notice:
        extra = value.get("extra") or {}
        if value.get("type") not in EVENT_TYPES:
            raise ValueError(f"unknown event type {value.get('type')!r}")
        return cls(id=str(uuid.UUID(str(value["id"]))), type=str(value["type"]), entity_id=str(value["entity_id"]),
                   unit_path=str(value.get("unit_path") or ""), occurred_at=str(value["occurred_at"]),
                   period_id=value.get("period_id"), subject_id=value.get("subject_id"),
                   extra={str(k): v for k, v in dict(extra).items()})


_FIELDS = fields(Notice)


def publish(session: AsyncSession, type: str, *, entity_id: str, unit_path: str, period_id: str | None = None,
            subject_id: str | None = None, once: str | None = None, at: datetime | None = None,
            **extra: Any) -> Notice:
    """Announce an event in the current transaction. `once` makes the notice's id a function of the text
    given (a sweep that meets the same deadline twice raises one event); `at` is when it happened (default: now
    in business time, services/common/clock.py); `extra` holds small scalars only."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    notice_id = uuid.uuid5(NAMESPACE, f"{type}:{once}") if once is not None else uuid.uuid4()
    notice = Notice(id=str(notice_id), type=type, entity_id=str(entity_id), unit_path=unit_path,
                    occurred_at=(at or clock.now()).astimezone(UTC).isoformat(), period_id=period_id,
                    subject_id=subject_id, extra={k: v for k, v in extra.items() if v is not None})
    pending(session, _PENDING).append(notice)
    return notice


def accept(session: AsyncSession, payload: dict[str, Any]) -> Notice:
    """A notice another service sent (topic `notify`), handed to this service's sink at commit."""
    notice = Notice.from_json(payload)
    pending(session, _PENDING).append(notice)
    return notice


Sink = Callable[[AsyncSession, list[Notice]], Awaitable[None]]


def install_notify(db: Database, sink: Sink) -> None:
    """Hand this database's notices to `sink` just before each commit (once per database)."""
    if any(getattr(hook, "notify_sink", False) for hook in db.before_commit):
        return

    async def hand_over(session: AsyncSession) -> None:
        notices: list[Notice] = session.info.pop(_PENDING, [])
        if notices:
            await sink(session, notices)

    hand_over.notify_sink = True  # type: ignore[attr-defined]
    db.before_commit.append(hand_over)


def outbox_sink(model: Any) -> Sink:
    """The sink of scoring and ranking: each notice goes to evidence's event log through the outbox."""
    from services.common.outbox import enqueue

    async def sink(session: AsyncSession, notices: list[Notice]) -> None:
        for notice in notices:
            enqueue(session, model, destination=LOG_SERVICE, topic=TOPIC, payload=notice.to_json())
        await session.flush()

    return sink
