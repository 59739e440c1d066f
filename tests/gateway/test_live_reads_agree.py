"""Lists and single reads agree (issue 21 item 15), through the gateway over the real services: a scheme read
from `schemes`, `schemeVersions`, `scheme(id, version)`, `createScheme` and `publishScheme` has the same
fields (owner path, indicator tree, document, version count), and a period read from `periods` is the same as
`period(id)` and `openPeriod` (indicators, subject count)."""

from __future__ import annotations

import pytest

from tests.gateway.live import Live, module_stack

SCHEME = {
    "id": "agree", "version": 1, "title": "街道考核", "subject_kind": "unit", "period": "quarter",
    "groups": ["街道"],
    "indicators": [
        {"code": "work", "name": "重点工作", "max": 60, "children": [
            {"code": "plan", "name": "计划", "max": 20, "rule": {"kind": "manual"}},
            {"code": "rate", "name": "完成率", "max": 40, "rule": {"kind": "ratio", "target": 1}}]},
        {"code": "pj", "name": "测评", "max": 40, "rule": {"kind": "rating", "scale": {"好": 40, "差": 0}}},
    ],
}
SCHEME_FIELDS = """id version name status revision publishedAt ownerPath versionCount document
  indicators { code name max ruleKind children { code name max ruleKind children { code } } }"""
PERIOD_FIELDS = """id schemeId schemeVersion label status ownerPath subjectCount inputsSha256
  indicators { code name max ruleKind factKind }"""
UNIT = "mutation($n: String!, $s: String!, $p: ID) { createUnit(name: $n, slug: $s, parentId: $p) { id path } }"


live = module_stack("agree")


@pytest.fixture(scope="module")
def city(live: Live) -> str:
    created: str = live(live.token("admin", ""), UNIT, n="市", s="city")["createUnit"]["id"]
    return created


def test_scheme_lists_and_single_reads_agree(live: Live, city: str) -> None:
    admin = live.token("admin", "")
    create = f'mutation($d: JSON!) {{ createScheme(document: $d, ownerPath: "city") {{ {SCHEME_FIELDS} }} }}'
    draft = live(admin, create, d=SCHEME)["createScheme"]
    tree = [{"code": "work", "name": "重点工作", "max": "60", "ruleKind": None, "children": [
                {"code": "plan", "name": "计划", "max": "20", "ruleKind": "manual", "children": []},
                {"code": "rate", "name": "完成率", "max": "40", "ruleKind": "ratio", "children": []}]},
            {"code": "pj", "name": "测评", "max": "40", "ruleKind": "rating", "children": []}]
    assert (draft["ownerPath"], draft["versionCount"], draft["status"], draft["indicators"]) == \
        ("city", 1, "draft", tree)
    assert draft["document"]["indicators"][0]["children"][1]["rule"] == {"kind": "ratio", "target": 1}
    drafts = live(admin, f"{{ schemes {{ nodes {{ {SCHEME_FIELDS} }} }} }}")["schemes"]["nodes"]
    assert [n for n in drafts if n["id"] == "agree"] == [draft]
    published = live(admin, f"mutation($r: Int!) {{ publishScheme(id: \"agree\", version: 1, revision: $r) "
                            f"{{ {SCHEME_FIELDS} }} }}", r=draft["revision"])["publishScheme"]
    assert (published["ownerPath"], published["status"], published["indicators"]) == ("city", "published", tree)
    single = live(admin, f"{{ scheme(id: \"agree\", version: 1) {{ {SCHEME_FIELDS} }} }}")["scheme"]
    listed = [n for n in live(admin, f"{{ schemes {{ nodes {{ {SCHEME_FIELDS} }} }} }}")["schemes"]["nodes"]
              if n["id"] == "agree"]
    versions = live(admin, f"{{ schemeVersions(schemeId: \"agree\") {{ nodes {{ {SCHEME_FIELDS} }} }} }}")
    assert listed == [single] == versions["schemeVersions"]["nodes"] == [published]
    # a reader of the district sees the same published scheme through every read
    reader = live.token("submitter", "city")
    seen = [n for n in live(reader, f"{{ schemes {{ nodes {{ {SCHEME_FIELDS} }} }} }}")["schemes"]["nodes"]
            if n["id"] == "agree"]
    assert seen == [live(reader, f"{{ scheme(id: \"agree\", version: 1) {{ {SCHEME_FIELDS} }} }}")["scheme"]]
    assert (seen[0]["ownerPath"], seen[0]["versionCount"]) == ("city", 1)


def test_period_lists_and_single_reads_agree(live: Live, city: str) -> None:
    admin = live.token("admin", "")
    draft = live(admin, 'mutation($d: JSON!) { createScheme(document: $d, ownerPath: "city") { revision } }',
                 d={**SCHEME, "id": "agree-p"})["createScheme"]
    live(admin, 'mutation($r: Int!) { publishScheme(id: "agree-p", version: 1, revision: $r) { status } }',
         r=draft["revision"])
    units = [live(admin, UNIT, n=name, s=slug, p=city)["createUnit"] for name, slug in (("甲", "pa"), ("乙", "pb"))]
    opened = live(admin, f"""mutation($s: [EnrolmentInput!]!) {{ openPeriod(input: {{schemeId: "agree-p",
        schemeVersion: 1, label: "2026-Q1", subjects: $s}}) {{ {PERIOD_FIELDS} }} }}""",
                  s=[{"id": u["id"], "group": "街道"} for u in units])["openPeriod"]
    flat = [{"code": "work", "name": "重点工作", "max": "60", "ruleKind": None, "factKind": None},
            {"code": "plan", "name": "计划", "max": "20", "ruleKind": "manual", "factKind": "score"},
            {"code": "rate", "name": "完成率", "max": "40", "ruleKind": "ratio", "factKind": "measure"},
            {"code": "pj", "name": "测评", "max": "40", "ruleKind": "rating", "factKind": "rating"}]
    assert (opened["subjectCount"], opened["indicators"], opened["ownerPath"]) == (2, flat, "city")
    live.settle(opened["id"])
    single = live(admin, f"query($p: ID!) {{ period(id: $p) {{ {PERIOD_FIELDS} }} }}", p=opened["id"])["period"]
    listed = live(admin, f"{{ periods {{ nodes {{ {PERIOD_FIELDS} }} }} }}")["periods"]["nodes"]
    assert listed == [single]
    assert (single["subjectCount"], single["indicators"]) == (2, flat)
