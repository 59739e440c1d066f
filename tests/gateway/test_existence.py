"""Reads never confirm that something outside the caller's scope exists (probe defects, stop 26): every read that
takes the id of a subject, a period, a unit or a record answers a caller with no grant over it exactly as it answers
an id that does not exist, NOT_FOUND with the same message but for the id; a caller inside the scope whose role does
not allow the read still gets FORBIDDEN (it may see the subject anyway).

The fake services (tests/gateway/fakes.py): subject s-a of period p1 lies in city/a/u1, s-b in city/b/u2; p1 is owned
by city/a; unit u-a is city/a/u1; the submission sub-a, notice n-a, appeal ap-a and objection ob-a are about s-a.
The outsider holds a grant on city/b: it may run every one of these reads somewhere, none over city/a."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from gateway import access
from gateway.schema import build_schema
from services.common.auth import Grant, Principal
from tests.gateway.fakes import FakeBackend, context

SCHEMA = build_schema()
PAGE = "{ totalCount }"
# every root query with an argument naming a subject, a period, a unit or a record: (document with {id} where the
# id goes, the id of something outside city/b's scope, an id of nothing, the message, the role that may run it)
NOT_ENROLLED = "subject {id} is not enrolled in period p1"
SUBJECT_READS: dict[str, str] = {
    "submissions": f'{{ submissions(periodId: "p1", subjectId: "{{id}}") {PAGE} }}',
    "journals": f'{{ journals(periodId: "p1", subjectId: "{{id}}") {PAGE} }}',
    "rectificationNotices": f'{{ rectificationNotices(periodId: "p1", subjectId: "{{id}}") {PAGE} }}',
    "appeals": f'{{ appeals(periodId: "p1", subjectId: "{{id}}") {PAGE} }}',
    "makeups": '{ makeups(periodId: "p1", subjectId: "{id}") { nodes { subjectId } } }',
    "objections": f'{{ objections(periodId: "p1", subjectId: "{{id}}") {PAGE} }}',
    "scoreHistory": f'{{ scoreHistory(periodId: "p1", subjectId: "{{id}}") {PAGE} }}',
    "scoreAsOf": '{ scoreAsOf(periodId: "p1", subjectId: "{id}", at: "2026-03-02T00:00:00+08:00") { value } }',
    "explain": '{ explain(periodId: "p1", subjectId: "{id}") { total } }',
    "facts": f'{{ facts(periodId: "p1", subjectId: "{{id}}") {PAGE} }}',
    "result": '{ result(periodId: "p1", subjectId: "{id}") { grade } }',
    "resultHistory": f'{{ resultHistory(periodId: "p1", subjectId: "{{id}}") {PAGE} }}',
    "subject": '{ subject(periodId: "p1", id: "{id}") { name } }',
}
PERIOD_READS: dict[str, str] = {
    "verifyPeriod": '{ verifyPeriod(periodId: "{id}") { ok } }',
    "snapshots": f'{{ snapshots(periodId: "{{id}}") {PAGE} }}',
    "verifySnapshot": '{ verifySnapshot(periodId: "{id}") { ok } }',
    "reopenings": f'{{ reopenings(periodId: "{{id}}") {PAGE} }}',
}
UNIT_READS: dict[str, str] = {
    "unit": '{ unit(id: "{id}") { path } }',
    "unitAncestors": '{ unitAncestors(id: "{id}") { path } }',
    "unitPeople": f'{{ unitPeople(unitId: "{{id}}") {PAGE} }}',
}


def node(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# a record about s-a by its node id (the fakes answer any id of nothing with a record: see test_node.py)
RECORD_READS: dict[str, tuple[str]] = {
    "Submission": (node("Submission:sub-a"),), "RectificationNotice": (node("RectificationNotice:n-a"),),
    "Appeal": (node("Appeal:ap-a"),), "Objection": (node("Objection:ob-a"),),
    "Journal": (node("Journal:p1/s-a/2026-W07"),),
}
CASES = ([(op, doc, "s-a", "s-zz", NOT_ENROLLED) for op, doc in SUBJECT_READS.items()]
         + [(op, doc, "p1", "p-zz", "period {id} not found") for op, doc in PERIOD_READS.items()]
         + [(op, doc, "u-a", "u-zz", "unit {id} does not exist") for op, doc in UNIT_READS.items()])


def _role(operation: str) -> str:
    """A role that may run `operation` (admin wherever it is one; else the operation's first)."""
    roles = access.rule(operation).roles
    return "admin" if "admin" in roles else roles[0]


async def _errors(document: str, principal: Principal, backend: FakeBackend | None = None,
                  **variables: Any) -> list[tuple[str, str]]:
    backend = backend or FakeBackend()
    clients = backend.clients()
    try:
        result = await SCHEMA.execute(document, variable_values=variables or None,
                                      context_value=context(clients, principal))
    finally:
        await clients.aclose()
    return [(str(e.extensions.get("code")), e.message) for e in result.errors or [] if e.extensions]


def test_the_cases_are_every_read_that_takes_an_id() -> None:
    queries = SCHEMA._schema.query_type.fields
    with_ids = {name for name, field in queries.items()
                if any(arg.endswith(("Id", "id", "Ids", "ids")) or arg == "id" for arg in field.args)}
    # filters whose rows are left out one by one (an id outside the scope and one of nothing both give none),
    # reads of what every role may read (periods, schemes, the 公示), the office's rating-task counts, and node
    # (its record types below)
    filtered = {"people", "period", "periods", "schemeVersions", "scheme", "schemeDiff", "reviewChains", "subjects",
                "ranking", "publication", "journalRoster", "units", "ratingResponses", "myBallot", "auditTrail"}
    by_record = {"submission", "node"}  # a record by its id: evidence answers 404 first; below, the gateway's check
    assert with_ids - filtered - by_record == {op for op, *_ in CASES}
    assert set(access.READS) == set(queries) - {"health"} | {"downloadAttachment", "exportRanking",
                                                              "exportPublication", "downloadSnapshot", "exportInputs"}


@pytest.mark.parametrize(("operation", "document", "outside", "unknown", "message"), CASES,
                         ids=[case[0] for case in CASES])
async def test_an_id_outside_the_scope_reads_as_one_of_nothing(operation: str, document: str, outside: str,
                                                               unknown: str, message: str) -> None:
    role = _role(operation)
    outsider = Principal(subject=f"{role}@b", grants=(Grant(role, "city/b"),))  # type: ignore[arg-type]
    hidden = await _errors(document.replace("{id}", outside), outsider)
    missing = await _errors(document.replace("{id}", unknown), outsider)
    assert hidden == [("NOT_FOUND", message.format(id=outside))]
    assert missing == [("NOT_FOUND", message.format(id=unknown))]


@pytest.mark.parametrize("type_name", sorted(RECORD_READS))
async def test_a_record_outside_the_scope_reads_as_one_of_nothing_by_its_node_id(type_name: str) -> None:
    outsider = Principal(subject="admin@b", grants=(Grant("admin", "city/b"),))
    hidden = await _errors("query($id: ID!) { node(id: $id) { __typename } }", outsider, id=RECORD_READS[type_name][0])
    assert [code for code, _message in hidden] == ["NOT_FOUND"]
    if type_name == "Submission":  # the fake evidence answers the row whoever asks: the gateway's own check
        assert await _errors('{ submission(id: "sub-a") { id } }', outsider) == hidden


async def test_inside_the_scope_a_role_that_may_not_read_is_still_forbidden() -> None:
    # a reviewer of city/a reviews s-a's evidence (it sees the subject); scores are the office's
    reviewer = Principal(subject="re@a", grants=(Grant("reviewer", "city/a"),))
    assert await _errors(SUBJECT_READS["scoreHistory"].replace("{id}", "s-a"), reviewer) == [
        ("FORBIDDEN", "re@a may not run scoreHistory")]
