"""What evidence learns from scoring: a period's indicators and status, and subjects' unit paths.

One pooled httpx client, the SYSTEM service token (evidence enforces scopes itself on what it
returns), and a small TTL cache so a burst of submissions costs one call per period.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any

import httpx
from fastapi import Depends, Request

from kaohe.i18n import _
from services.common.auth import Principal
from services.common.errors import InvalidInput
from services.common.peers import peer_client, segment, system_get
from services.common.settings import get_settings
from services.evidence.config import evidence_settings


@dataclass(frozen=True)
class PeriodInfo:
    id: str
    scheme_id: str
    status: str
    fact_kinds: dict[str, str | None]  # indicator code → the fact kind it reads
    documents: dict[str, tuple[str, ...]] = field(default_factory=dict)  # indicator code → required documents
    label: str = ""  # the period's label: 2026, 2026-Q1… (scheme-reference §1), which bounds its facts' months
    owner_path: str = ""  # the office that runs the period (scoring's owner_path)
    rule_kinds: dict[str, str | None] = field(default_factory=dict)  # indicator code → its rule kind
    event_types: dict[str, tuple[str, ...]] = field(default_factory=dict)  # event leaf → the types it reads
    # ratio leaves whose measures count a part of their denominator (scoring's numerator_within_denominator)
    share_ratios: frozenset[str] = frozenset()
    maxima: dict[str, Decimal] = field(default_factory=dict)  # indicator code → its max (points)
    event_levels: dict[str, tuple[str, ...]] = field(default_factory=dict)  # accrual leaf → its levels
    # the event types of the scheme's vetoes, the only events without an indicator; None: scoring did not say
    veto_events: frozenset[str] | None = None


def not_in_period(period_id: str, subject_id: str) -> InvalidInput:
    """The answer about a subject the period does not enrol (or one outside the caller's scope)."""
    return InvalidInput(_("subject %(subject_id)r is not in period %(period_id)r", subject_id=subject_id,
                          period_id=period_id), details={"field": "subject_id", "reason": "unknown subject"})


@dataclass(frozen=True)
class SubjectInfo:
    id: str
    name: str
    unit_path: str


class ScoringClient:
    """Batch reads on scoring, cached for a few seconds (at most `max_entries` periods and subjects: an entry past
    its TTL is dropped as soon as another is stored, the oldest one when the cache is full)."""

    def __init__(self, base_url: str, *, transport: httpx.AsyncBaseTransport | None = None,
                 ttl_seconds: float = 30.0, max_entries: int = 10_000) -> None:
        self._client = peer_client(base_url=base_url, transport=transport, timeout=httpx.Timeout(10.0, connect=2.0))
        self.ttl, self.max_entries = ttl_seconds, max_entries
        self._cache: dict[tuple[str, str], tuple[float, Any]] = {}  # oldest first: entries are stored in time order

    async def close(self) -> None:
        await self._client.aclose()

    def forget(self, period_id: str) -> None:
        """Drop what is cached about a period (its status changed)."""
        self._cache.pop(("period", period_id), None)

    async def period(self, period_id: str, *, fresh: bool = False) -> PeriodInfo:
        """The period's scheme, status and indicator fact kinds; `fresh`: read from scoring now, whatever is cached
        (a write gated on the status: docs/decisions.md, "Writes read the period's status fresh")."""
        key, path = ("period", period_id), f"/v1/periods/{segment(period_id)}"
        if fresh:
            body = await self._get(path)
            self._remember(key, body)
        else:
            body = await self._cached(key, path)
        kinds = {str(i["code"]): i.get("fact_kind") for i in body.get("indicators", [])}
        documents = {str(i["code"]): tuple(map(str, i["documents"])) for i in body.get("indicators", [])
                     if i.get("documents")}
        rules = {str(i["code"]): i.get("rule_kind") for i in body.get("indicators", [])}
        types = {str(i["code"]): tuple(map(str, i["event_types"])) for i in body.get("indicators", [])
                 if i.get("event_types")}
        levels = {str(i["code"]): tuple(map(str, i["event_levels"])) for i in body.get("indicators", [])
                  if i.get("event_levels")}
        vetoes = body.get("veto_events")
        return PeriodInfo(str(body["id"]), str(body["scheme_id"]), str(body["status"]), kinds, documents,
                          str(body.get("label", "")), owner_path=str(body.get("owner_path") or ""),
                          rule_kinds=rules, event_types=types,
                          share_ratios=frozenset(str(i["code"]) for i in body.get("indicators", [])
                                                 if i.get("numerator_within_denominator")),
                          maxima={str(i["code"]): Decimal(str(i["max"])) for i in body.get("indicators", [])
                                  if i.get("max") is not None},
                          event_levels=levels,
                          veto_events=frozenset(map(str, vetoes)) if isinstance(vetoes, list) else None)

    async def subjects(self, period_id: str, ids: list[str]) -> dict[str, SubjectInfo]:
        """The named subjects of a period (unknown ids are absent)."""
        found: dict[str, SubjectInfo] = {}
        missing = []
        for subject_id in ids:
            hit = self._fresh(("subject", f"{period_id}/{subject_id}"))
            if hit is None:
                missing.append(subject_id)
            else:
                found[subject_id] = hit
        if missing:
            rows = await self._get(f"/v1/periods/{segment(period_id)}/subjects", params={"ids": ",".join(missing)})
            for row in rows:
                info = SubjectInfo(str(row["id"]), str(row.get("name", "")), str(row["unit_path"]))
                self._remember(("subject", f"{period_id}/{info.id}"), info)
                found[info.id] = info
        return found

    async def subject(self, period_id: str, subject_id: str) -> SubjectInfo:
        """One subject of a period, else 422 naming it."""
        info = (await self.subjects(period_id, [subject_id])).get(subject_id)
        if info is None:
            raise not_in_period(period_id, subject_id)
        return info

    async def seen_subject(self, principal: Principal, period_id: str, subject_id: str) -> SubjectInfo:
        """One subject of a period that the caller has something to do with (`Principal.sees`); a subject outside
        the caller's scope gets exactly the answer of one not enrolled (docs/decisions.md, "Probe defects: scope
        first, quoting, webhooks")."""
        info = (await self.subjects(period_id, [subject_id])).get(subject_id)
        if info is None or not principal.sees(info.unit_path, info.id):
            raise not_in_period(period_id, subject_id)
        return info

    async def api_key_creators(self, key_ids: list[str]) -> dict[str, str]:
        """The creator of each API key of `key_ids` (services.common.separation.Creators)."""
        body = await self._get("/v1/api-keys/creators", params={"ids": ",".join(key_ids)})
        creators: dict[str, str] = body["creators"]
        return creators

    def _fresh(self, key: tuple[str, str]) -> Any:
        hit = self._cache.get(key)
        if hit is not None and time.monotonic() - hit[0] < self.ttl:
            return hit[1]
        return None

    async def _cached(self, key: tuple[str, str], path: str) -> Any:
        hit = self._fresh(key)
        if hit is None:
            hit = await self._get(path)
            self._remember(key, hit)
        return hit

    def _remember(self, key: tuple[str, str], value: Any) -> None:
        now = time.monotonic()
        self._cache.pop(key, None)  # stored again at the end: the dict stays in time order
        while self._cache:
            oldest, (stored_at, _) = next(iter(self._cache.items()))
            if len(self._cache) < self.max_entries and now - stored_at < self.ttl:
                break
            del self._cache[oldest]
        self._cache[key] = (now, value)

    async def calendar(self) -> list[dict[str, Any]]:
        """The holiday arrangements offices loaded (`GET /v1/calendar`), for services/common/workcalendar.py."""
        body = await self._get("/v1/calendar")
        loaded: list[dict[str, Any]] = body["loaded"]
        return loaded

    async def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        return await system_get(self._client, path, peer="scoring", params=params)


def scoring_client_for(app: Any) -> ScoringClient:
    """The app's client, created on first use (tests inject `app.state.scoring_transport`)."""
    client: ScoringClient | None = getattr(app.state, "scoring_client", None)
    if client is None:
        client = ScoringClient(get_settings().service_base_url("scoring"),
                               transport=getattr(app.state, "scoring_transport", None),
                               ttl_seconds=evidence_settings().scoring_cache_seconds)
        app.state.scoring_client = client
    return client


def get_scoring_client(request: Request) -> ScoringClient:
    return scoring_client_for(request.app)


ScoringClientDep = Annotated[ScoringClient, Depends(get_scoring_client)]
