"""What a plugin returns from ``zhushida_certificate_types``: a certificate type (证照类型) and its fields.

Re-exported by :mod:`core.hooks`; plugins import them from there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from stdnum.cn import uscc

# 证照类型代码: opaque national code (e.g. 11100000000013338W011), letters and digits only, so
# that the dotted identifier stays unambiguous.
TYPE_CODE = re.compile(r"^[0-9A-Z]{3,40}$")
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

Mask = Literal["none", "id_number", "name", "phone", "partial"]


@dataclass(frozen=True, slots=True)
class CertificateField:
    """One item of a certificate's content (照面信息).

    ``mask`` says how the value is shown outside the holder's own full view: ID numbers, names
    and phones are masked in every response; a verifier sees the full value only where the holder
    consented to it when showing the certificate. ``from_form`` names the form field a certificate
    issued on approval takes this value from (default: the field of the same name).
    """

    name: str
    label: str
    label_en: str = ""
    required: bool = True
    mask: Mask = "none"
    # Where issuing on approval takes the value from: a key of the case's form (default: ``name``).
    from_form: str = ""


@dataclass(frozen=True, slots=True)
class CertificateType:
    """A kind of e-certificate a department issues (e.g. 不动产权证书, 营业执照).

    ``issuer_credit_code`` is the issuing body's 18-char unified social credit code (GB 32100);
    it becomes part of every identifier. ``validity_days`` None means valid until revoked.
    ``public_fields`` are shown to a verifier when the holder does not choose otherwise.
    ``trust_level`` is the reuse trust level A-D (国办函〔2016〕108号).
    """

    code: str
    name: str
    name_en: str
    issuer_credit_code: str
    issuer_name: str
    fields: Sequence[CertificateField]
    validity_days: int | None = None
    public_fields: Sequence[str] = ()
    trust_level: Literal["A", "B", "C", "D"] = "A"
    holder_kind: Literal["person", "organisation"] = "person"
    extra: dict = field(default_factory=dict)

    def problems(self) -> list[str]:
        """Why this declaration is unusable (empty when it is fine); checked at registration."""
        found = []
        if not TYPE_CODE.match(self.code):
            found.append(f"type code {self.code!r} must be 3-40 upper-case letters or digits")
        if not uscc.is_valid(self.issuer_credit_code):
            found.append(f"issuer credit code {self.issuer_credit_code!r} is not a valid GB 32100 code")
        names = [f.name for f in self.fields]
        if not names:
            found.append("declares no fields")
        bad = [n for n in names if not FIELD_NAME.match(n)]
        if bad:
            found.append(f"field names {bad} must be lower_snake_case")
        if len(set(names)) != len(names):
            found.append("field names repeat")
        unknown = sorted(set(self.public_fields) - set(names))
        if unknown:
            found.append(f"public_fields {unknown} are not fields of the type")
        if self.validity_days is not None and self.validity_days <= 0:
            found.append("validity_days must be positive or None")
        return found

    def field_named(self, name: str) -> CertificateField | None:
        return next((f for f in self.fields if f.name == name), None)
