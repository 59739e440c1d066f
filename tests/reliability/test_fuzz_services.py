"""API fuzzing of each service's OpenAPI (schemathesis): with an admin's service token, generated requests get
no 5xx and no response that contradicts the documented schema. The app runs in this process on a real, migrated
database; `bench/fuzz.sh` runs the long campaign (KAOHE_FUZZ_EXAMPLES)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings

from tests.conftest import PgServer, auth, create_database, drop_database
from tests.reliability.conftest import service_app
from tests.reliability.fuzzing import CHECKS, MAX_EXAMPLES, served_stack

FUZZ = settings(max_examples=MAX_EXAMPLES, deadline=None, phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck), derandomize=True)


def _schema(service: str) -> Any:
    return schemathesis.openapi.from_dict(service_app(service).openapi())


@pytest.fixture(scope="module")
def base_urls(pg_server: PgServer) -> Iterator[dict[str, str]]:
    """Each service served over loopback on one fresh database (the apps create their own engines)."""
    url = create_database(pg_server)
    try:
        with served_stack(url) as urls:
            yield urls
    finally:
        drop_database(pg_server, url)


def _fuzz(case: Any, base_url: str) -> None:
    case.call_and_validate(base_url=base_url, headers=auth(("admin", ""), subject="fuzzer"), checks=CHECKS,
                           timeout=30)


evidence = _schema("evidence")
scoring = _schema("scoring")
ranking = _schema("ranking")


@evidence.parametrize()  # type: ignore[untyped-decorator]
@FUZZ
def test_evidence_api(case: Any, base_urls: dict[str, str]) -> None:
    _fuzz(case, base_urls["evidence"])


@scoring.parametrize()  # type: ignore[untyped-decorator]
@FUZZ
def test_scoring_api(case: Any, base_urls: dict[str, str]) -> None:
    _fuzz(case, base_urls["scoring"])


@ranking.parametrize()  # type: ignore[untyped-decorator]
@FUZZ
def test_ranking_api(case: Any, base_urls: dict[str, str]) -> None:
    _fuzz(case, base_urls["ranking"])
