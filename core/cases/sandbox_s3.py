"""S3-compatible object store sandbox (``/sandbox/s3/{bucket}/{key}``): PUT, GET, DELETE of
objects kept in memory, every request's AWS Signature V4 verified (credential, signed headers,
payload hash, clock skew), answering with S3's error codes in XML."""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
from datetime import UTC, datetime

from litestar import Request, Response, Router, route
from litestar.params import FromPath

from core.cases.s3 import EMPTY_SHA256, sign

_AUTH = re.compile(r"^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/s3/aws4_request,\s*"
                   r"SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$")
MAX_SKEW_SECONDS = 15 * 60


def _error(status: int, code: str, message: str) -> Response:
    body = f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message></Error>'
    return Response(body, status_code=status, media_type="application/xml")


def s3_sandbox_router(credentials: dict[str, str], region: str) -> Router:
    objects: dict[tuple[str, str], tuple[bytes, str]] = {}
    lock = threading.Lock()

    @route("/{bucket:str}/{key:path}", http_method=["PUT", "GET", "DELETE"], status_code=200)
    async def object_endpoint(request: Request, bucket: FromPath[str], key: FromPath[str]) -> Response:
        body = await request.body()
        match = _AUTH.match(request.headers.get("authorization", ""))
        if match is None:
            return _error(403, "AccessDenied", "missing or malformed Authorization")
        access_key, day, req_region, signed, signature = match.groups()
        secret = credentials.get(access_key)
        if secret is None:
            return _error(403, "InvalidAccessKeyId", "unknown access key")
        amz_date = request.headers.get("x-amz-date", "")
        try:
            when = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        except ValueError:
            return _error(403, "AccessDenied", "bad x-amz-date")
        if abs((datetime.now(UTC) - when).total_seconds()) > MAX_SKEW_SECONDS or day != amz_date[:8] or req_region != region:
            return _error(403, "RequestTimeTooSkewed", "date or region does not match")
        payload = request.headers.get("x-amz-content-sha256", "")
        if payload != (hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256):
            return _error(400, "XAmzContentSHA256Mismatch", "payload hash mismatch")
        names = signed.split(";")
        if "host" not in names or "x-amz-date" not in names or "x-amz-content-sha256" not in names:
            return _error(403, "AccessDenied", "required headers not signed")
        headers = {n: request.headers.get(n, "") for n in names}
        raw_path = request.scope.get("raw_path", b"").decode() or request.url.path
        expected = sign(request.method, _unquoted(raw_path), headers, payload, access_key=access_key, secret=secret,
                        region=region, amz_date=amz_date)
        if not hmac.compare_digest(expected.rsplit("Signature=", 1)[1], signature):
            return _error(403, "SignatureDoesNotMatch", "signature does not match")
        with lock:
            if request.method == "PUT":
                objects[(bucket, key)] = (body, request.headers.get("content-type", "application/octet-stream"))
                return Response(b"", status_code=200, headers={"ETag": f'"{hashlib.md5(body).hexdigest()}"'})  # noqa: S324 - S3 ETag
            if request.method == "DELETE":
                objects.pop((bucket, key), None)
                return Response(b"", status_code=204)
            found = objects.get((bucket, key))
        if found is None:
            return _error(404, "NoSuchKey", "The specified key does not exist.")
        return Response(found[0], status_code=200, media_type=found[1])

    return Router(path="/s3", route_handlers=[object_endpoint])


def _unquoted(path: str) -> str:
    from urllib.parse import unquote

    return unquote(path)
