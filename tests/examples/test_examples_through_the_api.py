"""The example fact files, as they stand, through evidence's API (issue 21, item 17).

The examples used fields the API refused (`note` on events, journal `status: accepted`), so the files that
document the format could not be entered the way an office enters evidence. Scoring is faked from the
example's own scheme (its indicators and the fact kind each reads, as scoring computes them) and subjects.

11,406 facts over HTTP would take most of an hour on a shared machine, so each example sends one fact of
every shape over HTTP (kind, indicator, status, type, level, and which fields it has with what kind of value:
negative, zero, whole or decimal numbers, booleans, lists), 289 requests in all, and every other fact through
the same content validation the route runs, plus the checks a shape cannot stand for (its subject enrolled).
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from kaohe.engine import parse_scheme
from services.common.errors import InvalidInput
from services.evidence.app import app as evidence_app
from services.evidence.attachments.storage import LocalStorage
from services.evidence.submissions.content import validate_content
from services.scoring.periods.service import indicators
from tests.conftest import auth
from tests.evidence.conftest import Clock

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "schemes"
FACT_FILES = sorted(path for path in EXAMPLES.glob("*.facts.json") if json.loads(path.read_text()).get("facts"))
OFFICE = auth(("admin", "city"), subject="office")
PERIOD = "ex"


class ExampleScoring:
    """Scoring's two contract reads for one period of the example: the period with its indicators, subjects."""

    def __init__(self, scheme: dict[str, Any], facts: dict[str, Any]) -> None:
        # the example's own label (2025, 2026-Q1…): evidence holds each month and date to it
        self.period = {"id": PERIOD, "scheme_id": scheme["id"], "scheme_version": scheme["version"],
                       "label": facts["period"],
                       "status": "collecting",
                       "indicators": [i.model_dump() for i in indicators(parse_scheme(scheme))]}
        kind = scheme.get("subject_kind", "unit")
        self.subjects = {s["id"]: {"id": s["id"], "name": s.get("name") or s["id"], "kind": kind, "group": s["group"],
                                   "unit_path": "city/x", "attributes": s.get("attributes") or {}}
                         for s in facts["subjects"]}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        parts = request.url.path.strip("/").split("/")
        if parts[:3] != ["v1", "periods", PERIOD]:
            return httpx.Response(404, json={"error": {"code": "not_found"}})
        if len(parts) == 3:
            return httpx.Response(200, json=self.period)
        ids = request.url.params.get("ids", "").split(",")
        return httpx.Response(200, json=[self.subjects[i] for i in ids if i in self.subjects])


@pytest.fixture
async def evidence(api: Any, tmp_path: Path) -> AsyncIterator[Any]:
    clock = Clock()

    async def start(scoring: ExampleScoring) -> httpx.AsyncClient:
        evidence_app.state.clock = lambda: clock.now
        evidence_app.state.scoring_transport = httpx.MockTransport(scoring)
        evidence_app.state.scoring_client = None
        evidence_app.state.attachment_storage = LocalStorage(tmp_path / "attachments")
        client: httpx.AsyncClient = await api("evidence")
        return client

    yield start
    evidence_app.state.attachment_storage = None
    evidence_app.state.clock = None
    evidence_app.state.scoring_client = None


_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_NAMED = ("fact", "indicator", "status", "type", "level")


def _value_class(value: Any) -> tuple[Any, ...]:
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        number = Decimal(str(value))
        return ("number", type(value).__name__, number < 0, number == 0, number != number.to_integral_value())
    if isinstance(value, list):
        return ("list", bool(value))
    return ("text",)


def shape(fact: dict[str, Any]) -> tuple[Any, ...]:
    """What the API's checks can tell apart in a fact."""
    fields = tuple(sorted((key, _value_class(value)) for key, value in fact.items()
                          if key not in ("id", "subject", *_NAMED)))
    return (*(fact.get(key) for key in _NAMED), fields)


def submission(fact: dict[str, Any]) -> dict[str, Any]:
    """The example's fact as a submission: its fields other than id, subject, indicator and kind are the content.
    A fact of an earlier period (`period`, read by a look-back leaf) is that period's evidence: its period is
    where it is submitted, not part of its content (here every period is the one the fake scoring serves)."""
    body = {"period_id": PERIOD, "subject_id": fact["subject"], "fact": fact["fact"],
            "content": {k: v for k, v in fact.items() if k not in ("id", "subject", "indicator", "fact", "period")},
            "justification": f"示例 {fact['id']}"}
    if "indicator" in fact:
        body["indicator"] = fact["indicator"]
    return body


def _example(facts_path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    scheme_path = facts_path.with_name(facts_path.name.replace(".facts.json", ".yaml"))
    return yaml.safe_load(scheme_path.read_text(encoding="utf-8")), json.loads(facts_path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("facts_path", FACT_FILES, ids=[p.name.removesuffix(".facts.json") for p in FACT_FILES])
async def test_every_example_fact_is_accepted_by_the_api(evidence: Any, facts_path: Path) -> None:
    scheme, facts = _example(facts_path)
    scoring = ExampleScoring(scheme, facts)
    client = await evidence(scoring)
    refused, shapes = [], set()
    for fact in facts["facts"]:
        if (key := shape(fact)) not in shapes:
            shapes.add(key)
            response = await client.post("/v1/submissions", json=submission(fact), headers=OFFICE)
            if response.status_code != 201:
                refused.append((fact["id"], response.json()["error"]["message"]))
            continue
        assert fact["subject"] in scoring.subjects, fact
        try:
            validate_content(fact["fact"], submission(fact)["content"])
        except InvalidInput as exc:
            refused.append((fact["id"], exc.message))
    assert refused == []
    stored = await client.get("/v1/submissions", params={"limit": 1}, headers=OFFICE)
    assert stored.status_code == 200 and stored.json()["items"]
