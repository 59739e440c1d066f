"""The typed Python client (issue 22): kaohe_client/ and client/persisted.json are what scripts/client.py
generates from the committed schema and client/operations/ (ariadne-codegen, pinned), and the client works
against a running gateway over the real services: typed answers, a GraphQL error raised with its code, and the
example client/example.py run as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gateway.live import Live, module_stack

ROOT = Path(__file__).resolve().parents[2]
live = module_stack("client")


def test_the_committed_client_and_manifest_are_what_the_generator_writes(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(ROOT / "scripts" / "client.py"), "--out", str(tmp_path)], cwd=ROOT,
                   check=True, timeout=600)
    generated = {p.relative_to(tmp_path / "kaohe_client"): p.read_text(encoding="utf-8")
                 for p in sorted((tmp_path / "kaohe_client").glob("*.py"))}
    committed = {p.relative_to(ROOT / "kaohe_client"): p.read_text(encoding="utf-8")
                 for p in sorted((ROOT / "kaohe_client").glob("*.py"))}
    assert generated == committed, "run `python scripts/client.py` and commit kaohe_client/"
    assert (tmp_path / "persisted.json").read_text(encoding="utf-8") == \
        (ROOT / "client" / "persisted.json").read_text(encoding="utf-8"), "run `python scripts/client.py`"
    operations = sorted(p.stem for p in (ROOT / "client" / "operations").glob("*.graphql"))
    assert len(json.loads((ROOT / "client" / "persisted.json").read_text(encoding="utf-8"))) == len(operations)


def test_the_client_against_a_running_gateway(live: Live) -> None:
    from kaohe_client import KaoheClient
    from kaohe_client.exceptions import GraphQLClientGraphQLMultiError

    office = live.token("admin", "")
    gateway = f"{live.urls['gateway']}/graphql"
    with KaoheClient(url=gateway, headers={"Authorization": f"Bearer {office}"}) as client:
        city = client.create_unit(name="市", slug="city").create_unit
        street = client.create_unit(name="甲街道", slug="a", parent_id=city.id).create_unit
        assert (city.path, street.path, street.parent_id) == ("city", "city/a", city.id)
        roots = client.units().units
        assert roots is not None and roots.total_count == 1 and [n.name for n in roots.nodes] == ["市"]
        under = client.units(parent_id=city.id).units
        assert under is not None and [(n.name, n.path) for n in under.nodes] == [("甲街道", "city/a")]
        me = client.me().me
        assert me is not None and (me.kind, [(g.role, g.scope) for g in me.grants]) == ("user", [("admin", "")])
        assert sorted(s.service for s in client.health().health) == ["evidence", "ranking", "scoring"]
        with pytest.raises(GraphQLClientGraphQLMultiError) as refused:  # a duplicate path: the service's 409
            client.create_unit(name="市", slug="city")
        assert refused.value.errors[0].extensions["code"] == "CONFLICT"
    clerk = live.token("submitter", "city/a")
    with KaoheClient(url=gateway, headers={"Authorization": f"Bearer {clerk}"}) as client:
        with pytest.raises(GraphQLClientGraphQLMultiError) as refused:
            client.create_unit(name="乙街道", slug="b", parent_id=city.id)
        assert refused.value.errors[0].extensions["code"] == "FORBIDDEN"
    # no credentials: the gateway's 401 raises the client's typed error with its code and message, in the
    # language asked for (a GraphQLClientHttpError too, with the status)
    from kaohe_client import GraphQLClientHttpError, KaoheHttpError

    for language, message in (("en", "sign in: send a bearer token or an API key"),
                              ("zh-CN", "请先登录：发送 Bearer 令牌或 API 密钥")):
        with KaoheClient(url=gateway, headers={"Accept-Language": language}) as client:
            with pytest.raises(KaoheHttpError) as unauthenticated:
                client.me()
        refused = unauthenticated.value
        assert (refused.status_code, refused.code, refused.message) == (401, "UNAUTHENTICATED", message)
        assert str(refused) == f"HTTP 401 UNAUTHENTICATED: {message}"
        assert isinstance(refused, GraphQLClientHttpError) and isinstance(refused, GraphQLClientGraphQLMultiError)
        assert [e.extensions["code"] for e in refused.errors if e.extensions] == ["UNAUTHENTICATED"]
    # the example, as a user runs it (the units made above)
    run = subprocess.run([sys.executable, str(ROOT / "client" / "example.py")], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "KAOHE_GATEWAY_URL": live.urls["gateway"],
                                           "KAOHE_TOKEN": office}, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["admin@all (user): admin@*", "city\t市\t1 units under it"]


SCHEME = {"id": "client-flow", "version": 1, "title": "街道考核", "subject_kind": "unit", "period": "quarter",
          "groups": ["街道"],
          "indicators": [{"code": "work", "name": "重点工作", "max": 100, "rule": {"kind": "manual"}}]}


def test_evidence_review_and_its_audit_trail_through_the_typed_client(live: Live) -> None:
    """A portal's everyday calls with the client's own methods: an assessor submits, a reviewer (another person)
    approves, the office lists the period's submissions and an auditor reads the submission's audit trail."""
    from kaohe_client import KaoheClient

    district = live.unit("区", "district")
    street = live.unit("丙街道", "c", district["id"])
    live.published_scheme(SCHEME, owner_path="district")
    period = live.another_period(SCHEME, "2026-Q2", [(street["id"], "街道")])
    gateway = f"{live.urls['gateway']}/graphql"

    def client(role: str, scope: str, subject: str) -> KaoheClient:
        return KaoheClient(url=gateway, headers={"Authorization": f"Bearer {live.token(role, scope, subject=subject)}"})

    with client("assessor", "district", "clerk") as clerk:  # a manual score is an assessor's to give
        sent = clerk.submit_evidence(period_id=period, subject_id=street["id"], indicator="work", fact="score",
                                     content={"points": "88"}).submit_evidence
    assert (sent.status, sent.version, sent.submitted_by, sent.subject_id) == ("pending", 1, "clerk", street["id"])
    with client("reviewer", "district", "head") as head:
        decided = head.review_submission(id=sent.id, action="approve", version=1).review_submission
    assert (decided.status, decided.version) == ("approved", 2)
    # one level (the default chain's 审核, index 0), decided by a person in their own name
    assert [(r.reviewer, r.on_behalf_of, r.level_index, r.level_name, r.decision) for r in decided.reviews] == [
        ("head", None, 0, "审核", "approve")]
    assert (decided.submitted_by, decided.on_behalf_of) == ("clerk", None)
    assert decided.fact_id is not None
    with client("admin", "district", "office") as office:
        listed = office.submissions(period_id=period, first=10).submissions
        assert listed is not None and listed.total_count == 1
        assert [(n.id, n.status) for n in listed.nodes] == [(sent.id, "approved")]
    with client("auditor", "", "inspector") as auditor:  # the audit log is read organisation-wide
        trail = auditor.audit_trail(entity_id=sent.id).audit_trail
    assert trail is not None
    assert {(r.actor, r.action) for r in trail.nodes} >= {("clerk", "submission.create")}
    assert "head" in {r.actor for r in trail.nodes}
