"""Language negotiation: Chinese by default, English when the client asks for it."""

from __future__ import annotations

from litestar.connection import ASGIConnection


def prefers_english(connection: ASGIConnection) -> bool:
    return english_in(connection.headers.get("accept-language", ""))


def english_in(header: str) -> bool:
    """True when an ``Accept-Language`` value puts English before Chinese."""
    for part in header.split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return False
        if tag.startswith("en"):
            return True
    return False


def pick(connection: ASGIConnection, zh: str, en: str) -> str:
    return en if prefers_english(connection) else zh
