"""GraphiQL, Swagger UI and ReDoc in a real headless Chromium with no network but this machine (issue 22): the
pages load everything they need from kaohe's own processes, run, and GraphiQL answers a query. Skipped, saying
why, where Chromium is not installed (.ci/run installs it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.browser import Page, chromium_or_skip, chromium_page
from tests.conftest import PgServer
from tests.gateway.live import Live, live_stack

QUERY = "{ health { service status } }"
RESULT = ("document.querySelector('.result-window .CodeMirror')"
          " && document.querySelector('.result-window .CodeMirror').CodeMirror.getValue()")


@pytest.fixture(scope="module")
def chromium() -> str:
    return chromium_or_skip()


@pytest.fixture(scope="module")
def live(chromium: str, pg_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with live_stack(pg_server, Path(tmp_path_factory.mktemp("browser"))) as stack:
        yield stack


@pytest.fixture(scope="module")
def scoring_docs(live: Live) -> Iterator[str]:
    """A scoring app built now, with this test's settings (development: its documentation open), beside the
    live stack's (the module's own app was built with whatever settings the first test importing it had)."""
    from services.common.app import create_service_app
    from services.common.settings import get_settings
    from services.scoring.app import spec
    from tests.reliability.fuzzing import served

    get_settings.cache_clear()
    app = create_service_app(spec)
    app.state.run_relay = False
    with served(app) as url:
        yield url


def _only_from(page: Page, origin: str) -> None:
    """Every request of the page went to `origin` (or was inline data), and the page reported nothing wrong."""
    elsewhere = [url for url in page.requested() if not url.startswith((origin + "/", "data:", "blob:"))]
    assert elsewhere == []
    assert page.problems() == []


def test_graphiql_runs_a_query_offline(chromium: str, live: Live) -> None:
    origin = live.urls["gateway"]
    with chromium_page(chromium) as page:
        page.call("Page.navigate", url=f"{origin}/graphql?q={quote(QUERY)}")
        page.wait_for("!!document.querySelector('.graphiql-execute-button')")
        assert page.evaluate("document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue()") \
            == QUERY
        page.evaluate("document.querySelector('.graphiql-execute-button').click()")
        answer = json.loads(page.wait_for(f"({RESULT}) && ({RESULT}).includes('health') && ({RESULT})"))
        _only_from(page, origin)
    # the three services, each at the head of its migrations on the live stack's fresh database
    assert answer == {"data": {"health": [{"service": "evidence", "status": "ready"},
                                          {"service": "scoring", "status": "ready"},
                                          {"service": "ranking", "status": "ready"}]}}


@pytest.mark.parametrize(("path", "drawn"), [
    ("/docs", "document.querySelectorAll('.swagger-ui .opblock').length"),
    ("/redoc", "document.querySelectorAll('[data-section-id^=\"operation/\"], [id^=\"operation/\"]').length"),
])
def test_swagger_ui_and_redoc_draw_a_service_api_offline(chromium: str, scoring_docs: str, path: str,
                                                         drawn: str) -> None:
    origin = scoring_docs
    with chromium_page(chromium) as page:
        page.call("Page.navigate", url=f"{origin}{path}")
        operations = page.wait_for(drawn)
        _only_from(page, origin)
    assert operations > 20  # scoring's REST operations, each drawn from /openapi.json
