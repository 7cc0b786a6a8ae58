"""Dynamic payment QR codes (动态付款码): compact Ed25519-signed tokens a terminal verifies offline.

Token text: ``ZSC1.`` + base64url (no padding) of 93 bytes (124 characters, 129 with the prefix), all integers big-endian::

    0   1  version (1)
    1   4  kid: first 4 bytes of SHA-256 of the signing public key (shown as 8 hex digits)
    5   8  card number (the 19 digits as an unsigned integer)
    13  8  counter: per-card, grows by one for every token issued
    21  4  issued at (Unix seconds, UTC)
    25  4  expires at (Unix seconds, UTC)
    29 64  Ed25519 signature of bytes 0-28

Keys: from ``ZHUSHIDA_CARD_QR_SIGNING_KEYS`` (base64 32-byte seeds, the first signs) or, in the
embedded default, generated once into ``var_dir/card_qr_keys.json`` (mode 0600, never committed).
Terminals fetch the public keys once from ``GET /card/keys`` and verify with
:func:`verify_offline`, which needs nothing but those keys and a clock.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import struct
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import segno
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from tortoise.expressions import F

from citizen_card import errors
from citizen_card.config import CardSettings, get_card_settings
from citizen_card.models import Card
from core.db import transaction
from core.settings import ConfigurationError, get_settings

PREFIX = "ZSC1."
VERSION = 1
_BODY = struct.Struct(">B4sQQII")  # version, kid, card number, counter, issued, expires
SIGNATURE_LEN = 64
TOKEN_LEN = _BODY.size + SIGNATURE_LEN


@dataclass(frozen=True, slots=True)
class QrClaims:
    kid: str
    card_number: str
    counter: int
    issued_at: int
    expires_at: int


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    claims: QrClaims


# ---- keys ----------------------------------------------------------------------------------------


def _raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).digest()[:4].hex()


class KeyRing:
    """Signing keys, newest first: the first signs new tokens, every one verifies."""

    def __init__(self, seeds: list[bytes]) -> None:
        if not seeds:
            raise ConfigurationError("no QR signing key configured")
        self.private = [Ed25519PrivateKey.from_private_bytes(seed) for seed in seeds]
        self.public = {key_id(_raw_public(k)): _raw_public(k) for k in self.private}
        # Parsed once: every debit verifies a token, and loading the key is a fifth of the check.
        self.verifiers = {kid: Ed25519PublicKey.from_public_bytes(raw) for kid, raw in self.public.items()}
        self.signing_kid = key_id(_raw_public(self.private[0]))

    def published(self) -> list[dict]:
        return [
            {
                "kid": kid,
                "alg": "Ed25519",
                "public_key": base64.urlsafe_b64encode(raw).rstrip(b"=").decode(),
                "use": "sign" if kid == self.signing_kid else "verify",
            }
            for kid, raw in self.public.items()
        ]


def _key_file(var_dir: Path) -> Path:
    return var_dir / "card_qr_keys.json"


def _load_or_create_seeds(var_dir: Path) -> list[bytes]:
    path = _key_file(var_dir)
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first
        else:
            with os.fdopen(fd, "w") as fh:
                json.dump({"seeds": [base64.b64encode(os.urandom(32)).decode()]}, fh)
    return [base64.b64decode(s) for s in json.loads(path.read_text())["seeds"]]


def rotate_local_key(var_dir: Path) -> str:
    """Put a new signing key in front of the local key file (the old ones keep verifying).
    Returns the new kid. Production keys come from settings and rotate there."""
    seeds = _load_or_create_seeds(var_dir)
    seeds.insert(0, os.urandom(32))
    path = _key_file(var_dir)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"seeds": [base64.b64encode(s).decode() for s in seeds]}, fh)
    tmp.replace(path)
    load_keyring.cache_clear()
    return key_id(_raw_public(Ed25519PrivateKey.from_private_bytes(seeds[0])))


@lru_cache(maxsize=1)
def load_keyring() -> KeyRing:
    return keyring_from(get_card_settings(), get_settings())


def keyring_from(card: CardSettings, settings) -> KeyRing:
    """Keys from ``ZHUSHIDA_CARD_QR_SIGNING_KEYS``; refused in production when unset; else the local file."""
    if card.qr_signing_keys is not None:
        raw = card.qr_signing_keys.get_secret_value()
        try:
            seeds = [base64.b64decode(part.strip(), validate=True) for part in raw.split(",") if part.strip()]
        except ValueError as exc:
            raise ConfigurationError("ZHUSHIDA_CARD_QR_SIGNING_KEYS must be base64 32-byte seeds") from exc
        if not seeds or any(len(s) != 32 for s in seeds):
            raise ConfigurationError("ZHUSHIDA_CARD_QR_SIGNING_KEYS must be base64 32-byte seeds")
        return KeyRing(seeds)
    if settings.is_production:
        raise ConfigurationError("production start refused: set ZHUSHIDA_CARD_QR_SIGNING_KEYS")
    return KeyRing(_load_or_create_seeds(settings.var_dir))


# ---- tokens --------------------------------------------------------------------------------------


def encode(claims: QrClaims, private: Ed25519PrivateKey) -> str:
    body = _BODY.pack(
        VERSION, bytes.fromhex(claims.kid), int(claims.card_number), claims.counter, claims.issued_at, claims.expires_at
    )
    raw = body + private.sign(body)
    return PREFIX + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_unverified(token: str) -> tuple[QrClaims, bytes, bytes]:
    """Split a token into claims, signed bytes and signature; refuse anything malformed."""
    if not isinstance(token, str) or not token.startswith(PREFIX) or len(token) > 200:
        raise errors.QR_MALFORMED()
    text = token[len(PREFIX):]
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        raise errors.QR_MALFORMED() from None
    if len(raw) != TOKEN_LEN:
        raise errors.QR_MALFORMED()
    version, kid, number, counter, issued, expires = _BODY.unpack(raw[: _BODY.size])
    if version != VERSION:
        raise errors.QR_MALFORMED(details={"reason": "unknown version"})
    claims = QrClaims(kid.hex(), f"{number:019d}", counter, issued, expires)
    return claims, raw[: _BODY.size], raw[_BODY.size:]


def verify_signature(token: str, public_keys: dict[str, bytes] | dict[str, Ed25519PublicKey]) -> QrClaims:
    """Structure, key and signature, not the clock. Keys: raw 32 bytes or loaded (``KeyRing.verifiers``)."""
    claims, signed, signature = decode_unverified(token)
    public = public_keys.get(claims.kid)
    if public is None:
        raise errors.QR_UNKNOWN_KEY(details={"kid": claims.kid})
    if isinstance(public, bytes):
        public = Ed25519PublicKey.from_public_bytes(public)
    try:
        public.verify(signature, signed)
    except InvalidSignature:
        raise errors.QR_BAD_SIGNATURE() from None
    return claims


def check_time(claims: QrClaims, *, now: float | None = None, grace_seconds: int = 0) -> None:
    now = time.time() if now is None else now
    if now > claims.expires_at + grace_seconds:
        raise errors.QR_EXPIRED(details={"expired_at": claims.expires_at})
    if claims.issued_at > now + 30:  # signed in the future: a clock is wrong, refuse
        raise errors.QR_MALFORMED(details={"reason": "issued in the future"})


def verify_offline(token: str, public_keys: dict[str, bytes], *, now: float | None = None) -> QrClaims:
    """What a terminal does without the network: structure, key, signature, expiry.

    ``public_keys`` maps kid to the raw 32-byte Ed25519 public key (from ``GET /card/keys``).
    Replays within the token's lifetime are the terminal's to refuse locally (remember the
    (card, counter) pairs it saw); the platform refuses them durably when the debit arrives.
    """
    claims = verify_signature(token, public_keys)
    check_time(claims, now=now)
    return claims


async def issue_token(card: Card, *, now: float | None = None) -> IssuedToken:
    """A fresh token for an active card; the counter makes every token distinct."""
    if card.state != "active":
        raise errors.NOT_ACTIVE(details={"state": card.state})
    keyring = load_keyring()
    async with transaction():
        await Card.filter(id=card.id).update(qr_counter=F("qr_counter") + 1)
        counter = (await Card.filter(id=card.id).values_list("qr_counter", flat=True))[0]
    issued = int(time.time() if now is None else now)
    claims = QrClaims(keyring.signing_kid, card.number, counter, issued, issued + get_card_settings().qr_ttl_seconds)
    return IssuedToken(encode(claims, keyring.private[0]), claims)


def render(token: str, kind: str = "svg", scale: int = 4) -> bytes:
    """The QR image of a token (segno), as SVG or PNG bytes, for the BFF."""
    qr = segno.make(token, error="m", micro=False)
    buffer = io.BytesIO()
    qr.save(buffer, kind=kind, scale=scale, border=2)
    return buffer.getvalue()
