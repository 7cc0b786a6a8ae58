"""Language negotiation: Chinese by default, English when the client asks for it."""

from __future__ import annotations

from litestar.connection import ASGIConnection


def prefers_english(connection: ASGIConnection) -> bool:
    header = connection.headers.get("accept-language", "")
    for part in header.split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return False
        if tag.startswith("en"):
            return True
    return False


def pick(connection: ASGIConnection, zh: str, en: str) -> str:
    return en if prefers_english(connection) else zh
