"""Page-number pagination for list screens: ``?page=1&size=20`` → a page envelope.

Mini-program lists load page after page as the user scrolls, so every list answers
``{"items", "page", "size", "total", "has_more"}``; a page past the end is empty, not an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection

from miniapp_bff.errors import BAD_PAGE

DEFAULT_SIZE = 20
MAX_SIZE = 50
MAX_PAGE = 10_000


@dataclass(frozen=True, slots=True)
class Page:
    page: int = 1
    size: int = DEFAULT_SIZE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    def envelope(self, items: Sequence[Any], total: int) -> dict[str, Any]:
        return {
            "items": list(items),
            "page": self.page,
            "size": self.size,
            "total": total,
            "has_more": self.offset + len(items) < total,
        }

    def slice(self, items: Sequence[Any]) -> dict[str, Any]:
        """Paginate an in-memory list (catalogue entries already cached as a whole)."""
        return self.envelope(items[self.offset : self.offset + self.size], len(items))


def page_of(connection: ASGIConnection, *, default_size: int = DEFAULT_SIZE) -> Page:
    raw_page = connection.query_params.get("page", "1")
    raw_size = connection.query_params.get("size", str(default_size))
    try:
        page, size = int(raw_page), int(raw_size)
    except ValueError:
        raise BAD_PAGE(max_size=MAX_SIZE, details={"page": raw_page[:12], "size": raw_size[:12]}) from None
    if not (1 <= page <= MAX_PAGE and 1 <= size <= MAX_SIZE):
        raise BAD_PAGE(max_size=MAX_SIZE, details={"page": page, "size": size})
    return Page(page, size)
