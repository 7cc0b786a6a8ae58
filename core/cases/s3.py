"""An S3-compatible :class:`~core.cases.storage.Storage` (AWS S3, MinIO, Ceph RGW, OSS/COS in S3
mode): path-style object PUT/GET/DELETE signed with AWS Signature Version 4 over httpx.

Configured by ``ZHUSHIDA_UPLOADS_S3_ENDPOINT`` (e.g. ``https://minio.internal:9000``),
``..._BUCKET``, ``..._ACCESS_KEY``, ``..._SECRET_KEY`` and ``..._REGION`` (default
``us-east-1``). The signer is checked against AWS's published example in the tests; the sandbox
(``/sandbox/s3``) verifies signatures the same way and keeps objects in memory.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

import httpx
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


class S3Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ZHUSHIDA_UPLOADS_S3_", extra="ignore")

    endpoint: str | None = None
    bucket: str = "zhushida-materials"
    access_key: str = ""
    secret_key: SecretStr = SecretStr("")
    region: str = "us-east-1"


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signing_key(secret: str, day: str, region: str, service: str = "s3") -> bytes:
    k = _hmac(("AWS4" + secret).encode(), day)
    k = _hmac(k, region)
    k = _hmac(k, service)
    return _hmac(k, "aws4_request")


def canonical_uri(path: str) -> str:
    """Each segment URI-encoded once (S3 does not double-encode)."""
    return quote(path, safe="/-_.~")


def sign(method: str, path: str, headers: dict[str, str], payload_sha256: str, *, access_key: str,
         secret: str, region: str, amz_date: str, query: str = "") -> str:
    """The ``Authorization`` header value for a request (``headers`` must include host and
    x-amz-date; x-amz-content-sha256 is signed too, as S3 requires)."""
    canon = {k.lower(): " ".join(str(v).strip().split()) for k, v in headers.items()}
    names = sorted(canon)
    canonical_request = "\n".join([
        method.upper(), canonical_uri(path), query,
        "".join(f"{n}:{canon[n]}\n" for n in names), ";".join(names), payload_sha256,
    ])
    day = amz_date[:8]
    scope = f"{day}/{region}/s3/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()])
    signature = hmac.new(signing_key(secret, day, region), to_sign.encode(), hashlib.sha256).hexdigest()
    return f"AWS4-HMAC-SHA256 Credential={access_key}/{scope},SignedHeaders={';'.join(names)},Signature={signature}"


class S3Error(RuntimeError):
    pass


class S3Storage:
    def __init__(self, endpoint: str, bucket: str, access_key: str, secret_key: str, region: str = "us-east-1",
                 *, timeout: float = 30.0) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.bucket = bucket
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = region
        self.timeout = timeout

    @classmethod
    def from_settings(cls, settings: S3Settings) -> S3Storage:
        if not settings.endpoint or not settings.access_key:
            raise S3Error("ZHUSHIDA_UPLOADS_S3_ENDPOINT and _ACCESS_KEY are required")
        return cls(settings.endpoint, settings.bucket, settings.access_key, settings.secret_key.get_secret_value(),
                   settings.region)

    async def _request(self, method: str, key: str, body: bytes = b"", content_type: str | None = None) -> httpx.Response:
        url = f"{self.endpoint}/{self.bucket}/{key}"
        parts = urlsplit(url)
        payload = hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256
        amz_date = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        headers = {"host": parts.netloc, "x-amz-date": amz_date, "x-amz-content-sha256": payload}
        if content_type:
            headers["content-type"] = content_type
        headers["authorization"] = sign(method, parts.path, headers, payload, access_key=self.access_key,
                                        secret=self.secret_key, region=self.region, amz_date=amz_date)
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            return await client.request(method, canonical_url(parts), content=body or None, headers=headers)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        response = await self._request("PUT", key, data, content_type)
        if response.status_code != 200:
            raise S3Error(f"PUT {key}: {response.status_code} {response.text[:200]}")

    async def get(self, key: str) -> bytes:
        response = await self._request("GET", key)
        if response.status_code != 200:
            raise S3Error(f"GET {key}: {response.status_code}")
        return response.content

    async def delete(self, key: str) -> None:
        response = await self._request("DELETE", key)
        if response.status_code not in (200, 204):
            raise S3Error(f"DELETE {key}: {response.status_code}")


def canonical_url(parts) -> str:
    return f"{parts.scheme}://{parts.netloc}{canonical_uri(parts.path)}"
