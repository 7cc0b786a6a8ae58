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
    header = connection.headers.get("if-none-match")
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
