"""The platform's one rule for resident ID numbers (公民身份号码, GB 11643-1999).

    from core.identity import resident_id

    resident_id.validate("４３０２８１１９７００１０１００１８")  # "430281197001010018" (compact form)
    resident_id.problem("430281197001010011")                   # "InvalidChecksum"

A number is valid when, after python-stdnum's ``compact()`` clean-up (full-width digits and other
Unicode look-alikes mapped to ASCII, upper-cased, surrounding white space stripped; separators
are *not* removed, so ``430202-19980715-0013`` is still refused as too long):

- it has 18 characters, 17 ASCII digits and a check character (0-9 or X);
- the check character is the ISO 7064 MOD 11-2 one;
- characters 7-14 are a real calendar date (出生日期), not before 1900-01-01 and not after today
  (Asia/Shanghai);
- characters 1-6 (地址码) are a code that GB/T 2260 has listed at some time, current or retired.

Why we depart from python-stdnum's ``cn.ric.validate``: it also requires the address code to have
existed in the holder's birth year. But the address code on a real card is that of the place where
the number was first issued (most numbers date from 1984-1999 or later), not the place at birth. A
Liling (醴陵市, 430281, listed from 1989) resident born in 1970 holds ``4302811970...``, which
stdnum refuses; so do retired codes many people still carry (python-stdnum issue #442). We use
stdnum's own GB/T 2260 history (``numdb.get('cn/loc')``) but accept a code listed in any period.

Invalid numbers are named by a stable reason, the names python-stdnum's exceptions use:
``InvalidLength``, ``InvalidFormat``, ``InvalidChecksum``, ``InvalidComponent`` (birth date or
address code; :attr:`InvalidResidentId.part` says which).
"""

from __future__ import annotations

import time
from datetime import date
from functools import lru_cache

from stdnum import numdb
from stdnum.cn import ric as _stdnum_ric
from stdnum.exceptions import ValidationError

INVALID_LENGTH = "InvalidLength"
INVALID_FORMAT = "InvalidFormat"
INVALID_CHECKSUM = "InvalidChecksum"
INVALID_COMPONENT = "InvalidComponent"

_EARLIEST_BIRTH = "19000101"
_SHANGHAI_OFFSET = 8 * 3600  # UTC+8 all year (no daylight saving since 1991)


class InvalidResidentId(ValueError):
    """``reason`` is one of the four stable names; ``part`` is ``birth_date`` or ``address_code``
    for ``InvalidComponent``, else None."""

    def __init__(self, reason: str, part: str | None = None) -> None:
        super().__init__(reason if part is None else f"{reason} ({part})")
        self.reason = reason
        self.part = part


def compact(value: str) -> str:
    """python-stdnum's clean-up, so every input form it accepted is still accepted."""
    try:
        return _stdnum_ric.compact(value)
    except ValidationError:  # not a string at all
        raise InvalidResidentId(INVALID_FORMAT) from None


def check_character(body17: str) -> str:
    """The MOD 11-2 check character of 17 ASCII digits (Σ digit·2^(17-i) mod 11, as one base-13 int)."""
    check = (1 - 2 * int(body17, 13)) % 11
    return "X" if check == 10 else str(check)


def validate(value: str) -> str:
    """The number in compact form, or :class:`InvalidResidentId`."""
    number = compact(value)
    failure = _failure(number)
    if failure is not None:
        raise InvalidResidentId(*failure)
    return number


def is_valid(value: str) -> bool:
    try:
        validate(value)
    except InvalidResidentId:
        return False
    return True


def problem(number: str) -> str | None:
    """The reason a number *already in compact form* is invalid, or None: :func:`validate` minus
    the clean-up, for callers that know their input is plain ASCII (the feed import)."""
    failure = _failure(number)
    return None if failure is None else failure[0]


def address_code_listed(code: str) -> bool:
    """Whether GB/T 2260 has ever listed this 6-digit code (any period, current or retired)."""
    return len(code) == 6 and code.isascii() and code.isdigit() and _listed(code)


@lru_cache(maxsize=16384)  # a few thousand real codes; bounded against junk input
def _listed(code: str) -> bool:
    info = {key: val for _part, props in numdb.get("cn/loc").info(code) for key, val in props.items()}
    return bool(info.get("county"))  # a province alone (e.g. 439999) is not a listed code


def _failure(number: str) -> tuple[str, str | None] | None:
    # Same order of checks as python-stdnum, so a number has the reason it always had.
    if len(number) != 18:
        return INVALID_LENGTH, None
    body = number[:17]
    if not (body.isascii() and body.isdigit()):
        return INVALID_FORMAT, None
    if number[17] != check_character(body):
        return INVALID_CHECKSUM, None
    if not _birth_date_ok(number[6:14]):
        return INVALID_COMPONENT, "birth_date"
    if not _listed(number[:6]):
        return INVALID_COMPONENT, "address_code"
    return None


def _birth_date_ok(yyyymmdd: str) -> bool:
    if not _EARLIEST_BIRTH <= yyyymmdd <= _today():  # digit strings of one length order as dates
        return False
    try:
        date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        return False
    return True


_today_cache: tuple[float, str] = (0.0, "")


def _today() -> str:
    """Today in Asia/Shanghai as YYYYMMDD, recomputed once a day (it is read for every ID)."""
    global _today_cache
    now = time.time()
    until, today = _today_cache
    if now >= until:
        local = now + _SHANGHAI_OFFSET
        today = time.strftime("%Y%m%d", time.gmtime(local))
        _today_cache = (now - local % 86400 + 86400, today)
    return today
