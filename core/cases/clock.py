"""The case engine's clock: UTC now, and the local (Asia/Shanghai) date time limits count in.

Everything time-dependent in the engine reads :func:`now`, so supervision can be tested with a
frozen clock (:func:`frozen`) and replayed for a given moment.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Asia/Shanghai")
_frozen: datetime | None = None


def now() -> datetime:
    return _frozen if _frozen is not None else datetime.now(UTC)


def local_date(at: datetime | None = None) -> date:
    return (at or now()).astimezone(LOCAL).date()


@contextmanager
def frozen(at: datetime) -> Iterator[datetime]:
    """Pin :func:`now` to ``at`` (timezone-aware) inside the block."""
    global _frozen
    if at.tzinfo is None:
        raise ValueError("frozen() needs a timezone-aware datetime")
    previous, _frozen = _frozen, at.astimezone(UTC)
    try:
        yield _frozen
    finally:
        _frozen = previous
