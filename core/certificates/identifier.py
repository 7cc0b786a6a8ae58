"""E-certificate identifiers (电子证照标识) per GB/T 36904.

``1.2.156.3005.2.{type code}.{issuer credit code}.{serial}.{version}.{check}``: the OID arc of
Chinese e-certificates, the certificate type code, the issuing body's unified social credit code,
the issuer's serial number, a 3-digit version (001 for the first issue, +1 per change) and one
check character, ISO 7064 MOD 37,36 (hybrid system) over type + issuer + serial + version without
the dots. python-stdnum's implementation is verified on real identifiers in the tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum.iso7064 import mod_37_36

OID_PREFIX = "1.2.156.3005.2"
_PART = re.compile(r"^[0-9A-Z]+$")
_VERSION = re.compile(r"^[0-9]{3}$")


class InvalidIdentifier(ValueError):
    """The text is not a well-formed identifier with a correct check character."""


@dataclass(frozen=True, slots=True)
class Identifier:
    type_code: str
    issuer_credit_code: str
    serial: str
    version: int

    @property
    def check(self) -> str:
        return check_character(self.type_code, self.issuer_credit_code, self.serial, self.version)

    def __str__(self) -> str:
        return ".".join((OID_PREFIX, self.type_code, self.issuer_credit_code, self.serial,
                         f"{self.version:03d}", self.check))

    def next_version(self) -> Identifier:
        return Identifier(self.type_code, self.issuer_credit_code, self.serial, self.version + 1)


def check_character(type_code: str, issuer_credit_code: str, serial: str, version: int) -> str:
    for name, part in (("type code", type_code), ("issuer", issuer_credit_code), ("serial", serial)):
        if not _PART.match(part):
            raise InvalidIdentifier(f"{name} {part!r} must be upper-case letters and digits")
    if not 1 <= version <= 999:
        raise InvalidIdentifier(f"version {version} must be 1-999")
    return mod_37_36.calc_check_digit(f"{type_code}{issuer_credit_code}{serial}{version:03d}")


def parse(text: str) -> Identifier:
    """Parse and verify an identifier; raises :class:`InvalidIdentifier`."""
    text = (text or "").strip().upper()
    if not text.startswith(OID_PREFIX + "."):
        raise InvalidIdentifier("not an e-certificate identifier (prefix 1.2.156.3005.2)")
    parts = text[len(OID_PREFIX) + 1:].split(".")
    if len(parts) != 5:
        raise InvalidIdentifier("expected type.issuer.serial.version.check after the prefix")
    type_code, issuer, serial, version, check = parts
    if not _VERSION.match(version):
        raise InvalidIdentifier("version must be 3 digits")
    ident = Identifier(type_code, issuer, serial, int(version))
    if ident.check != check:
        raise InvalidIdentifier("check character does not match")
    return ident


def is_valid(text: str) -> bool:
    try:
        parse(text)
    except InvalidIdentifier:
        return False
    return True
