"""Form schemas: the JSON clients render, and the server-side validation that reports every
field's problem at once.

A field hidden by its condition (``When``) is neither required nor kept. Unknown keys are
refused, so a client cannot smuggle data past the schema.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from stdnum.cn import uscc

from core.catalogue.records import SENSITIVE_FIELD_TYPES, FormField, When
from core.identity import resident_id

_PHONE = re.compile(r"^1[3-9]\d{9}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_REGION = re.compile(r"^\d{6}(\d{6})?$")


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    code: str
    message: str
    message_en: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message, "message_en": self.message_en}


def field_schema(f: FormField) -> dict[str, Any]:
    """The JSON a client renders for one field."""
    out: dict[str, Any] = {"key": f.key, "label": f.label, "label_en": f.label_en or f.label, "type": f.type,
                           "required": f.required}
    if f.options:
        out["options"] = [{"value": o.value, "label": o.label, "label_en": o.label_en or o.label} for o in f.options]
    for name in ("min", "max", "min_length", "max_length", "pattern"):
        value = getattr(f, name)
        if value is not None:
            out[name] = value
    if f.when is not None:
        out["when"] = {"field": f.when.field, "op": f.when.op, "value": _jsonable(f.when.value)}
    if f.prefill:
        out["prefill"] = f.prefill
    if f.help:
        out["help"], out["help_en"] = f.help, f.help_en or f.help
    if is_personal(f):
        out["sensitive"] = True
    return out


def form_schema(fields: tuple[FormField, ...]) -> list[dict[str, Any]]:
    return [field_schema(f) for f in fields]


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def condition_holds(when: When | None, data: dict[str, Any]) -> bool:
    if when is None:
        return True
    value = data.get(when.field)
    if when.op == "eq":
        return value == when.value
    if when.op == "ne":
        return value != when.value
    if when.op == "in":
        return value in tuple(when.value or ())
    if when.op == "truthy":
        return value not in (None, "", False, [], 0)
    return False


def _err(key: str, code: str, zh: str, en: str) -> FieldError:
    return FieldError(key, code, zh, en)


def _check(f: FormField, value: Any) -> tuple[Any, FieldError | None]:
    """Type and constraint check of one present value; returns the cleaned value."""
    k = f.key
    t = f.type
    if t in ("text", "textarea", "phone", "id_number", "credit_code", "email", "region", "date", "select"):
        if not isinstance(value, str):
            return None, _err(k, "type", "应为文本", "must be text")
        value = value.strip()
        if t in ("text", "textarea"):
            if f.min_length is not None and len(value) < f.min_length:
                return None, _err(k, "too_short", f"至少 {f.min_length} 个字", f"at least {f.min_length} characters")
            if f.max_length is not None and len(value) > f.max_length:
                return None, _err(k, "too_long", f"最多 {f.max_length} 个字", f"at most {f.max_length} characters")
            if f.max_length is None and len(value) > (2000 if t == "textarea" else 200):
                return None, _err(k, "too_long", "内容过长", "too long")
        if f.pattern and not re.fullmatch(f.pattern, value):
            return None, _err(k, "pattern", "格式不正确", "wrong format")
        if t == "phone" and not _PHONE.match(value):
            return None, _err(k, "phone", "手机号码格式不正确", "not a valid mainland mobile number")
        if t == "id_number":
            try:
                value = resident_id.validate(value)  # the compact form is what gets stored
            except resident_id.InvalidResidentId:
                return None, _err(k, "id_number", "身份证号码不正确", "not a valid resident ID number")
        if t == "credit_code":
            value = value.upper()
            if not uscc.is_valid(value):
                return None, _err(k, "credit_code", "统一社会信用代码不正确", "not a valid unified social credit code")
        if t == "email" and not _EMAIL.match(value):
            return None, _err(k, "email", "邮箱格式不正确", "not a valid e-mail address")
        if t == "region" and not _REGION.match(value):
            return None, _err(k, "region", "行政区划代码不正确", "not a valid region code")
        if t == "date":
            try:
                date.fromisoformat(value)
            except ValueError:
                return None, _err(k, "date", "日期格式应为 YYYY-MM-DD", "date must be YYYY-MM-DD")
        if t == "select" and value not in {o.value for o in f.options}:
            return None, _err(k, "option", "请选择列表中的选项", "not one of the options")
        return value, None
    if t == "multiselect":
        allowed = {o.value for o in f.options}
        if not isinstance(value, list) or not all(isinstance(v, str) and v in allowed for v in value):
            return None, _err(k, "option", "请选择列表中的选项", "must be a list of the options")
        return list(dict.fromkeys(value)), None
    if t == "boolean":
        if not isinstance(value, bool):
            return None, _err(k, "type", "应为是或否", "must be true or false")
        return value, None
    if t in ("integer", "money", "number"):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if t in ("integer", "money") and not (ok and float(value).is_integer()):
            return None, _err(k, "type", "应为整数", "must be a whole number")
        if not ok:
            return None, _err(k, "type", "应为数字", "must be a number")
        if t in ("integer", "money"):
            value = int(value)
        if t == "money" and value < 0:
            return None, _err(k, "min", "金额不能为负", "amount cannot be negative")
        if f.min is not None and value < f.min:
            return None, _err(k, "min", f"不能小于 {f.min:g}", f"must be at least {f.min:g}")
        if f.max is not None and value > f.max:
            return None, _err(k, "max", f"不能大于 {f.max:g}", f"must be at most {f.max:g}")
        return value, None
    return None, _err(k, "type", "不支持的字段类型", "unsupported field type")


def validate(fields: tuple[FormField, ...], data: Any) -> tuple[dict[str, Any], list[FieldError]]:
    """Check ``data`` against the schema; return the cleaned values and every error found."""
    if not isinstance(data, dict):
        return {}, [_err("", "type", "表单内容应为对象", "form data must be an object")]
    errors: list[FieldError] = []
    known = {f.key for f in fields}
    errors.extend(_err(key, "unknown", "表单中没有此项", "no such field") for key in data if key not in known)
    cleaned: dict[str, Any] = {}
    for f in fields:
        if not condition_holds(f.when, data):
            continue
        value = data.get(f.key)
        if value is None or value == "" or value == []:
            if f.required:
                errors.append(_err(f.key, "required", f"请填写{f.label}", f"{f.label_en or f.key} is required"))
            continue
        clean, error = _check(f, value)
        if error:
            errors.append(error)
        else:
            cleaned[f.key] = clean
    return cleaned, errors


# Prefilled identity data is personal whatever the field's type (a name is a "text").
PERSONAL_PREFILLS = frozenset({"person.name", "person.phone", "person.id_number"})


def is_personal(f: FormField) -> bool:
    """Sealed at rest and masked in responses: ID numbers, phones and the identity data prefilled."""
    return f.type in SENSITIVE_FIELD_TYPES or f.prefill in PERSONAL_PREFILLS


def mask_field(f: FormField | None, value: Any) -> Any:
    if f is None or not is_personal(f) or not isinstance(value, str):
        return value
    if f.type in SENSITIVE_FIELD_TYPES:
        return mask(f.type, value)
    return value[:1] + "*" * (len(value) - 1) if len(value) > 1 else "*"


def mask(f_type: str, value: Any) -> Any:
    """How a sensitive value is shown: 430***********1234 / 138****5678."""
    if not isinstance(value, str) or f_type not in SENSITIVE_FIELD_TYPES:
        return value
    if f_type == "phone" and len(value) >= 7:
        return value[:3] + "*" * (len(value) - 7) + value[-4:]
    if len(value) > 7:
        return value[:3] + "*" * (len(value) - 7) + value[-4:]
    return "*" * len(value)
