"""JSON responses with an ETag, and 304 answers when the client already holds the same body.

The catalogue and service details change only when operators or plugins change them, so the
mini-program's ``wx.request`` (and the app's HTTP cache) revalidate with ``If-None-Match`` and
get an empty 304 instead of the body. Personal screens are ``private``: no shared cache may keep
them, and ``Vary`` names what changes the body (language, the signed-in user, the display mode).
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec
from litestar import Response
from litestar.connection import ASGIConnection

VARY = "Accept-Language, Authorization, X-Zhushida-Mode"


def encode(payload: Any) -> bytes:
    return msgspec.json.encode(payload)


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def _matches(connection: ASGIConnection, etag: str) -> bool:
    return etag_matches(connection.headers.get("if-none-match"), etag)


def etag_matches(header: str | None, etag: str) -> bool:
    """True when an ``If-None-Match`` value names ``etag`` (or ``*``)."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    candidates = {part.strip().removeprefix("W/") for part in header.split(",")}
    return etag in candidates


def json_response(
    connection: ASGIConnection,
    payload: Any,
    *,
    max_age: int = 0,
    public: bool = False,
    status_code: int = 200,
) -> Response:
    """Encode ``payload`` once, tag it, and answer 304 when the client's copy is current.

    ``max_age`` lets the client reuse the body without asking for that many seconds; 0 means
    "revalidate every time" (still cheap with the ETag).
    """
    body = encode(payload)
    etag = etag_of(body)
    scope = "public" if public else "private"
    headers = {
        "ETag": etag,
        "Cache-Control": f"{scope}, max-age={max_age}" if max_age else f"{scope}, no-cache",
        "Vary": VARY,
    }
    if status_code == 200 and _matches(connection, etag):
        return Response(content=b"", status_code=304, headers=headers)
    return Response(content=body, status_code=status_code, media_type="application/json", headers=headers)


def no_store(connection: ASGIConnection, payload: Any, *, status_code: int = 200) -> Response:
    """For answers that must never be reused (tokens, payment parameters, QR codes)."""
    return Response(
        content=encode(payload),
        status_code=status_code,
        media_type="application/json",
        headers={"Cache-Control": "no-store", "Vary": VARY},
    )


class Prebuilt:
    """An answer encoded once and sent many times: status, header lines and body are bytes already.

    Returned by a handler annotated ``-> ASGIApp``, Litestar sends it as is (no per-request
    Response object, header validation or re-encoding). Each send gets a fresh header list, since
    middlewares add their own lines (``X-Request-ID``)."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: dict[str, str], body: bytes = b"") -> None:
        self.status = status
        self.body = body
        lines = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]
        if status != 304:
            lines.append((b"content-length", str(len(body)).encode()))
        self.headers = tuple(lines)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": list(self.headers)})
        await send({"type": "http.response.body", "body": self.body})


class CachedJSON:
    """A private JSON answer with its ETag, and the empty 304 for clients that hold it."""

    __slots__ = ("etag", "not_modified", "ok")

    def __init__(self, payload: Any) -> None:
        body = encode(payload)
        self.etag = etag_of(body)
        headers = {"ETag": self.etag, "Cache-Control": "private, no-cache", "Vary": VARY}
        self.ok = Prebuilt(200, {"Content-Type": "application/json", **headers}, body)
        self.not_modified = Prebuilt(304, headers)

    def answer(self, connection: ASGIConnection) -> Prebuilt:
        return self.not_modified if _matches(connection, self.etag) else self.ok

    def answer_to(self, if_none_match: str | None) -> Prebuilt:
        return self.not_modified if etag_matches(if_none_match, self.etag) else self.ok
