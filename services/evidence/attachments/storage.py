"""Where attachment bytes live: one interface, a local folder (default) and an S3-compatible store.

Objects are content-addressed: the key is the SHA-256 of the bytes, never a client's file name.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, quote, urlsplit

import anyio
import httpx

from kaohe.i18n import _
from services.common.errors import NotFound, ServiceUnavailable

CHUNK = 64 * 1024
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def _check_key(key: str) -> str:
    if not _HEX64.match(key):
        raise ValueError("storage keys are SHA-256 hex digests")
    return key


class AttachmentStorage(Protocol):
    """Store and read attachment bytes by their SHA-256."""

    async def put(self, key: str, source: Path, size: int) -> None: ...

    def read(self, key: str) -> AsyncIterator[bytes]: ...


def _owner_only(path: str, flags: int) -> int:
    return os.open(path, flags, 0o600)


class LocalStorage:
    """A folder: `<root>/<first two hex digits>/<sha256>`, readable by the service's own user only: folders
    0700, files 0600. A store an older kaohe wrote (0755 folders, 0644 files) is closed at its root, which
    alone keeps every other user out of all below it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        if root.stat().st_mode & 0o077 and root.stat().st_uid == os.geteuid():
            root.chmod(0o700)

    def path(self, key: str) -> Path:
        key = _check_key(key)
        return self.root / key[:2] / key

    async def put(self, key: str, source: Path, size: int) -> None:
        target = self.path(key)
        await anyio.Path(target.parent).mkdir(mode=0o700, parents=True, exist_ok=True)
        if await anyio.Path(target).exists():
            return  # same bytes already stored
        tmp = target.with_name(f".{key}.{os.getpid()}.tmp")
        async with await anyio.open_file(source, "rb") as src, \
                await anyio.open_file(tmp, "wb", opener=_owner_only) as dst:
            while chunk := await src.read(CHUNK):
                await dst.write(chunk)
        await anyio.Path(tmp).rename(target)

    async def read(self, key: str) -> AsyncIterator[bytes]:
        path = self.path(key)
        if not await anyio.Path(path).exists():
            raise NotFound(_("the attachment's bytes are missing from storage"))
        async with await anyio.open_file(path, "rb") as src:
            while chunk := await src.read(CHUNK):
                yield chunk


def _sign(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def sigv4_headers(
    *, method: str, url: str, region: str, access_key: str, secret_key: str, payload_sha256: str,
    now: dt.datetime,
) -> dict[str, str]:
    """AWS Signature Version 4 headers for one S3 request (path-style URL, no query string)."""
    parts = urlsplit(url)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    headers = {"host": parts.netloc, "x-amz-content-sha256": payload_sha256, "x-amz-date": amz_date}
    signed = ";".join(sorted(headers))
    canonical = "\n".join([method, quote(parts.path or "/", safe="/-_.~"), "",
                           *(f"{k}:{headers[k]}" for k in sorted(headers)), "", signed, payload_sha256])
    scope = f"{day}/{region}/s3/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _sign(_sign(_sign(_sign(f"AWS4{secret_key}".encode(), day), region), "s3"), "aws4_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    auth = f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, SignedHeaders={signed}, Signature={signature}"
    return {"x-amz-content-sha256": payload_sha256, "x-amz-date": amz_date, "Authorization": auth}


EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


class S3Storage:
    """An S3-compatible bucket over httpx with SigV4 (path-style: works with MinIO and AWS)."""

    def __init__(self, endpoint: str, bucket: str, prefix: str, *, region: str, access_key: str,
                 secret_key: str, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.endpoint, self.bucket, self.prefix = endpoint.rstrip("/"), bucket, prefix.strip("/")
        self.region, self.access_key, self.secret_key = region, access_key, secret_key
        self._client = httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(60.0, connect=5.0))

    def url(self, key: str) -> str:
        name = f"{self.prefix}/{_check_key(key)}" if self.prefix else _check_key(key)
        return f"{self.endpoint}/{self.bucket}/{name}"

    def _headers(self, method: str, url: str, payload_sha256: str) -> dict[str, str]:
        return sigv4_headers(method=method, url=url, region=self.region, access_key=self.access_key,
                             secret_key=self.secret_key, payload_sha256=payload_sha256,
                             now=dt.datetime.now(dt.UTC))

    async def put(self, key: str, source: Path, size: int) -> None:
        url = self.url(key)
        headers = {**self._headers("PUT", url, key), "Content-Length": str(size)}  # key is the payload hash

        async def body() -> AsyncIterator[bytes]:
            async with await anyio.open_file(source, "rb") as src:
                while chunk := await src.read(CHUNK):
                    yield chunk

        try:
            response = await self._client.put(url, content=body(), headers=headers)
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(_("object store not reachable: %(exc)s", exc=type(exc).__name__)) from None
        if response.status_code >= 300:
            raise ServiceUnavailable(_("object store refused the upload (%(status_code)s)",
                                       status_code=response.status_code))

    async def read(self, key: str) -> AsyncIterator[bytes]:
        url = self.url(key)
        request = self._client.build_request("GET", url, headers=self._headers("GET", url, EMPTY_SHA256))
        response = await self._client.send(request, stream=True)
        try:
            if response.status_code == 404:
                raise NotFound(_("the attachment's bytes are missing from storage"))
            if response.status_code >= 300:
                raise ServiceUnavailable(_("object store answered %(status_code)s", status_code=response.status_code))
            async for chunk in response.aiter_bytes(CHUNK):
                yield chunk
        finally:
            await response.aclose()


def storage_from_url(url: str, data_dir: Path, *, access_key: str = "", secret_key: str = "",
                     transport: httpx.AsyncBaseTransport | None = None) -> AttachmentStorage:
    """`""` → local folder under data_dir; `s3://bucket/prefix?endpoint=…&region=…` → S3."""
    if not url:
        return LocalStorage(data_dir / "attachments")
    parts = urlsplit(url)
    if parts.scheme == "file":
        return LocalStorage(Path(parts.path))
    if parts.scheme != "s3":
        raise ValueError("KAOHE_EVIDENCE_STORAGE_URL must be empty, file:///folder or s3://bucket/prefix?endpoint=…")
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return S3Storage(query.get("endpoint", "https://s3.amazonaws.com"), parts.netloc, parts.path,
                     region=query.get("region", "us-east-1"), access_key=access_key, secret_key=secret_key,
                     transport=transport)
