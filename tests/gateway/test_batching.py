"""DataLoaders: a page of subjects with scores, results and groups costs a constant number of
backend calls; lists are filtered by scope; pages follow cursors."""

from __future__ import annotations

from typing import Any

from gateway.schema import build_schema
from services.common.auth import Grant, Principal
from tests.gateway.fakes import FakeBackend, context

SCHEMA = build_schema()
AUDITOR = Principal(subject="auditor", grants=(Grant("auditor", ""),))
PAGE = """query($first: Int, $after: String) {
  subjects(periodId: "p1", first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id name group score { total indicators { code value } } result { rank grade } }
  }
}"""


def _subjects(n: int) -> list[dict[str, Any]]:
    return [{"id": f"s{i:03d}", "name": f"单位{i}", "group": f"g{i % 3}", "unit_path": f"city/a/u{i}",
             "kind": "unit", "attributes": {}} for i in range(n)]


async def _page(backend: FakeBackend, principal: Principal, **variables: Any) -> tuple[Any, int]:
    clients = backend.clients()
    result = await SCHEMA.execute(PAGE, variable_values=variables, context_value=context(clients, principal))
    calls = sum(c.calls for c in clients.by_name.values())
    await clients.aclose()
    assert result.errors is None, result.errors
    return result.data["subjects"], calls


async def test_backend_calls_do_not_grow_with_the_page() -> None:
    small, calls_10 = await _page(FakeBackend(subjects=_subjects(10)), AUDITOR, first=10)
    large, calls_100 = await _page(FakeBackend(subjects=_subjects(100)), AUDITOR, first=100)
    assert len(small["nodes"]) == 10 and len(large["nodes"]) == 100
    assert calls_10 == calls_100 == 3  # the subject list, one batch of scores, one batch of results
    assert large["nodes"][99] == {
        "id": "s099", "name": "单位99", "group": "g0",
        "score": {"total": "88.5", "indicators": [{"code": "A1", "value": "8.5"}]},
        "result": {"rank": 100, "grade": "优秀"},
    }


async def test_one_batch_call_per_kind_of_data() -> None:
    backend = FakeBackend(subjects=_subjects(5))
    await _page(backend, AUDITOR, first=2)
    assert [r for r in backend.requests if r[0] != "scoring" or "scores" in r[2]] == [
        ("scoring", "GET", "/v1/periods/p1/scores"), ("ranking", "GET", "/v1/periods/p1/results")]


async def test_cursor_pages_walk_the_list() -> None:
    backend = FakeBackend(subjects=_subjects(5))
    first, _ = await _page(backend, AUDITOR, first=2)
    assert [n["id"] for n in first["nodes"]] == ["s000", "s001"]
    assert first["pageInfo"]["hasNextPage"] is True and first["totalCount"] == 5
    last, _ = await _page(backend, AUDITOR, first=10, after=first["pageInfo"]["endCursor"])
    assert [n["id"] for n in last["nodes"]] == ["s002", "s003", "s004"]
    assert last["pageInfo"]["hasNextPage"] is False


async def test_page_size_over_the_cap_in_a_variable_is_refused() -> None:
    clients = FakeBackend().clients()
    result = await SCHEMA.execute(PAGE, variable_values={"first": 101}, context_value=context(clients, AUDITOR))
    await clients.aclose()
    assert result.errors[0].message == "first must be between 0 and 100"
    assert result.errors[0].extensions["code"] == "BAD_USER_INPUT"
    assert result.errors[0].extensions["details"] == [{"field": "first", "reason": "out of range"}]


async def test_a_cursor_no_list_gave_out_is_refused_naming_after() -> None:
    clients = FakeBackend().clients()
    result = await SCHEMA.execute(PAGE, variable_values={"first": 2, "after": "garbage"},
                                  context_value=context(clients, AUDITOR))
    await clients.aclose()
    assert result.errors[0].message == "the cursor is not one this list gave out"
    assert (result.errors[0].extensions["code"], result.errors[0].extensions["details"]) == (
        "BAD_USER_INPUT", [{"field": "after", "reason": "unknown cursor"}])


async def test_lists_show_only_subjects_in_scope_and_own_subject() -> None:
    backend = FakeBackend()  # s-a in city/a/u1, s-b in city/b/u2
    submitter = Principal(subject="li", grants=(Grant("submitter", "city/b"),))
    page, _ = await _page(backend, submitter, first=10)
    # a submitter sees the subject of its unit, but not its scores (explain is for readers)
    assert page["nodes"] == [{"id": "s-b", "name": "乙街道", "group": "g2", "score": None, "result": None}]
    me = Principal(subject="s-a-head", grants=(Grant("subject", "city/a"),), subject_ids=("s-a",))
    page, _ = await _page(FakeBackend(), me, first=10)
    # no scores for the subject itself; its result as ranking shows it (the 公示's, once published)
    assert [(n["id"], n["score"], n["result"]["rank"]) for n in page["nodes"]] == [("s-a", None, 1)]


async def test_ranking_rows_outside_the_scope_are_dropped() -> None:
    clients = FakeBackend().clients()
    assessor = Principal(subject="wang", grants=(Grant("assessor", "city/b"),))
    result = await SCHEMA.execute('{ ranking(periodId: "p1") { totalCount nodes { subjectId rank } } }',
                                  context_value=context(clients, assessor))
    await clients.aclose()
    # the canned ranking service does not filter (the real one does); the gateway still drops s-a
    assert result.data == {"ranking": {"totalCount": 2, "nodes": [{"subjectId": "s-b", "rank": 2}]}}


async def test_ranking_pages_follow_the_service_offsets() -> None:
    backend = FakeBackend(subjects=_subjects(5))
    clients = backend.clients()
    query = 'query($after: String) { ranking(periodId: "p1", first: 2, after: $after) { pageInfo { hasNextPage ' \
            "endCursor } nodes { subjectId rank } } }"
    seen: list[tuple[str, int]] = []
    after = None
    for _ in range(3):
        result = await SCHEMA.execute(query, variable_values={"after": after},
                                      context_value=context(clients, AUDITOR))
        page = result.data["ranking"]
        seen += [(n["subjectId"], n["rank"]) for n in page["nodes"]]
        after = page["pageInfo"]["endCursor"]
    await clients.aclose()
    assert seen == [("s000", 1), ("s001", 2), ("s002", 3), ("s003", 4), ("s004", 5)]
    assert page["pageInfo"]["hasNextPage"] is False


async def test_oversized_input_is_refused_before_any_call() -> None:
    backend = FakeBackend()
    clients = backend.clients()
    admin = Principal(subject="admin", grants=(Grant("admin", ""),))
    long_reason = "理" * 4001
    result = await SCHEMA.execute(
        'mutation($r: String!) { fileObjection(periodId: "p1", subjectId: "s-a", reason: $r) { id } }',
        variable_values={"r": long_reason}, context_value=context(clients, admin))
    many = await SCHEMA.execute(
        'mutation($p: [String!]!) { fileAppeal(periodId: "p1", subjectId: "s-a", factId: "f-1", points: $p) { id } }',
        variable_values={"p": ["一"] * 21}, context_value=context(clients, admin))
    await clients.aclose()
    assert result.errors[0].message == "reason is too long" and result.errors[0].extensions["code"] == "BAD_USER_INPUT"
    assert many.errors[0].message == "points: at most 20 items of at most 4000 characters"
    assert backend.requests == []


async def test_roster_rows_outside_the_scope_are_dropped() -> None:
    clients = FakeBackend().clients()
    reviewer = Principal(subject="chief-b", grants=(Grant("reviewer", "city/b"),))
    result = await SCHEMA.execute('{ journalRoster(periodId: "p1") { subjectId unitPath } }',
                                  context_value=context(clients, reviewer))
    await clients.aclose()
    # the canned evidence service answers both people; the gateway keeps only the one in city/b
    assert result.data == {"journalRoster": [{"subjectId": "s-b", "unitPath": "city/b/u2"}]}


async def test_a_roster_for_many_people_checks_their_units_in_one_call() -> None:
    backend = FakeBackend()
    clients = backend.clients()
    admin = Principal(subject="office", grants=(Grant("admin", "city"),))
    result = await SCHEMA.execute('mutation { setJournalRoster(input: {periodId: "p1", subjectIds: ["s-a", "s-b", '
                                  '"s-a"], firstWeek: "2026-W01", lastWeek: "2026-W13"}) { people } }',
                                  context_value=context(clients, admin))
    await clients.aclose()
    assert result.errors is None and result.data == {"setJournalRoster": {"people": 3}}
    assert backend.requests == [("scoring", "GET", "/v1/periods/p1/subjects"),
                                ("evidence", "POST", "/v1/journals/rosters")]


async def test_an_unknown_period_fails_alone_in_its_batch() -> None:
    """Two period reads in one query share the `periods` DataLoader's batch: scoring refuses p-zz (404), which
    answers NOT_FOUND for that field only; p1 (owned by city/a) still gets its snapshots."""
    backend = FakeBackend()
    clients = backend.clients()
    document = ('{ known: snapshots(periodId: "p1") { totalCount nodes { sequence } } '
                'unknown: snapshots(periodId: "p-zz") { totalCount } '
                'reopened: reopenings(periodId: "p1") { totalCount } }')
    try:
        result = await SCHEMA.execute(document, context_value=context(clients, AUDITOR))
    finally:
        await clients.aclose()
    assert result.data == {"known": {"totalCount": 1, "nodes": [{"sequence": 1}]}, "unknown": None,
                           "reopened": {"totalCount": 1}}
    assert [(e.path, e.extensions["code"] if e.extensions else None, e.message) for e in result.errors or []] == [
        (["unknown"], "NOT_FOUND", "period p-zz not found")]
    # one read of each period by the loader (p1 once for both of its fields), then ranking's two lists
    assert sorted(r for r in backend.requests if r[0] == "scoring") == [
        ("scoring", "GET", "/v1/periods/p-zz"), ("scoring", "GET", "/v1/periods/p1")]
