"""Every HTTP route the user guides give is one the gateway serves (newcomer probe, stop 28: the guides named
`/v1/periods/{id}/exports/ranking?format=xlsx`, a route of ranking's internal REST that a user's token cannot
reach, where the gateway's is `/exports/periods/{id}/ranking.xlsx`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gateway.app import create_app

ROOT = Path(__file__).resolve().parents[2]
GUIDES = [ROOT / "docs" / "user-guide.en.md", ROOT / "docs" / "user-guide.zh.md"]
ROUTE = re.compile(r"`(GET|POST|PUT|PATCH|DELETE) (/[^`\s?]*)[^`]*`")


def served(method: str, path: str) -> bool:
    """Whether one of the gateway's routes (its OpenAPI paths) takes `method` on `path`, each `{placeholder}` of
    either standing for one segment or part of one."""
    concrete = re.sub(r"\{[^}]+\}", "1", path)
    for route, operations in create_app().openapi()["paths"].items():
        pattern = "".join("[^/]+" if part.startswith("{") else re.escape(part)
                          for part in re.split(r"(\{[^}]+\})", route))
        if method.lower() in operations and re.fullmatch(pattern, concrete):
            return True
    return False


@pytest.mark.parametrize("guide", GUIDES, ids=lambda p: p.name)
def test_every_route_a_guide_gives_is_the_gateways(guide: Path) -> None:
    routes = ROUTE.findall(guide.read_text(encoding="utf-8"))
    assert routes, "the guide gives the export routes"
    assert [f"{method} {path}" for method, path in routes if not served(method, path)] == []


def test_the_check_refuses_a_route_the_gateway_does_not_serve() -> None:
    assert served("GET", "/exports/periods/{id}/ranking.xlsx")
    assert not served("GET", "/v1/periods/{id}/exports/ranking")
    assert not served("GET", "/v1/periods/{id}/snapshots/{n}")
