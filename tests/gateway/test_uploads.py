"""Attachments go through the gateway as a stream to the evidence service, size-limited and
scope-checked like every other write."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.gateway.fakes import FakeBackend

URL = "/uploads/submissions/sub-a/attachments"


def _multipart(payload: bytes) -> tuple[bytes, str]:
    request = httpx.Request("POST", "http://x", files={"file": ("台账.pdf", payload, "application/pdf")})
    return request.read(), request.headers["Content-Type"]


class Recording(FakeBackend):
    """Evidence records the attachment body it receives, chunk by chunk."""

    received: list[bytes]

    def _evidence(self, request: httpx.Request, path: str, body: Any) -> Any:
        if request.method == "POST" and path.endswith("/attachments"):
            self.received = [request.content]
            self.content_type = request.headers["content-type"]
            return httpx.Response(201, json={  # evidence's AttachmentRead, snake_case as its REST is
                "id": "att-1", "submission_id": "sub-a", "filename": "报告.pdf", "content_type": "application/pdf",
                "size": 70_000, "sha256": "f" * 64, "uploaded_by": "tester", "created_at": "2026-03-02T02:00:00Z"})
        return super()._evidence(request, path, body)

    def _handler(self, service: str) -> Any:
        handle = super()._handler(service)

        def raw(request: httpx.Request) -> httpx.Response:
            if request.method == "POST" and request.url.path.endswith("/attachments"):
                self.requests.append((service, request.method, request.url.path))
                return self._evidence(request, request.url.path, None)
            return handle(request)

        return raw


@pytest.fixture
def backend() -> Recording:
    return Recording()


async def _chunks(body: bytes) -> Any:
    for start in range(0, len(body), 16_384):
        yield body[start:start + 16_384]


async def test_upload_streams_the_multipart_body_unchanged(gateway: Any, backend: Recording, bearer: Any) -> None:
    body, content_type = _multipart(b"%PDF-" + b"x" * 70_000)
    response = await gateway.post(URL, content=_chunks(body), headers={
        **bearer(("submitter", "city/a")), "Content-Type": content_type})
    assert response.status_code == 201, response.text
    # the gateway answers GraphQL's `Attachment`, under its names (issue 22: one name for one thing)
    assert response.json() == {"id": "att-1", "fileName": "报告.pdf", "contentType": "application/pdf",
                               "size": 70_000, "sha256": "f" * 64, "downloadPath": "/attachments/att-1"}
    assert backend.received == [body] and backend.content_type == content_type
    assert backend.writes() == [("evidence", "POST", "/v1/submissions/sub-a/attachments")]


async def test_upload_over_the_limit_is_refused_while_streaming(gateway: Any, backend: Recording,
                                                               bearer: Any) -> None:
    gateway.app.state.max_upload_bytes = 50_000
    body, content_type = _multipart(b"x" * 60_000)
    response = await gateway.post(URL, content=_chunks(body), headers={  # chunked: no Content-Length
        **bearer(("submitter", "city/a")), "Content-Type": content_type})
    assert response.status_code == 413
    assert response.json()["errors"][0]["message"] == "an attachment may be at most 50000 bytes"


async def test_declared_size_over_the_limit_is_refused_before_any_call(gateway: Any, backend: Recording,
                                                                       bearer: Any) -> None:
    gateway.app.state.max_upload_bytes = 50_000
    body, content_type = _multipart(b"x" * 60_000)
    response = await gateway.post(URL, content=body, headers={
        **bearer(("submitter", "city/a")), "Content-Type": content_type})
    assert response.status_code == 413 and backend.requests == []


async def test_upload_outside_the_scope_or_anonymous_is_refused(gateway: Any, backend: Recording,
                                                                bearer: Any) -> None:
    body, content_type = _multipart(b"%PDF-1")
    outside = await gateway.post(URL, content=body, headers={
        **bearer(("submitter", "city/b")), "Content-Type": content_type})
    assert outside.status_code == 403 and outside.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    rater = await gateway.post(URL, content=body, headers={**bearer(("rater", "city/a")), "Content-Type": content_type})
    assert rater.status_code == 403
    anonymous = await gateway.post(URL, content=body, headers={"Content-Type": content_type})
    assert anonymous.status_code == 401
    assert backend.writes() == []


async def test_a_rater_is_refused_before_the_submission_is_read(gateway: Any, backend: Recording,
                                                                 bearer: Any) -> None:
    """403 as documented (and as a download is): the evidence service, which hides submissions from a rater,
    is not asked first (it answered 404)."""
    body, content_type = _multipart(b"%PDF-1")
    response = await gateway.post(URL, content=body, headers={
        **bearer(("rater", "city/a")), "Content-Type": content_type})
    assert response.status_code == 403
    assert response.json()["errors"][0]["message"] == (
        "tester may not use POST /uploads/submissions/{submission_id}/attachments")
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert backend.requests == []


async def test_upload_must_be_multipart(gateway: Any, bearer: Any) -> None:
    response = await gateway.post(URL, content=b"raw", headers={**bearer(("submitter", "city/a")),
                                                                  "Content-Type": "application/pdf"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["message"] == "send the file as multipart/form-data"


@pytest.mark.parametrize(("url", "english", "chinese"), [
    (URL, "an attachment may be at most 1000 bytes", "附件最大为 1000 字节"),
    ("/uploads/schemes/import-excel", "an indicator table may be at most 1000 bytes", "指标表最大为 1000 字节"),
    ("/uploads/periods/p1/subjects", "an enrolment file may be at most 1000 bytes",
     "考核对象名单文件最大为 1000 字节"),
    ("/uploads/organisation", "an organisation file may be at most 1000 bytes", "单位和人员文件最大为 1000 字节"),
    ("/uploads/periods/p1/facts", "a facts file may be at most 1000 bytes", "事实数据文件最大为 1000 字节"),
])
async def test_an_upload_over_its_limit_is_refused_in_one_language(gateway: Any, backend: Recording, bearer: Any,
                                                                   url: str, english: str, chinese: str) -> None:
    """The kind of file is named in the request's language too (it was English inside the Chinese sentence)."""
    for name in ("max_upload_bytes", "max_scheme_upload_bytes", "max_enrolment_upload_bytes"):
        setattr(gateway.app.state, name, 1000)
    body, content_type = _multipart(b"x" * 2000)
    answers = {}
    for language in ("en", "zh-CN"):
        response = await gateway.post(url, content=body, headers={
            **bearer(("admin", "")), "Content-Type": content_type, "Accept-Language": language})
        assert response.status_code == 413
        answers[language] = response.json()["errors"][0]["message"]
    assert answers == {"en": english, "zh-CN": chinese}
    assert backend.requests == []
