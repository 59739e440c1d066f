"""Consistent conventions (issue 22): root query fields nullable, so that one failing field of a screen's query
leaves the others' data; the gateway's REST answers under GraphQL's names (tests/gateway/test_uploads.py and
test_scheme_tools.py check the two answers)."""

from __future__ import annotations

from typing import Any

import httpx
from graphql import GraphQLNonNull

from gateway.schema import build_schema


def test_every_root_query_field_but_health_is_nullable() -> None:
    query = build_schema()._schema.query_type
    assert query is not None
    non_null = sorted(name for name, field in query.fields.items() if isinstance(field.type, GraphQLNonNull))
    assert non_null == ["health"]  # answers for every service, the unreachable ones included


async def test_one_refused_field_leaves_the_rest_of_the_screen(gateway: httpx.AsyncClient, bearer: Any) -> None:
    """A unit's head opens a screen asking who they are, a period and the audit chain's state: the audit chain is
    the auditors' (FORBIDDEN), and only that field is null; before, its non-null root nulled the whole `data`."""
    response = await gateway.post("/graphql", headers=bearer(("reviewer", "city/a"), subject="zhao"), json={
        "query": '{ me { subject } period(id: "p1") { id } verifyAuditChain(service: SCORING) { ok } }'})
    answer = response.json()
    assert response.status_code == 200
    assert answer["data"] == {"me": {"subject": "zhao"}, "period": {"id": "p1"}, "verifyAuditChain": None}
    assert [(e["path"], e["extensions"]["code"]) for e in answer["errors"]] == [(["verifyAuditChain"], "FORBIDDEN")]


def test_the_lists_of_a_periods_records_take_the_same_arguments_and_keep_their_own_descriptions() -> None:
    """submissions, journals, rectificationNotices, appeals and objections are declared by one helper
    (gateway/operations/period_lists.py): the same five arguments, each field its own type and description."""
    query = build_schema()._schema.query_type
    assert query is not None
    lists = {"submissions": "Submission", "journals": "Journal", "rectificationNotices": "RectificationNotice",
             "appeals": "Appeal", "objections": "Objection"}
    for name, node in lists.items():
        field = query.fields[name]
        assert (list(field.args), str(field.type)) == (
            ["periodId", "subjectId", "status", "first", "after"], f"{node}Connection"), name
        assert [str(argument.type) for argument in field.args.values()] == ["ID!", "ID", "String", "Int", "String"]
    firsts = {name: query.fields[name].description.split(":")[0] for name in lists}  # type: ignore[union-attr]
    assert firsts == {"submissions": "Submissions with attachments and review state, in id order",
                      "journals": "Weekly journals (003 篇三) by subject and week",
                      "rectificationNotices": "Rectification notices (问题整改单) in the order they were checked",
                      "appeals": "Appeals (申诉), oldest first",
                      "objections": "Objections (异议) filed against results during the 公示, oldest first"}
