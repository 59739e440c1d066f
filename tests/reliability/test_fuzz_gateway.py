"""GraphQL fuzzing of the gateway (schemathesis over the introspected schema): generated queries and mutations,
with an administrator's token, over the three real services and a fresh database, never get a 5xx and always
get a GraphQL response (`data` and/or `errors`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, cast

import graphql
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from gateway.auth import development_token
from services.common.auth import Grant
from services.common.settings import get_settings
from tests.conftest import PgServer, create_database, drop_database
from tests.reliability.fuzzing import MAX_EXAMPLES, served_stack

JWT_SECRET = "reliability-fuzz-secret-0123456789abcdef"
FUZZ = settings(max_examples=MAX_EXAMPLES, deadline=None, phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck), derandomize=True)

schemathesis.graphql.scalar("DateTime", st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                                                     timezones=st.just(UTC)).map(
    lambda d: graphql.StringValueNode(value=d.isoformat())))
schemathesis.graphql.scalar("JSON", st.dictionaries(st.sampled_from(["id", "value", "points"]), st.text(max_size=5),
                                                    max_size=3).map(
    lambda d: graphql.ObjectValueNode(fields=tuple(
        graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=graphql.StringValueNode(value=v))
        for k, v in d.items()))))


@pytest.fixture(scope="module")
def stack(pg_server: PgServer) -> Iterator[dict[str, str]]:
    url = create_database(pg_server)
    try:
        with served_stack(url, gateway=True, KAOHE_JWT_SECRET=JWT_SECRET) as urls:
            yield urls
    finally:
        drop_database(pg_server, url)


def test_gateway_graphql(stack: dict[str, str]) -> None:
    schema = schemathesis.graphql.from_url(f"{stack['gateway']}/graphql")
    operations = [cast(Any, result).ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40  # every root query and mutation field
    failures: list[str] = []
    for operation in operations:
        _fuzz_one(operation, stack["gateway"], failures)
    assert failures == []


def _fuzz_one(operation: Any, gateway_url: str, failures: list[str]) -> None:
    """Run the bounded campaign on one root field, collecting any 5xx or non-GraphQL answer."""
    name = operation.label
    stack = {"gateway": gateway_url}

    @FUZZ
    @given(case=operation.as_strategy())
    def fuzz(case: Any) -> None:
        token = development_token(get_settings(), subject="fuzzer", grants=[Grant("admin", "")], ttl_seconds=300)
        response = case.call(base_url=stack["gateway"], headers={"Authorization": f"Bearer {token}"}, timeout=30)
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 500 or not ("data" in body or "errors" in body):
            failures.append(f"{name}: {response.status_code} {response.text[:300]} for {case.body!r:.300}")

    fuzz()
