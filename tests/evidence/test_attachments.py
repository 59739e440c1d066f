"""Attachments: upload with hash, allow-list and size limit, verified download, altered bytes refused,
and the S3-compatible backend against an in-memory bucket (no network)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.evidence.app import app as evidence_app
from services.evidence.attachments.storage import S3Storage, sigv4_headers, storage_from_url
from services.evidence.config import evidence_settings
from tests.conftest import auth
from tests.evidence.conftest import SCORE

ASSESSOR_A = auth(("assessor", "city/a"), subject="assessor-a")
PDF = b"%PDF-1.7\n" + "整改报告".encode() * 1000 + b"\n%%EOF\n"


async def _submission(client: httpx.AsyncClient) -> str:
    return str((await client.post("/v1/submissions", json=SCORE, headers=ASSESSOR_A)).json()["id"])


async def _upload(client: httpx.AsyncClient, sub_id: str, data: bytes, kind: str = "application/pdf",
                  language: str = "en") -> Any:
    files = {"file": ("../../etc/整改报告.pdf", data, kind)}
    return await client.post(f"/v1/submissions/{sub_id}/attachments", files=files,
                             headers={**ASSESSOR_A, "Accept-Language": language})


async def test_upload_and_verified_download(client: httpx.AsyncClient) -> None:
    sub_id = await _submission(client)
    response = await _upload(client, sub_id, PDF)
    assert response.status_code == 201, response.text
    meta = response.json()
    sha = hashlib.sha256(PDF).hexdigest()
    assert (meta["sha256"], meta["size"], meta["filename"], meta["content_type"]) == (
        sha, 9 + 12 * 1000 + 7, "整改报告.pdf", "application/pdf")
    stored = evidence_app.state.attachment_storage.path(sha)
    assert stored.name == sha and stored.read_bytes() == PDF  # content-addressed, never the client's name
    download = await client.get(f"/v1/attachments/{meta['id']}/content", headers=ASSESSOR_A)
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["X-Content-SHA256"] == sha
    listed = (await client.get(f"/v1/submissions/{sub_id}/attachments", headers=ASSESSOR_A)).json()
    assert [a["id"] for a in listed] == [meta["id"]]


async def test_an_upload_retried_with_its_key_is_stored_once(client: httpx.AsyncClient) -> None:
    sub_id = await _submission(client)
    headers = {**ASSESSOR_A, "Idempotency-Key": "upload-1"}
    files = {"file": ("a.pdf", PDF, "application/pdf")}
    first = await client.post(f"/v1/submissions/{sub_id}/attachments", files=files, headers=headers)
    again = await client.post(f"/v1/submissions/{sub_id}/attachments", files=files, headers=headers)
    assert (first.status_code, again.status_code, again.headers["Idempotent-Replay"]) == (201, 201, "true")
    assert again.json() == first.json()
    other = await client.post(f"/v1/submissions/{sub_id}/attachments", headers=headers,
                              files={"file": ("a.pdf", PDF + b" ", "application/pdf")})
    assert other.status_code == 422
    assert len((await client.get(f"/v1/submissions/{sub_id}/attachments", headers=ASSESSOR_A)).json()) == 1


async def test_altered_bytes_are_refused(client: httpx.AsyncClient) -> None:
    meta = (await _upload(client, await _submission(client), PDF)).json()
    stored: Path = evidence_app.state.attachment_storage.path(meta["sha256"])
    stored.write_bytes(PDF.replace(b"1.7", b"1.4"))  # noqa: ASYNC240 - a test tampering with storage
    response = await client.get(f"/v1/attachments/{meta['id']}/content", headers=ASSESSOR_A)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "attachment_altered"
    assert error["details"]["actual_sha256"] == hashlib.sha256(PDF.replace(b"1.7", b"1.4")).hexdigest()


async def test_type_and_size_limits(client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    sub_id = await _submission(client)
    refused = await _upload(client, sub_id, b"MZ\x90\x00", kind="application/x-msdownload")
    assert refused.status_code == 422
    assert refused.json()["error"]["message"].startswith("content type 'application/x-msdownload' is not allowed")
    monkeypatch.setenv("KAOHE_EVIDENCE_ATTACHMENT_MAX_BYTES", "1000")
    evidence_settings.cache_clear()
    try:
        assert (await _upload(client, sub_id, b"x" * 1000, kind="text/plain")).status_code == 201
        too_big = await _upload(client, sub_id, b"x" * 1001, kind="text/plain")
        assert too_big.status_code == 413
        huge = await _upload(client, sub_id, b"x" * 70_000, kind="text/plain")  # refused on Content-Length
        assert huge.status_code == 413
    finally:
        monkeypatch.delenv("KAOHE_EVIDENCE_ATTACHMENT_MAX_BYTES")
        evidence_settings.cache_clear()
    assert len((await client.get(f"/v1/submissions/{sub_id}/attachments", headers=ASSESSOR_A)).json()) == 1


async def test_other_units_cannot_touch_attachments(client: httpx.AsyncClient) -> None:
    meta = (await _upload(client, await _submission(client), PDF)).json()
    other = auth(("assessor", "city/b"), subject="assessor-b")
    unknown = "00000000-0000-4000-8000-000000000000"
    for path in ("/v1/attachments/{}", "/v1/attachments/{}/content"):
        hidden = await client.get(path.format(meta["id"]), headers=other)
        missing = await client.get(path.format(unknown), headers=other)
        assert (hidden.status_code, missing.status_code) == (404, 404)
        # answered as an attachment that does not exist: neither its submission nor that it exists is told
        assert hidden.json()["error"]["message"] == f"attachment {meta['id']} not found"
        assert missing.json()["error"]["message"] == f"attachment {unknown} not found"
    files = {"file": ("x.pdf", PDF, "application/pdf")}
    upload = await client.post(f"/v1/submissions/{meta['submission_id']}/attachments", files=files, headers=other)
    assert upload.status_code == 404


async def test_a_submission_takes_a_bounded_number_of_attachments(client: httpx.AsyncClient,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    sub_id = await _submission(client)
    monkeypatch.setenv("KAOHE_EVIDENCE_ATTACHMENTS_PER_SUBMISSION", "2")
    evidence_settings.cache_clear()
    try:
        first = await _upload(client, sub_id, b"one", kind="text/plain")
        second = await _upload(client, sub_id, b"two", kind="text/plain")
        third = await _upload(client, sub_id, b"three", kind="text/plain")
        third_zh = await _upload(client, sub_id, b"three", kind="text/plain", language="zh-CN")
    finally:
        monkeypatch.delenv("KAOHE_EVIDENCE_ATTACHMENTS_PER_SUBMISSION")
        evidence_settings.cache_clear()
    assert (first.status_code, second.status_code, third.status_code) == (201, 201, 409)
    assert third.json()["error"]["message"] == "a submission takes at most 2 attachments"
    assert third.json()["error"]["details"] == {"field": "file", "limit": 2}
    assert third_zh.json()["error"]["message"] == "一份报送材料最多附 2 个附件"
    listed = (await client.get(f"/v1/submissions/{sub_id}/attachments", headers=ASSESSOR_A)).json()
    assert [a["size"] for a in listed] == [3, 3]


class MemoryBucket:
    """An S3-compatible endpoint in memory that checks each request is SigV4-signed over its payload."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        auth_header = request.headers["Authorization"]
        assert auth_header.startswith("AWS4-HMAC-SHA256 Credential=AKID/")
        assert "/eu-central-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=" \
            in auth_header
        if request.method == "PUT":
            body = request.read()
            assert request.headers["x-amz-content-sha256"] == hashlib.sha256(body).hexdigest()
            self.objects[request.url.path] = body
            return httpx.Response(200)
        if request.url.path not in self.objects:
            return httpx.Response(404)
        return httpx.Response(200, content=self.objects[request.url.path])


async def test_s3_backend_round_trip(tmp_path: Path) -> None:
    bucket = MemoryBucket()
    storage = storage_from_url("s3://evidence/prod?endpoint=http://minio:9000&region=eu-central-1", tmp_path,
                               access_key="AKID", secret_key="secret", transport=httpx.MockTransport(bucket))
    assert isinstance(storage, S3Storage)
    source = tmp_path / "upload"
    source.write_bytes(PDF)
    sha = hashlib.sha256(PDF).hexdigest()
    await storage.put(sha, source, len(PDF))
    assert list(bucket.objects) == [f"/evidence/prod/{sha}"]
    assert b"".join([chunk async for chunk in storage.read(sha)]) == PDF


def test_sigv4_matches_a_hand_computed_signature() -> None:
    import datetime as dt
    import hmac

    now = dt.datetime(2026, 3, 2, 8, 0, 0, tzinfo=dt.UTC)
    payload = hashlib.sha256(b"").hexdigest()
    headers = sigv4_headers(method="GET", url="http://minio:9000/evidence/abc", region="us-east-1",
                            access_key="AK", secret_key="SK", payload_sha256=payload, now=now)
    canonical = ("GET\n/evidence/abc\n\nhost:minio:9000\nx-amz-content-sha256:" + payload +
                 "\nx-amz-date:20260302T080000Z\n\nhost;x-amz-content-sha256;x-amz-date\n" + payload)
    to_sign = ("AWS4-HMAC-SHA256\n20260302T080000Z\n20260302/us-east-1/s3/aws4_request\n"
               + hashlib.sha256(canonical.encode()).hexdigest())
    key = b"AWS4SK"
    for part in ("20260302", "us-east-1", "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    assert headers["Authorization"].endswith(f"Signature={expected}")
    assert headers["x-amz-date"] == "20260302T080000Z"


PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x00" * 40
HTML = b"<!DOCTYPE html><html><body><script>fetch('/v1/me')</script></body></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


async def test_the_type_is_read_from_the_bytes(client: httpx.AsyncClient) -> None:
    """(issue 21, item 7) HTML declared image/png, MZ declared application/pdf and a 0-byte file were stored."""
    sub_id = await _submission(client)
    for data, kind, detected in ((HTML, "image/png", "text/html"), (EXE, "application/pdf", "portable-executable"),
                                 (PDF, "image/png", "application/pdf"), (PNG, "application/pdf", "image/png"),
                                 (HTML, "text/plain", "text/html"), (SVG, "text/plain", "image/svg+xml"),
                                 (b"plain words", "application/msword", "not a recognised format"),
                                 (b"a,b\x00c\n", "text/csv", "binary")):
        response = await _upload(client, sub_id, data, kind=kind)
        assert response.status_code == 422, (kind, response.text)
        error = response.json()["error"]
        assert error["details"] == {"field": "file", "reason": "content does not match the declared type"}, error
        assert kind in error["message"] and detected in error["message"], error["message"]
    chinese = await _upload(client, sub_id, b"plain words", kind="application/msword", language="zh-CN")
    assert chinese.json()["error"]["message"] == "文件声明为 application/msword，但其内容实际为：无法识别的格式"
    empty = await _upload(client, sub_id, b"", kind="application/pdf")
    assert empty.status_code == 422
    assert empty.json()["error"]["message"] == "the file is empty"
    assert (await client.get(f"/v1/submissions/{sub_id}/attachments", headers=ASSESSOR_A)).json() == []
    for data in (HTML, EXE, SVG):
        assert not evidence_app.state.attachment_storage.path(hashlib.sha256(data).hexdigest()).exists()


async def test_matching_bytes_are_kept_and_served_with_nosniff(client: httpx.AsyncClient) -> None:
    sub_id = await _submission(client)
    csv_gbk = "编号,名称\n1,张三\n".encode("gb18030")
    for data, kind in ((PNG, "image/png"), (PDF, "application/pdf"), ("整改说明".encode(), "text/plain"),
                       (csv_gbk, "text/csv"), (_xlsx(), "application/vnd.openxmlformats-officedocument."
                                                        "spreadsheetml.sheet")):
        response = await _upload(client, sub_id, data, kind=kind)
        assert response.status_code == 201, (kind, response.text)
        download = await client.get(f"/v1/attachments/{response.json()['id']}/content", headers=ASSESSOR_A)
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert download.headers["content-type"].startswith(kind)


def _xlsx() -> bytes:
    import io

    from openpyxl import Workbook

    buffer = io.BytesIO()
    Workbook().save(buffer)
    return buffer.getvalue()
