"""Validation, normalisation and masking of personal data (phone, resident ID, name, credit code).

Masks are what every API response shows: ``430***********123X``, ``138****5678``, ``张*``.
"""

from __future__ import annotations

import re

from stdnum import exceptions as stdnum_errors
from stdnum.cn import uscc

from core import errors
from core.identity import resident_id

PHONE = re.compile(r"^1[3-9]\d{9}$")

BAD_PHONE = errors.define(
    "identity.phone_invalid",
    400,
    "手机号码格式不正确，请输入 11 位中国大陆手机号",
    "The phone number is invalid; enter an 11-digit mainland China mobile number",
)
BAD_ID_NUMBER = errors.define(
    "identity.id_number_invalid",
    400,
    "身份证号码不正确（长度、出生日期、地区码或校验位有误），请核对后重新输入",
    "The resident ID number is invalid (length, birth date, region code or check digit); check it and enter it again",
)
BAD_NAME = errors.define(
    "identity.name_invalid",
    400,
    "姓名格式不正确，请输入与身份证一致的姓名",
    "The name is invalid; enter the name exactly as on the resident ID card",
)
BAD_USCC = errors.define(
    "identity.uscc_invalid",
    400,
    "统一社会信用代码不正确（应为 18 位，且校验位正确），请核对营业执照",
    "The unified social credit code is invalid (18 characters with a valid check character); check the business licence",
)

_NAME = re.compile(r"^[\u4e00-\u9fff\u3400-\u4dbf·•A-Za-z ]{2,30}$")


def normalize_phone(value: object) -> str:
    phone = re.sub(r"[\s-]", "", str(value or ""))
    if phone.startswith("+86"):
        phone = phone[3:]
    if not PHONE.match(phone):
        raise BAD_PHONE(details={"field": "phone"})
    return phone


def normalize_id_number(value: object) -> str:
    """A valid 18-character resident ID, upper-case X: the platform rule (core.identity.resident_id)."""
    try:
        return resident_id.validate(str(value or "").strip())
    except resident_id.InvalidResidentId as exc:
        details = {"field": "id_number", "reason": exc.reason}
        if exc.part:
            details["part"] = exc.part
        raise BAD_ID_NUMBER(details=details) from exc


def normalize_name(value: object) -> str:
    name = str(value or "").strip()
    if not _NAME.match(name):
        raise BAD_NAME(details={"field": "name"})
    return name


def normalize_uscc(value: object) -> str:
    raw = str(value or "").strip().upper()
    try:
        return uscc.validate(raw)
    except stdnum_errors.ValidationError as exc:
        raise BAD_USCC(details={"field": "uscc", "reason": type(exc).__name__}) from exc


def mask_id_number(value: str | None) -> str | None:
    if not value:
        return None
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_phone(value: str | None) -> str | None:
    if not value:
        return None
    return value[:3] + "****" + value[-4:]


def mask_name(value: str | None) -> str | None:
    if not value:
        return None
    if len(value) <= 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]
