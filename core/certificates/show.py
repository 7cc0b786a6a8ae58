"""亮证: a short-lived, signed code the holder shows (as a QR) and anyone can verify.

The code carries the certificate id and identifier, the fields the holder chose to show (and the
ones they consented to show unmasked), an expiry and a random id, signed with HMAC-SHA256 under a
key derived from the platform secret. Verification re-checks the certificate itself, so a code
shown before a revocation or a new version is refused, and every verification is logged where
the holder can see it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import segno

from core.certificates import api, errors
from core.certificates.models import Certificate, CertificateDisclosure
from core.settings import get_settings

MIN_TTL, MAX_TTL, DEFAULT_TTL = 30, 600, 120
VERIFY_PATH = "/certificates/verify"


def _key() -> bytes:
    secret = get_settings().secret_key
    raw = secret.get_secret_value().encode() if secret else b""
    return hmac.new(raw, b"zhushida/certificates/show-code/v1", hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class ShowCode:
    code: str
    token_id: str
    expires_at: int
    verify_url: str

    def qr_svg(self) -> str:
        return segno.make(self.verify_url, error="m").svg_data_uri(scale=4)

    def qr_png(self) -> str:
        return segno.make(self.verify_url, error="m").png_data_uri(scale=4)


def make_show_code(
    cert: Certificate, *, fields: Sequence[str] | None = None, unmasked: Sequence[str] = (), ttl_seconds: int = DEFAULT_TTL,
    purpose: str = "", now: float | None = None,
) -> ShowCode:
    """Sign a code for ``cert``. ``fields`` defaults to the type's public fields (else all);
    ``purpose`` (e.g. 办理入住登记) is what the holder shows it for, told to the verifier and logged."""
    api.ensure_usable(cert)
    ctype = api.certificate_type(cert.type_code)
    names = [f.name for f in ctype.fields]
    chosen = list(fields) if fields is not None else (list(ctype.public_fields) or names)
    unknown = sorted((set(chosen) | set(unmasked)) - set(names))
    if unknown or not chosen:
        raise errors.FIELDS_NOT_SHOWABLE(details={"fields": unknown, "known": names})
    if not set(unmasked) <= set(chosen):
        raise errors.FIELDS_NOT_SHOWABLE(details={"unmasked_not_shown": sorted(set(unmasked) - set(chosen))})
    if not isinstance(ttl_seconds, int) or not MIN_TTL <= ttl_seconds <= MAX_TTL:
        raise errors.SHOW_TTL_INVALID(details={"min": MIN_TTL, "max": MAX_TTL})
    purpose = (purpose or "").strip()
    if len(purpose) > 50:
        raise errors.PURPOSE_INVALID(details={"max_length": 50})
    token_id = secrets.token_hex(8)
    expires = int((now or time.time()) + ttl_seconds)
    payload = {"c": cert.id, "i": cert.identifier, "f": chosen, "u": list(unmasked), "e": expires, "j": token_id, "p": purpose}
    body = _b64(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    code = f"{body}.{_b64(hmac.new(_key(), body.encode(), hashlib.sha256).digest())}"
    base = get_settings().public_url.rstrip("/")
    return ShowCode(code, token_id, expires, f"{base}{VERIFY_PATH}?code={code}")


def read_show_code(code: str, *, now: float | None = None) -> dict[str, Any]:
    """The payload of a genuine, unexpired code; refuses forged, damaged and expired codes."""
    body, _, signature = (code or "").strip().partition(".")
    try:
        expected = hmac.new(_key(), body.encode(), hashlib.sha256).digest()
        genuine = bool(body) and hmac.compare_digest(expected, _unb64(signature))
        payload = json.loads(_unb64(body)) if genuine else None
    except (ValueError, UnicodeDecodeError):
        genuine, payload = False, None
    if not genuine or not isinstance(payload, dict) or not {"c", "i", "f", "u", "e", "j"} <= set(payload):
        raise errors.SHOW_TOKEN_INVALID()
    if payload["e"] <= (now or time.time()):
        raise errors.SHOW_TOKEN_EXPIRED()
    return payload


async def verify_show_code(code: str, *, verifier: str = "anonymous", verifier_ip: str = "", now: float | None = None) -> dict[str, Any]:
    """What a verifier may see: the certificate's status and the fields the holder chose."""
    payload = read_show_code(code, now=now)
    cert = await Certificate.get_or_none(id=payload["c"])
    if cert is None or cert.identifier != payload["i"]:
        raise errors.SHOW_TOKEN_INVALID()
    api.ensure_usable(cert)
    await CertificateDisclosure.create(
        certificate=cert, token_id=payload["j"], fields_shown=payload["f"], purpose=str(payload.get("p", ""))[:100],
        verifier=verifier[:64],
        verifier_ip=verifier_ip[:64],
    )
    shown = api.view(cert, fields=payload["f"], unmasked=payload["u"])
    shown.pop("id", None)
    shown["verified"] = True
    shown["code_expires_at"] = payload["e"]
    shown["purpose"] = payload.get("p", "")
    return shown
