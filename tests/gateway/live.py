"""The gateway over the three real services, in this process, on a fresh migrated database, with the
outbox relays and scoring's recompute loop running: what a portal sees through GraphQL, end to end,
without starting processes. Business time is moved with a clock file (services/common/clock.py), so
deadlines, publication windows and sweeps all see the same simulated "now"."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.auth import development_token
from services.common.auth import SYSTEM, Grant, Principal, issue_service_token
from services.common.settings import get_settings
from services.evidence.config import evidence_settings
from tests.conftest import PgServer, create_database, drop_database
from tests.graphql_http import GraphQLOverHTTP
from tests.reliability.fuzzing import served_stack

JWT_SECRET = "live-gateway-secret-0123456789abcdef"
UNIT = "mutation($n: String!, $s: String!, $p: ID) { createUnit(name: $n, slug: $s, parentId: $p) { id path } }"
SUBMIT = "mutation($i: EvidenceInput!) { submitEvidence(input: $i) { id version } }"
APPROVE = """mutation($id: ID!, $v: Int!) { reviewSubmission(id: $id, input: {action: "approve", version: $v})
  { status factId } }"""
OFFICE = Principal(subject="office", grants=(Grant("admin", ""),))


class Live(GraphQLOverHTTP):
    """GraphQL over HTTP with development tokens, the services' REST with service tokens, and the clock."""

    def __init__(self, urls: dict[str, str], clock_file: Path, pending_events: Callable[[], int]) -> None:
        super().__init__(urls["gateway"], timeout=60)
        self.urls = urls
        self.clock_file = clock_file
        self.pending_events = pending_events  # undelivered outbox rows of the three services
        self.http = httpx.Client(timeout=60)
        self.database_url = ""  # the stack's database (set by live_stack)

    def at(self, moment: datetime) -> None:
        """Move every service's business time so that now is `moment` (it then runs on in real time)."""
        time.sleep(0.02)  # a new mtime, so the clock re-reads the file
        seconds = (moment - datetime.now(UTC)).total_seconds()
        self.clock_file.write_text(f"{seconds:.6f}\n", encoding="utf-8")

    def token(self, role: str, scope: str, *, subject: str | None = None,
              subject_ids: list[str] | None = None) -> str:
        return development_token(get_settings(), subject=subject or f"{role}@{scope or 'all'}", ttl_seconds=900,
                                 grants=[Grant(role, scope)], subject_ids=subject_ids)  # type: ignore[arg-type]

    def unit(self, name: str, slug: str, parent: str | None = None) -> dict[str, str]:
        """A unit created by the organisation's office: `{id, path}`."""
        created: dict[str, str] = self(self.token("admin", ""), UNIT, n=name, s=slug, p=parent)["createUnit"]
        return created

    def city(self, *streets: tuple[str, str]) -> dict[str, str]:
        """The unit 市 (path `city`) with the named `(name, slug)` units under it: slug → id ("city" too)."""
        city = self.unit("市", "city")
        return {"city": city["id"], **{slug: self.unit(name, slug, city["id"])["id"] for name, slug in streets}}

    def published_scheme(self, document: dict[str, Any], owner_path: str = "city") -> None:
        """Create a scheme draft owned by `owner_path` and publish it."""
        admin = self.token("admin", "")
        draft = self(admin, "mutation($d: JSON!, $o: String!) { createScheme(document: $d, ownerPath: $o) "
                            "{ revision } }", d=document, o=owner_path)["createScheme"]
        self(admin, "mutation($id: ID!, $v: Int!, $r: Int!) { publishScheme(id: $id, version: $v, revision: $r) "
                    "{ status } }", id=document["id"], v=document["version"], r=draft["revision"])

    def opened_period(self, document: dict[str, Any], label: str, subjects: list[tuple[str, str]]) -> str:
        """The id of a period of `document` (published first) with `(subject id, group)` enrolled."""
        self.published_scheme(document)
        return self.another_period(document, label, subjects)

    def another_period(self, document: dict[str, Any], label: str, subjects: list[tuple[str, str]]) -> str:
        """The id of a period of `document`, published already, with `(subject id, group)` enrolled."""
        opened = self(self.token("admin", ""), """mutation($id: String!, $v: Int!, $l: String!,
            $s: [EnrolmentInput!]!) { openPeriod(input: {schemeId: $id, schemeVersion: $v, label: $l, subjects: $s})
            { id } }""", id=document["id"], v=document["version"], l=label,
                      s=[{"id": sid, "group": group} for sid, group in subjects])
        period_id: str = opened["openPeriod"]["id"]
        return period_id

    def approved(self, submitter: str, reviewer: str, evidence: dict[str, Any]) -> dict[str, Any]:
        """Evidence sent by `submitter` and approved by `reviewer` (a one-level chain): `{status, factId}`."""
        sent = self(submitter, SUBMIT, i=evidence)["submitEvidence"]
        reviewed: dict[str, Any] = self(reviewer, APPROVE, id=sent["id"], v=sent["version"])["reviewSubmission"]
        return reviewed

    def street_period(self, document: dict[str, Any], label: str) -> tuple[str, str, str]:
        """A period of `document` for 甲街道 and 乙街道 (city/a, city/b) in the group 街道: (period, a, b)."""
        units = self.city(("甲街道", "a"), ("乙街道", "b"))
        period = self.opened_period(document, label, [(units["a"], "街道"), (units["b"], "街道")])
        return period, units["a"], units["b"]

    def get(self, token: str, path: str) -> httpx.Response:
        """A gateway REST route (exports) with the same credentials as /graphql, in Chinese (as an office prints
        its files)."""
        return self.http.get(f"{self.urls['gateway']}{path}",
                             headers={"Authorization": f"Bearer {token}", "Accept-Language": "zh-CN"})

    def service(self, name: str, method: str, path: str, principal: Principal = OFFICE,
                **kwargs: Any) -> httpx.Response:
        """A service's own REST route, as another service or the system would call it."""
        headers = {"Authorization": f"Bearer {issue_service_token(principal)}"}
        return self.http.request(method, f"{self.urls[name]}{path}", headers=headers, **kwargs)

    def sweep(self) -> None:
        """What evidence's background sweeper does every few minutes (deadlines, missing journals)."""
        response = self.service("evidence", "POST", "/v1/reviews/sweep", SYSTEM)
        assert response.status_code == 200, response.text
        response = self.service("evidence", "POST", "/v1/journals/sweep", SYSTEM)
        assert response.status_code == 200, response.text

    def settle(self, period_id: str, timeout: float = 60) -> None:
        """Wait until every outbox is delivered and scoring has nothing left to recompute (seen twice in a
        row: a delivery may mark the period due between two looks)."""
        deadline, quiet = time.monotonic() + timeout, 0
        while quiet < 2:
            assert time.monotonic() < deadline, f"period {period_id} did not settle in {timeout}s"
            time.sleep(0.2)
            pending = self.pending_events()
            period = self.service("scoring", "GET", f"/v1/periods/{period_id}").json()
            quiet = quiet + 1 if pending == 0 and not period.get("recompute_pending") else 0


def module_stack(name: str, at: datetime | None = None, **env: str) -> Any:
    """A module-scoped `live` fixture: the stack on its own database (`env`: as `live_stack`'s), its clock at `at`
    when given."""
    @pytest.fixture(scope="module")
    def live(pg_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
        with live_stack(pg_server, Path(tmp_path_factory.mktemp(name)), **env) as stack:
            if at is not None:
                stack.at(at)
            yield stack

    return live


@contextmanager
def live_stack(pg_server: PgServer, folder: Path, **env: str) -> Iterator[Live]:
    """The stack on a fresh database (`env`: more `KAOHE_*` settings, or other values of the ones set here: evidence
    caches nothing of scoring's unless `KAOHE_EVIDENCE_SCORING_CACHE_SECONDS` says so); yields a `Live` bound to it."""
    url = create_database(pg_server)
    clock_file = folder / "clock-offset"
    clock_file.write_text("0\n", encoding="utf-8")
    evidence_settings.cache_clear()
    try:
        settings = {"KAOHE_JWT_SECRET": JWT_SECRET, "KAOHE_CLOCK_FILE": str(clock_file),
                    "KAOHE_EVIDENCE_SWEEP_INTERVAL_SECONDS": "86400", "KAOHE_EVIDENCE_SCORING_CACHE_SECONDS": "0",
                    "KAOHE_DB_POOL_SIZE": "2", **env}
        with served_stack(url, gateway=True, relay=True, **settings) as urls:
            # importing the services' apps may have read evidence's settings before `env` was in place
            evidence_settings.cache_clear()
            live = Live(urls, clock_file, _pending_counter(url))
            live.database_url = url
            try:
                yield live
            finally:
                live.http.close()
    finally:
        evidence_settings.cache_clear()
        drop_database(pg_server, url)


def _pending_counter(url: str) -> Callable[[], int]:
    import asyncio

    import asyncpg

    dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)

    async def count() -> int:
        conn = await asyncpg.connect(dsn)
        try:
            total = 0
            for schema in ("evidence", "scoring", "ranking"):
                # schema names are our own constants
                total += await conn.fetchval(f"SELECT count(*) FROM {schema}.outbox_event WHERE delivered_at IS NULL")
            return int(total)
        finally:
            await conn.close()

    return lambda: asyncio.run(count())
