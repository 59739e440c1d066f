"""`node(id:)` (issue 18): a node id as events carry it fetches its record with the access check of the record's
own query, cell by cell of the role × scope matrix (tests/gateway/test_access_matrix.py), and nothing else
passes for a node id. Unknown records and other units' records over the real services:
tests/gateway/test_live_subscriptions.py."""

from __future__ import annotations

import asyncio
import base64

import pytest

from gateway.schema import build_schema
from services.common.auth import ROLES, Grant, Principal
from tests.gateway.fakes import PERIOD, FakeBackend, context
from tests.gateway.test_access_matrix import ABBREVIATIONS, EXPECTED, WHERE

SCHEMA = build_schema()
NODE = "query($id: ID!) { node(id: $id) { __typename } }"
# node id's text → (the query whose rule applies, the type it answers with)
RECORDS = {
    "Submission:sub-a": ("submission", "Submission"),
    f"Journal:{PERIOD}/s-a/2026-W07": ("journals", "Journal"),
    "RectificationNotice:n-a": ("rectificationNotices", "RectificationNotice"),
    "Appeal:ap-a": ("appeals", "Appeal"),
    "Objection:ob-a": ("objections", "Objection"),
}


def node_id(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


async def _ask(principal: Principal | None, id: str) -> tuple[dict[str, object] | None, list[str]]:
    backend = FakeBackend()
    clients = backend.clients()
    try:
        result = await SCHEMA.execute(NODE, variable_values={"id": id}, context_value=context(clients, principal))
    finally:
        await clients.aclose()
    data = result.data["node"] if result.data else None
    return data, [str(e.extensions.get("code")) for e in result.errors or [] if e.extensions]


@pytest.mark.parametrize("text", sorted(RECORDS))
async def test_a_node_is_read_under_the_rule_of_its_own_query(text: str) -> None:
    operation, type_name = RECORDS[text]
    for column, (where, (scope, subject_ids)) in enumerate(WHERE.items()):
        cells = [(role, Principal(subject=f"{role}@{where}", grants=(Grant(role, scope),), subject_ids=subject_ids))
                 for role in ROLES]
        answers = await asyncio.gather(*(_ask(p, node_id(text)) for _role, p in cells))
        allowed = set()
        for (role, _p), (data, codes) in zip(cells, answers, strict=True):
            if codes in (["FORBIDDEN"], ["NOT_FOUND"]):  # NOT_FOUND: outside the scope (test_existence.py)
                assert data is None
                continue
            assert (data, codes) == ({"__typename": type_name}, []), (text, role, where)
            allowed.add(role)
        assert allowed == {ABBREVIATIONS[a] for a in EXPECTED[operation][column].split()}, (text, where)


async def test_what_is_not_a_node_id_is_refused() -> None:
    admin = Principal(subject="office", grants=(Grant("admin", ""),))
    answers = {"%%%": "BAD_USER_INPUT", node_id("Secret:1"): "BAD_USER_INPUT", node_id("Submission"): "BAD_USER_INPUT",
               node_id("Submission:"): "BAD_USER_INPUT", "x" * 300: "BAD_USER_INPUT",
               node_id("Journal:x/y"): "NOT_FOUND"}  # a journal's key is period/subject/week
    for bad, code in answers.items():
        assert await _ask(admin, bad) == (None, [code]), bad
    assert (await _ask(None, node_id("Submission:sub-a")))[1] == ["UNAUTHENTICATED"]


@pytest.mark.parametrize(("grant", "message", "code"), [
    (("rater", "city/a"), "rater@city/a may not read rating task t-1", "FORBIDDEN"),  # no role that reads tasks
    (("admin", "city/a/x"), "admin@city/a/x may not read rating task t-1", "FORBIDDEN"),  # below the task's scope
    (("admin", "city/b"), "rating task t-1 not found", "NOT_FOUND"),  # off its branch: as a task of nothing
])
async def test_a_rating_task_refused_as_a_read_names_no_mutation(grant: tuple[str, str], message: str,
                                                                  code: str) -> None:
    # the task's scope is city/a (tests/gateway/fakes.py); reading it by node id is a read, not closeRatingTask
    principal = Principal(subject=f"{grant[0]}@{grant[1]}", grants=(Grant(grant[0], grant[1]),))  # type: ignore[arg-type]
    backend = FakeBackend()
    clients = backend.clients()
    try:
        result = await SCHEMA.execute(NODE, variable_values={"id": node_id("RatingTask:t-1")},
                                      context_value=context(clients, principal))
    finally:
        await clients.aclose()
    assert [(e.message, e.extensions["code"]) for e in result.errors or []] == [(message, code)]
    assert result.data == {"node": None}
    office = Principal(subject="office", grants=(Grant("admin", "city/a"),))
    assert await _ask(office, node_id("RatingTask:t-1")) == ({"__typename": "RatingTask"}, [])

