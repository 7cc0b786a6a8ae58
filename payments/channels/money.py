"""Integer fen ↔ the providers' decimal yuan strings, exactly (never through float)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def fen_to_yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}" if fen >= 0 else "-" + fen_to_yuan(-fen)


def yuan_to_fen(value: str | None) -> int | None:
    """``"12.30"`` → 1230; None for anything that is not an exact amount in yuan."""
    if value is None:
        return None
    try:
        fen = Decimal(str(value).strip().lstrip("`")) * 100
        if fen != fen.to_integral_value():
            return None
        return int(fen)
    except (InvalidOperation, ArithmeticError, ValueError):
        return None


def china_time(value: datetime) -> datetime:
    return value.astimezone(CHINA)


def parse_rfc3339(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).astimezone(UTC)
    except ValueError:
        return None


def parse_china_local(value: str | None) -> datetime | None:
    """``"2026-11-23 10:00:00"`` (Beijing time, as Alipay writes it) → aware UTC."""
    if not value:
        return None
    try:
        return datetime.strptime(value.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA).astimezone(UTC)
    except ValueError:
        return None
