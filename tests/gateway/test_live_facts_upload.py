"""Facts in bulk through the gateway over the real services (issue 17): `POST /uploads/periods/{id}/facts` takes a
month's ledger of one indicator (CSV or xlsx, a row per subject), makes each row a submission with the checks and
audit of one `submitEvidence`, approves at once the rows the uploader reviews, and reports every bad row (row,
column, reason) with nothing written.

Hand-worked: 市 (city) holds 甲街道 (city/a), 乙街道 (city/b), 丙街道 (city/c), each enrolled in group 街道. The scheme
has 重点工作 (`work`, manual: score facts) and 台账完成率 (`rate`, ratio: measure facts). Without a configured chain
a submission passes one level, 审核, a reviewer of the subject's unit."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from typing import Any

import httpx
import pytest
from openpyxl import Workbook

from gateway.auth import development_token
from services.common.auth import Grant
from services.common.settings import get_settings
from tests.gateway.live import Live, module_stack
from tests.gateway.test_live_publication import scheme

live = module_stack("facts-upload")
SUBMISSIONS = """query($p: ID!, $s: ID!) { submissions(periodId: $p, subjectId: $s) { totalCount
  nodes { id indicator kind status value factId submittedBy reviews { level decision reviewer reason } } } }"""
TRAIL = "query($e: String!) { auditTrail(entityId: $e, first: 100) { nodes { service action actor details } } }"
SUBMIT = "mutation($i: EvidenceInput!) { submitEvidence(input: $i) { id version } }"
APPROVE = """mutation($id: ID!, $v: Int!) { reviewSubmission(id: $id, input: {action: "approve", version: $v})
  { status factId } }"""


@pytest.fixture(scope="module")
def units(live: Live) -> dict[str, str]:
    return live.city(("甲街道", "a"), ("乙街道", "b"), ("丙街道", "c"))


def period(live: Live, units: dict[str, str], name: str) -> str:
    """A period of its own scheme (so that each test starts with no evidence) for 甲, 乙 and 丙."""
    document = {**scheme(f"bulk-{name}"), "indicators": [
        {"code": "work", "name": "重点工作", "max": 60, "rule": {"kind": "manual"}},
        {"code": "rate", "name": "台账完成率", "max": 40, "rule": {"kind": "ratio", "target": 1}}]}
    return live.opened_period(document, "2026-Q2", [(units[u], "街道") for u in ("a", "b", "c")])


def upload(live: Live, token: str, period_id: str, name: str, data: bytes, **form: str) -> httpx.Response:
    return live.http.post(f"{live.url}/uploads/periods/{period_id}/facts", files={"file": (name, data)},
                          data=form, headers={"Authorization": f"Bearer {token}"})


def token(*grants: tuple[str, str], subject: str) -> str:
    return development_token(get_settings(), subject=subject, ttl_seconds=900,
                             grants=[Grant(role, scope) for role, scope in grants])  # type: ignore[arg-type]


def xlsx(*rows: list[Any]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def submissions(live: Live, period_id: str, subject: str) -> dict[str, Any]:
    found: dict[str, Any] = live(live.token("admin", ""), SUBMISSIONS, p=period_id, s=subject)["submissions"]
    return found


def facts(live: Live, period_id: str) -> list[dict[str, Any]]:
    answer = live.service("evidence", "GET", f"/v1/facts?period_id={period_id}")
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return sorted(items, key=lambda fact: fact["subject"])


def test_the_office_that_reviews_uploads_approved_facts(live: Live, units: dict[str, str]) -> None:
    p = period(live, units, "approved")
    a, b = units["a"], units["b"]
    data = xlsx(["subject", "name", "points", "note"], [a, "甲街道", 52, "一季度重点工作"], [b, "乙街道", 47.5, None],
                [None, None, None, None])  # a blank line of the ledger is skipped
    answer = upload(live, live.token("admin", ""), p, "重点工作台账.xlsx", data, indicator="work")
    assert answer.status_code == 201, answer.text
    body = answer.json()
    made = body.pop("submissions")
    assert body == {"periodId": p, "indicator": "work", "fact": "score", "month": None, "submitted": 2,
                    "approved": 2, "pending": 0}
    assert [(m["row"], m["subjectId"], m["status"], m["factId"]) for m in made] == [
        (2, a, "approved", f"sub-{made[0]['id']}"), (3, b, "approved", f"sub-{made[1]['id']}")]
    # each row is a submission approved at its one level by the uploader, and its fact went to scoring
    (first,) = submissions(live, p, a)["nodes"]
    assert first == {"id": made[0]["id"], "indicator": "work", "kind": "score", "status": "approved",
                     "value": {"points": "52", "note": "一季度重点工作"}, "factId": f"sub-{made[0]['id']}",
                     "submittedBy": "admin@all",
                     "reviews": [{"level": "审核", "decision": "approve", "reviewer": "admin@all",
                                 "reason": "approved on upload: the uploader reviews every level"}]}
    chinese = httpx.post(f"{live.url}/graphql", json={"query": SUBMISSIONS, "variables": {"p": p, "s": a}}, timeout=60,
                         headers={"Authorization": f"Bearer {live.token('admin', '')}", "Accept-Language": "zh-CN"})
    assert chinese.json()["data"]["submissions"]["nodes"][0]["reviews"][0]["reason"] == "批量导入：上传者即各级审核人"
    assert facts(live, p) == sorted([
        {"id": f"sub-{made[0]['id']}", "subject": a, "indicator": "work", "fact": "score", "points": "52",
         "note": "一季度重点工作"},
        {"id": f"sub-{made[1]['id']}", "subject": b, "indicator": "work", "fact": "score", "points": "47.5"}],
        key=lambda fact: fact["subject"])
    # the audit of one row is that of one submission approved by hand, where the approver must be another person
    # (four-eyes): the uploader's entries count as reviewed by the uploader (docs/identity.md); the file itself is
    # recorded on the period
    auditor = live.token("auditor", "")
    by_hand = live(live.token("admin", ""), SUBMIT, i={"periodId": p, "subjectId": units["c"], "indicator": "work",
                                                        "fact": "score", "content": {"points": "40"}})["submitEvidence"]
    assert live.error(live.token("admin", ""), APPROVE, id=by_hand["id"],
                      v=by_hand["version"])["extensions"]["code"] == "FORBIDDEN"
    live(live.token("admin", "", subject="office-2"), APPROVE, id=by_hand["id"], v=by_hand["version"])
    trails = [[(n["service"], n["action"], n["actor"]) for n in live(auditor, TRAIL, e=entity)["auditTrail"]["nodes"]]
              for entity in (made[0]["id"], by_hand["id"])]
    assert trails == [[("evidence", "submission.create", "admin@all"), ("evidence", "review.approve", "admin@all")],
                      [("evidence", "submission.create", "admin@all"), ("evidence", "review.approve", "office-2")]]
    (imported,) = [n for n in live(auditor, TRAIL, e=p)["auditTrail"]["nodes"] if n["action"] == "submission.import"]
    details = imported["details"]
    assert len(details.pop("sha256")) == 64
    assert details == {"period_id": p, "indicator": "work", "fact": "score", "month": None, "submitted": 2,
                       "approved": 2, "pending": 0, "file": "重点工作台账.xlsx"}


def test_every_bad_row_is_reported_and_nothing_is_written(live: Live, units: dict[str, str]) -> None:
    p = period(live, units, "bad-rows")
    a, b, c = units["a"], units["b"], units["c"]
    data = (f"subject,name,numerator,denominator,month\n"
            f"{a},甲街道,45,50,\n"           # good: the file's month
            f"ghost,,1,2,\n"                 # not enrolled
            f"{b},丙街道,3,4,\n"             # the name of another subject: a shifted row
            f"{c},丙街道,x,4,\n"             # not a number
            f"{c},丙街道,3,4,2026-05\n"      # another month
            f"{a},甲街道,,,\n"               # neither value nor numerator and denominator
            f"{b},乙街道,5,0\n"              # a denominator of 0 with a numerator
            f"{'x' * 80},,1,2,\n"            # an id longer than any subject's
            '"p1,p2",,1,2,\n').encode()      # a comma in the id (scoring's batch read separates ids with it)
    refused = upload(live, live.token("admin", ""), p, "台账.csv", data, indicator="rate", month="2026-04")
    assert refused.status_code == 422, refused.text
    error = refused.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["details"]["rows"] == [
        {"row": 3, "column": "subject", "reason": f"subject 'ghost' is not in period '{p}'"},
        {"row": 4, "column": "name", "reason": f"'丙街道' is not the name of subject {b} (乙街道)"},
        {"row": 5, "column": "numerator",
         "reason": "numerator: must be a number written with the digits 0-9, e.g. 12 or 12.5"},
        {"row": 6, "column": "month", "reason": "month 2026-05 is not the file's month 2026-04"},
        {"row": 7, "column": None, "reason": "give either value, or numerator and denominator"},
        {"row": 8, "column": "denominator",
         "reason": "denominator: must be positive (0 only with a numerator of 0: nothing to count)"},
        {"row": 9, "column": "subject", "reason": f"subject '{'x' * 40}… (80 characters)' is not in period '{p}'"},
        {"row": 10, "column": "subject", "reason": f"subject 'p1,p2' is not in period '{p}'"}]
    assert error["message"] == f"line 3: subject 'ghost' is not in period '{p}' (and 7 more bad rows; nothing was " \
                               "submitted)"
    for unit in (a, b, c):
        assert submissions(live, p, unit)["totalCount"] == 0  # nothing written, not even the good row
    # corrected, the measure takes the file's month
    fixed = f"subject,name,numerator,denominator\n{a},甲街道,45,50\n{b},乙街道,0,0\n".encode()
    done = upload(live, live.token("admin", ""), p, "台账.csv", fixed, indicator="rate", month="2026-04")
    assert done.status_code == 201, done.text
    assert sorted((f["subject"], f["numerator"], f["denominator"], f["month"]) for f in facts(live, p)) == sorted(
        [(a, "45", "50", "2026-04"), (b, "0", "0", "2026-04")])


def test_a_column_the_fact_kind_lacks_is_named(live: Live, units: dict[str, str]) -> None:
    p = period(live, units, "header")
    data = f"subject,points,score\n{units['a']},5,6\n".encode()
    refused = upload(live, live.token("admin", ""), p, "台账.csv", data, indicator="rate")
    assert refused.status_code == 422, refused.text
    fields = "columns: subject, name, justification, note, value, numerator, denominator, month"
    assert refused.json()["errors"][0]["extensions"]["details"]["rows"] == [
        {"row": 1, "column": "points", "reason": f"'points' is not a field of measure facts ({fields})"},
        {"row": 1, "column": "score", "reason": f"'score' is not a field of measure facts ({fields})"}]
    # and a form the scheme contradicts is refused as a whole
    wrong = upload(live, live.token("admin", ""), p, "台账.csv", f"subject,points\n{units['a']},5\n".encode(),
                   indicator="rate", fact="score")
    assert wrong.status_code == 422, wrong.text
    assert wrong.json()["errors"][0]["message"] == "indicator 'rate' reads measure facts, not score"
    unknown = upload(live, live.token("admin", ""), p, "台账.csv", f"subject,points\n{units['a']},5\n".encode(),
                     indicator="nope")
    assert unknown.status_code == 422, unknown.text
    assert unknown.json()["errors"][0]["message"] == "indicator 'nope' is not in the period's scheme, or reads no facts"
    monthly = upload(live, live.token("admin", ""), p, "台账.csv", f"subject,points\n{units['a']},5\n".encode(),
                     indicator="work", month="2026-04")
    assert monthly.status_code == 422, monthly.text
    assert monthly.json()["errors"][0]["message"] == "score facts carry no month or date: leave month empty"


def test_a_subject_outside_the_uploaders_scope_is_a_bad_row(live: Live, units: dict[str, str]) -> None:
    p = period(live, units, "scope")
    data = f"subject,points\n{units['a']},50\n{units['b']},40\n".encode()
    refused = upload(live, live.token("assessor", "city/a"), p, "台账.csv", data, indicator="work")
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["extensions"]["details"]["rows"] == [
        {"row": 3, "column": "subject", "reason": f"subject '{units['b']}' is not in period '{p}'"}]
    assert submissions(live, p, units["a"])["totalCount"] == 0
    # a role that submits no score facts anywhere, and no credentials at all
    assert upload(live, live.token("reviewer", ""), p, "台账.csv", data, indicator="work").status_code == 403
    anonymous = live.http.post(f"{live.url}/uploads/periods/{p}/facts", files={"file": ("x.csv", data)},
                               data={"indicator": "work"})
    assert anonymous.status_code == 401


def test_nothing_outside_the_uploaders_scope_is_told(live: Live, units: dict[str, str]) -> None:
    """Stop 26: a submitter of 甲街道 (city/a) learns nothing of 乙街道 (city/b): neither its name nor its unit nor
    whether it is enrolled, and nothing of a period 乙街道's office runs; the name of its own subject it is told."""
    p = period(live, units, "scope-first")
    a, b = units["a"], units["b"]
    submitter = live.token("submitter", "city/a")
    data = (f"subject,name,numerator,denominator\n"
            f"{a},乙街道,1,2\n"      # in scope, the wrong name: the subject's own name is told
            f"{b},?,1,2\n"           # enrolled, another unit's: as if not enrolled, whatever the name
            f"{b},,1,2\n"            # no name to check: still nothing of its unit
            f"ghost,?,1,2\n").encode()  # not enrolled at all
    refused = upload(live, submitter, p, "台账.csv", data, indicator="rate")
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["extensions"]["details"]["rows"] == [
        {"row": 2, "column": "name", "reason": f"'乙街道' is not the name of subject {a} (甲街道)"},
        {"row": 3, "column": "subject", "reason": f"subject '{b}' is not in period '{p}'"},
        {"row": 4, "column": "subject", "reason": f"subject '{b}' is not in period '{p}'"},
        {"row": 5, "column": "subject", "reason": "subject 'ghost' is not in period '" + p + "'"}]
    # a period of 乙街道's office (owner city/b): answered as a period that does not exist, whatever the file says
    document = {**scheme("bulk-other-office"), "indicators": [
        {"code": "rate", "name": "台账完成率", "max": 40, "rule": {"kind": "ratio", "target": 1}}]}
    live.published_scheme(document, owner_path="city/b")
    other = live.another_period(document, "2026-Q2", [(b, "街道")])
    assert upload(live, live.token("submitter", "city/b"), other, "台账.csv", f"subject,value\n{b},1\n".encode(),
                  indicator="rate").status_code == 201  # its own office's submitter submits there
    files = [f"subject,name\n{b},?\n", f"subject,value\n{b},1\n", "subject,value\nghost,1\n"]
    for form in ({"indicator": "rate"}, {"indicator": "nosuch"}, {"fact": "event"}):
        for text in files:
            for period_id in (other, "nonexist"):
                answer = upload(live, submitter, period_id, "台账.csv", text.encode(), **form)
                assert (answer.status_code, answer.json()) == (404, {"errors": [{
                    "message": f"period {period_id} not found",
                    "extensions": {"code": "NOT_FOUND", "reason": "not_found"}}]}), (form, text, period_id)
    chinese = live.http.post(f"{live.url}/uploads/periods/{other}/facts", files={"file": ("x.csv", files[0].encode())},
                             data={"indicator": "rate"},
                             headers={"Authorization": f"Bearer {submitter}", "Accept-Language": "zh-CN"})
    assert chinese.json()["errors"][0]["message"] == f"未找到考核周期 {other}"


def test_rows_the_uploader_reviews_are_approved_the_others_wait_for_review(
        live: Live, units: dict[str, str]) -> None:
    p = period(live, units, "mixed")
    a, b = units["a"], units["b"]
    data = f"subject,points,justification\n{a},50,\n{b},40,乙街道自报\n".encode()
    # an assessor of the city who reviews 甲街道 only
    office = token(("assessor", "city"), ("reviewer", "city/a"), subject="office-a")
    answer = upload(live, office, p, "台账.csv", data, indicator="work", justification="二季度台账")
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert [(m["subjectId"], m["status"], m["factId"] is not None) for m in body["submissions"]] == [
        (a, "approved", True), (b, "pending", False)]
    assert (body["submitted"], body["approved"], body["pending"]) == (2, 1, 1)
    (waiting,) = submissions(live, p, b)["nodes"]
    assert (waiting["status"], waiting["reviews"], waiting["value"]) == ("pending", [], {"points": "40"})
    assert [f["subject"] for f in facts(live, p)] == [a]
    # the pending one is reviewed as any other submission
    reviewer = live.token("reviewer", "city/b")
    version = live(reviewer, "query($id: ID!) { submission(id: $id) { version } }",
                   id=waiting["id"])["submission"]["version"]
    assert live(reviewer, APPROVE, id=waiting["id"], v=version)["reviewSubmission"]["status"] == "approved"
    # an assessor without a reviewer grant makes submissions only
    again = upload(live, live.token("assessor", "city"), p, "台账.csv", data, indicator="work")
    assert again.status_code == 201, again.text
    assert [m["status"] for m in again.json()["submissions"]] == ["pending", "pending"]
    justifications = live.service("evidence", "GET", f"/v1/submissions/{waiting['id']}/versions").json()
    assert [v["justification"] for v in justifications] == ["乙街道自报"]


def test_a_retried_upload_with_its_key_is_replayed(live: Live, units: dict[str, str]) -> None:
    p = period(live, units, "retry")
    data = f"subject,points\n{units['a']},50\n".encode()
    sent = [live.http.post(f"{live.url}/uploads/periods/{p}/facts", files={"file": ("台账.csv", data)},
                           data={"indicator": "work"},
                           headers={"Authorization": f"Bearer {live.token('admin', '')}", "Idempotency-Key": "k-1"})
            for _ in range(2)]
    assert [s.status_code for s in sent] == [201, 201]
    assert sent[0].json() == sent[1].json()
    assert submissions(live, p, units["a"])["totalCount"] == 1


def test_an_event_outside_the_month_is_a_bad_row(live: Live, units: dict[str, str]) -> None:
    # a deduction leaf that counts 迟报 and 漏报 (the events of a scheme without vetoes go to an indicator)
    document = {**scheme("bulk-events"), "indicators": [
        {"code": "work", "name": "重点工作", "max": 60, "rule": {"kind": "manual"}},
        {"code": "discipline", "name": "报送纪律", "max": 40,
         "rule": {"kind": "deduction", "per_event": {"迟报": 2, "漏报": 4}}}]}
    p = live.opened_period(document, "2026-Q2", [(units[u], "街道") for u in ("a", "b", "c")])
    data = xlsx(["subject", "type", "date", "count"], [units["a"], "迟报", datetime(2026, 4, 3), 1],
                [units["b"], "漏报", datetime(2026, 5, 2), 2])
    refused = upload(live, live.token("admin", ""), p, "扣分.xlsx", data, indicator="discipline", month="2026-04")
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["extensions"]["details"]["rows"] == [
        {"row": 3, "column": "date", "reason": "2026-05-02 is not in the file's month 2026-04"}]
    # the same events without an indicator: the scheme has no vetoes, so the whole file is refused on `indicator`
    whole = upload(live, live.token("admin", ""), p, "扣分.xlsx", data, fact="event", month="2026-04")
    assert whole.status_code == 422, whole.text
    error = whole.json()["errors"][0]
    assert error["message"] == "indicator is required: the scheme has no vetoes, so every event counts on an indicator"
    assert error["extensions"]["details"] == [{"field": "indicator", "reason": "no vetoes"}]


CHAIN = """mutation($s: ID!, $l: [ReviewLevelInput!]!) { setReviewChain(schemeId: $s, indicator: "work", levels: $l)
  { version } }"""


def test_a_chain_the_uploader_may_not_pass_alone_starts_at_its_first_level(
        live: Live, units: dict[str, str]) -> None:
    """Two levels: the uploader (admin, a reviewer everywhere) approves a row at once only where the second level
    lets the person who decided the first decide again, as one by one."""
    admin, a = live.token("admin", ""), units["a"]
    data = f"subject,points\n{a},50\n".encode()
    outcomes = []
    for name, again in (("separate", False), ("same", True)):
        p = period(live, units, f"chain-{name}")
        live(admin, CHAIN, s=f"bulk-chain-{name}", l=[
            {"name": "科室负责人", "workingDays": 2},
            {"name": "分管领导", "scope": "city", "workingDays": 3, "sameReviewerAllowed": again}])
        answer = upload(live, admin, p, "台账.csv", data, indicator="work")
        assert answer.status_code == 201, answer.text
        (made,) = submissions(live, p, a)["nodes"]
        outcomes.append((made["status"], [(r["level"], r["decision"]) for r in made["reviews"]]))
    assert outcomes == [("pending", []),
                        ("approved", [("科室负责人", "approve"), ("分管领导", "approve")])]


def test_a_refused_field_reads_in_the_language_asked_for(live: Live, units: dict[str, str]) -> None:
    """A row's field refused by pydantic's check reads in Chinese as `submitEvidence`'s does (content.numerator：应大于
    或等于 0), not in pydantic's English inside a Chinese sentence; `details.rows[].reason` stays English."""
    p = period(live, units, "language")
    data = f"subject,name,numerator,denominator\n{units['a']},甲街道,-1,50\n".encode()
    refused = live.http.post(f"{live.url}/uploads/periods/{p}/facts", files={"file": ("台账.csv", data)},
                             data={"indicator": "rate", "month": "2026-04"},
                             headers={"Authorization": f"Bearer {live.token('admin', '')}", "Accept-Language": "zh-CN"})
    assert refused.status_code == 422, refused.text
    error = refused.json()["errors"][0]
    assert error["message"] == "第 2 行：numerator：应大于或等于 0"
    assert error["extensions"]["details"]["rows"] == [
        {"row": 2, "column": "numerator", "reason": "numerator: Input should be greater than or equal to 0"}]


def test_a_zip_bomb_is_refused_in_the_language_asked_for(live: Live, units: dict[str, str]) -> None:
    """An .xlsx whose parts unzip to 64 MiB (64 KiB sent) is refused before it is read, its reason in Chinese too."""
    p = period(live, units, "bomb")
    source = zipfile.ZipFile(io.BytesIO(xlsx(["subject", "numerator", "denominator"], [units["a"], 1, 2])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb:
        for part in source.infolist():
            data = source.read(part.filename)
            if part.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * (64 * 2**20))
            bomb.writestr(part, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    for language, message in (("en", "not a readable .xlsx workbook: it unzips to 64 MiB; at most 50 MiB are read"),
                              ("zh-CN", "不是可读取的 .xlsx 工作簿：解压后为 64 MiB，最多读取 50 MiB")):
        refused = live.http.post(f"{live.url}/uploads/periods/{p}/facts",
                                 files={"file": ("台账.xlsx", buffer.getvalue())}, data={"indicator": "rate"},
                                 headers={"Authorization": f"Bearer {live.token('admin', '')}",
                                          "Accept-Language": language})
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["message"] == message
    assert submissions(live, p, units["a"])["totalCount"] == 0


Q2_MONTHS = "is not a month of period 2026-Q2: give a month from 2026-04 to 2026-06"


@pytest.mark.parametrize(("month", "reason"), [("2026-13", f"2026-13 {Q2_MONTHS}"), ("2025-05", f"2025-05 {Q2_MONTHS}"),
                                               ("2026-03", f"2026-03 {Q2_MONTHS}")])
def test_a_month_outside_the_period_is_refused_by_submit_evidence_and_the_upload(
        live: Live, units: dict[str, str], month: str, reason: str) -> None:
    p = period(live, units, f"months-{month}")
    admin = live.token("admin", "")
    evidence = {"periodId": p, "subjectId": units["a"], "indicator": "rate", "fact": "measure",
                "content": {"numerator": "45", "denominator": "50", "month": month}, "justification": "月报"}
    answer = live.http.post(f"{live.url}/graphql", json={"query": SUBMIT, "variables": {"i": evidence}},
                            headers={"Authorization": f"Bearer {admin}"}).json()
    assert [(e["message"], e["extensions"]["code"]) for e in answer["errors"]] == [
        (f"content.month: {reason}", "BAD_USER_INPUT")]
    data = f"subject,numerator,denominator,month\n{units['a']},45,50,2026-04\n{units['b']},3,4,{month}\n".encode()
    refused = upload(live, admin, p, "台账.csv", data, indicator="rate")
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["extensions"]["details"]["rows"] == [
        {"row": 3, "column": "month", "reason": f"month: {reason}"}]
    whole = upload(live, admin, p, "台账.csv", data.replace(month.encode(), b"2026-06"), indicator="rate", month=month)
    assert (whole.status_code, whole.json()["errors"][0]["message"]) == (422, reason)
    assert submissions(live, p, units["a"])["totalCount"] == 0  # all or nothing


def test_submit_evidence_answers_a_subject_outside_the_scope_as_one_not_enrolled(
        live: Live, units: dict[str, str]) -> None:
    """Probe defects: `submitEvidence` checks scope first; 乙街道 (city/b) is answered to a submitter of 甲街道 exactly
    as `ghost`, a subject the period does not enrol: NOT_FOUND, the same message but for the id, no unit path."""
    p = period(live, units, "submit-scope")
    a, b = units["a"], units["b"]
    submitter = live.token("submitter", "city/a", subject="clerk-a")

    def submit(subject_id: str, language: str = "en") -> list[tuple[str, str]]:
        evidence = {"periodId": p, "subjectId": subject_id, "indicator": "rate", "fact": "measure",
                    "content": {"numerator": "1", "denominator": "2", "month": "2026-04"}, "justification": "月报"}
        answer = live.http.post(f"{live.url}/graphql", json={"query": SUBMIT, "variables": {"i": evidence}},
                                headers={"Authorization": f"Bearer {submitter}", "Accept-Language": language}).json()
        return [(e["extensions"]["code"], e["message"]) for e in answer.get("errors", [])]

    assert submit(b) == [("NOT_FOUND", f"subject {b} is not enrolled in period {p}")]
    assert submit("ghost") == [("NOT_FOUND", f"subject ghost is not enrolled in period {p}")]
    assert submit(b, "zh-CN") == [("NOT_FOUND", f"考核对象 {b} 未列入考核周期 {p}")]
    assert submit(a) == []  # its own unit's subject
    assert submissions(live, p, b)["totalCount"] == 0


def test_a_row_about_the_uploader_is_refused_as_review_submission_refuses_its_subject(
        live: Live, units: dict[str, str]) -> None:
    """Four-eyes (docs/identity.md, "Separation of duties"): bob reviews and submits for 甲街道 and *is* 甲街道
    (`subject_ids`). The built-in chain has one level, 审核, which bob reviews alone, so a row about 甲街道 would be
    approved on upload by its own subject: a bad row, nothing written, as `reviewSubmission` refuses bob on it. The
    same file from carol (the same grants, not 甲街道) is approved at once: it is the subject that is refused, not the
    grants. Without a reviewer grant bob's row only waits for review, as his own `submitEvidence` would."""
    p = period(live, units, "self")
    a = units["a"]
    data = f"subject,name,numerator,denominator\n{a},甲街道,9,10\n".encode()
    grants = [Grant("reviewer", "city/a"), Grant("submitter", "city/a")]

    def person(subject: str, *granted: Grant, ids: list[str] | None = None) -> str:
        return development_token(get_settings(), subject=subject, ttl_seconds=900, grants=list(granted),
                                 subject_ids=ids)

    bob = person("bob", *grants, ids=[a])
    refused = upload(live, bob, p, "台账.csv", data, indicator="rate", month="2026-04")
    assert refused.status_code == 422, refused.text
    error = refused.json()["errors"][0]
    reason = (f"bob is subject {a}, so this row would be approved on upload by the person it is about; no one "
              "reviews evidence about themselves (four-eyes principle): another reviewer uploads it")
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["details"]["rows"] == [{"row": 2, "column": "subject", "reason": reason}]
    assert submissions(live, p, a)["totalCount"] == 0 and facts(live, p) == []
    # bob as a submitter only: the row waits at 审核 for a reviewer, bob's own evidence as submitEvidence makes it
    waits = upload(live, person("bob", Grant("submitter", "city/a"), ids=[a]), p, "台账.csv", data, indicator="rate",
                   month="2026-04")
    assert waits.status_code == 201, waits.text
    assert [(m["subjectId"], m["status"], m["factId"]) for m in waits.json()["submissions"]] == [(a, "pending", None)]
    (pending,) = submissions(live, p, a)["nodes"]
    # reviewSubmission refuses bob on it, as the upload did
    denied = live.error(bob, APPROVE, id=pending["id"], v=1)
    assert (denied["extensions"]["code"], denied["message"]) == (
        "FORBIDDEN", "bob is the subject of this submission; no one reviews evidence about themselves "
                     "(four-eyes principle)")
    # carol, the same grants and not 甲街道, has the row approved on upload
    done = upload(live, person("carol", *grants), p, "台账.csv", data, indicator="rate", month="2026-04")
    assert done.status_code == 201, done.text
    assert [m["status"] for m in done.json()["submissions"]] == ["approved"]
    assert [(f["subject"], f["numerator"], f["denominator"]) for f in facts(live, p)] == [(a, "9", "10")]


def test_a_person_is_one_whatever_the_case_or_width_of_the_sub(live: Live, units: dict[str, str]) -> None:
    """Four-eyes compares persons with `sub` in NFKC, case folded: dave's submission is refused to `Dave`, `DAVE`
    and full-width `ｄａｖｅ` (each 403 naming the principle), and approved by erin."""
    p = period(live, units, "case")
    a = units["a"]
    made = live(live.token("admin", "", subject="dave"), SUBMIT, i={
        "periodId": p, "subjectId": a, "indicator": "work", "fact": "score", "content": {"points": "40"}})
    refused = [live.error(live.token("admin", "", subject=name), APPROVE, id=made["submitEvidence"]["id"], v=1)
               for name in ("Dave", "DAVE", "ｄａｖｅ")]
    assert [(e["extensions"]["code"], e["message"]) for e in refused] == [
        ("FORBIDDEN", f"{name} submitted this submission; the submitter of a submission may not review it "
                      "(four-eyes principle)") for name in ("Dave", "DAVE", "ｄａｖｅ")]
    approved = live(live.token("admin", "", subject="erin"), APPROVE, id=made["submitEvidence"]["id"], v=1)
    assert approved["reviewSubmission"]["status"] == "approved"
