"""Value parsers for feed fields: each takes the raw value (a CSV string, or a JSON value) and
returns the typed value, or raises :class:`RowRejected` with a reason a department clerk can act on.

They are called once per distinct value of each batch (see core.feeds.convert), so repeated values
cost one call; the ID parsers also cache across batches (feeds repeat one person's ID on many rows,
e.g. one contribution line per month) and check the usual plain form without python-stdnum's
Unicode clean-up, which costs ~90 µs an ID; anything else goes through the full rule
(core.identity.resident_id for IDs, python-stdnum for credit codes).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from stdnum.cn import uscc

from core.feeds.spec import RowRejected
from core.identity import resident_id as _rid

Parser = Callable[[Any], Any]

_PERIOD = re.compile(r"^(19|20)\d\d(0[1-9]|1[0-2])$")
_REGION12 = re.compile(r"^\d{12}$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def text(max_length: int, *, min_length: int = 1) -> Parser:
    def parse(value: Any) -> str:
        value = str(value).strip()
        if not min_length <= len(value) <= max_length:
            raise RowRejected(f"length must be {min_length}-{max_length} characters")
        return value

    return parse


def choice(*allowed: str) -> Parser:
    options = frozenset(allowed)

    def parse(value: Any) -> str:
        if value in options:
            return value
        value = str(value).strip()
        if value not in options:
            raise RowRejected(f"must be one of {', '.join(allowed)}")
        return value

    return parse


def fen(*, minimum: int = 0, maximum: int = 10**13) -> Parser:
    """Money in integer fen (分); decimals are refused rather than rounded."""

    def parse(value: Any) -> int:
        if value.__class__ is bool or value.__class__ is float:
            raise RowRejected("amount must be an integer number of fen")
        try:
            amount = int(value)
        except (TypeError, ValueError):
            raise RowRejected("amount must be an integer number of fen") from None
        if not minimum <= amount <= maximum:
            raise RowRejected(f"amount must be between {minimum} and {maximum} fen")
        return amount

    return parse


def integer(*, minimum: int = 0, maximum: int = 2**31 - 1) -> Parser:
    return fen(minimum=minimum, maximum=maximum)


def date(value: Any) -> str:
    """A calendar date, YYYY-MM-DD (YYYYMMDD accepted, as some department systems export).

    Returned as the validated ISO string, which both databases store as the date: encoding a date
    object back to text for COPY costs more than the parse itself.
    """
    if value.__class__ is str and len(value) == 10 and value[4] == "-" == value[7]:  # not 2026-W46-1
        try:
            dt.date.fromisoformat(value)
            return value
        except ValueError:
            pass
    raw = str(value).strip()
    try:
        if len(raw) == 8 and raw.isdigit():
            return dt.date(int(raw[:4]), int(raw[4:6]), int(raw[6:])).isoformat()
        return dt.date.fromisoformat(raw).isoformat()
    except ValueError:
        raise RowRejected("not a valid date (YYYY-MM-DD)") from None


def period(value: Any) -> str:
    """A month as YYYYMM (缴费所属期); YYYY-MM is accepted too."""
    raw = value if value.__class__ is str and len(value) == 6 else str(value).strip().replace("-", "")
    if not _PERIOD.match(raw):
        raise RowRejected("period must be a month YYYYMM")
    return raw


@lru_cache(maxsize=16384)  # rows of one person come together; a bounded cache keeps memory flat
def resident_id(value: Any) -> str:
    """An 18-character resident ID: the platform rule of core.identity.resident_id (check
    character, real birth date, an address code GB/T 2260 has ever listed)."""
    raw = str(value).strip().upper()
    if len(raw) == 18 and raw.isascii() and raw[:17].isdigit():
        problem = _rid.problem(raw)  # the clean-up would leave this form as it is: skip it
        if problem is None:
            return raw
    else:  # other shapes (full-width digits, separators ...): the full rule with its clean-up
        try:
            return _rid.validate(raw)
        except _rid.InvalidResidentId as exc:
            problem = exc.reason
    raise RowRejected(f"not a valid resident ID number ({problem})")


_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(_USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


@lru_cache(maxsize=16384)
def credit_code(value: Any) -> str:
    """An 18-character unified social credit code (GB 32100)."""
    raw = str(value).strip().upper()
    if len(raw) == 18 and raw.isascii() and raw[:8].isdigit() and _USCC_VALUE.keys() >= set(raw[8:]):
        # uscc.validate for the plain form, without its per-call Unicode clean-up.
        total = sum(_USCC_VALUE[c] * w for c, w in zip(raw, _USCC_WEIGHTS, strict=False))
        if raw[-1] == _USCC_ALPHABET[(31 - total) % 31]:
            return raw
        problem = "InvalidChecksum"
    else:
        try:
            return uscc.validate(raw)
        except Exception as exc:
            problem = exc.__class__.__name__
    raise RowRejected(f"not a valid unified social credit code ({problem})")


def region(prefix: str = "") -> Parser:
    """A 12-digit statistical region code, optionally inside ``prefix`` (e.g. Zhuzhou 4302)."""

    def parse(value: Any) -> str:
        raw = str(value).strip()
        if len(raw) == 6:
            raw += "000000"
        if not _REGION12.match(raw):
            raise RowRejected("region must be a 6- or 12-digit code")
        if prefix and not raw.startswith(prefix):
            raise RowRejected(f"region {raw} is outside this department's area {prefix}")
        return raw

    return parse


def mobile(value: Any) -> str:
    raw = str(value).strip()
    if not _MOBILE.match(raw):
        raise RowRejected("not a mainland mobile number")
    return raw
