"""One-time SMS codes: sending with rate limits, checking with expiry, single use and lockout.

Limits (per purpose): one code per phone per minute and 10 per day; 20 requests per client address
per hour; 5 wrong codes lock the phone for 15 minutes. A code lives 5 minutes and works once: the
entry is taken from the store atomically, so two concurrent logins with one code cannot both win.
All state is in the shared store, so limits hold across app processes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time

from core import errors
from core.integrations.sms import SmsError, get_sms_gateway
from core.stores import KeyValue, get_stores

CODE_TTL = 300
RESEND_AFTER = 60
PER_PHONE_PER_DAY = 10
PER_ADDRESS_PER_HOUR = 20
MAX_FAILURES = 5
LOCK_SECONDS = 15 * 60
PURPOSES = {"login": "login_code", "link": "link_code"}

CODE_WRONG = errors.define(
    "identity.sms_code_wrong",
    400,
    "验证码不正确，请核对短信后重新输入",
    "The SMS code is wrong; check the message and enter it again",
)
CODE_EXPIRED = errors.define(
    "identity.sms_code_expired",
    400,
    "验证码已过期或不存在，请重新获取验证码",
    "The SMS code has expired or was never sent; request a new code",
)
CODE_USED = errors.define(
    "identity.sms_code_used",
    400,
    "验证码已使用过，请重新获取验证码",
    "The SMS code was already used; request a new code",
)
TOO_SOON = errors.define(
    "identity.sms_too_frequent",
    429,
    "验证码发送过于频繁，请稍后再试",
    "Codes are requested too often; wait a moment and try again",
)
LOCKED = errors.define(
    "identity.sms_locked",
    429,
    "验证码错误次数过多，该手机号已暂时锁定，请 15 分钟后再试",
    "Too many wrong codes: this phone number is locked for 15 minutes",
)
SEND_FAILED = errors.define(
    "identity.sms_send_failed",
    503,
    "短信发送失败，请稍后重试",
    "The SMS could not be sent; try again later",
)


def _store() -> KeyValue:
    return get_stores()("identity.sms")


def _digest(phone: str, code: str) -> str:
    return hashlib.sha256(f"{phone}:{code}".encode()).hexdigest()


async def _ensure_not_locked(store: KeyValue, purpose: str, phone: str) -> None:
    locked_until = await store.get(f"lock:{purpose}:{phone}")
    if locked_until is not None:
        retry = max(1, int(float(locked_until) - time.time()))
        raise LOCKED(details={"retry_after": retry})


async def send_code(phone: str, *, purpose: str, client_address: str) -> dict[str, int]:
    """Send a fresh code to ``phone`` (already normalised). Returns expiry and resend delay."""
    store = _store()
    await _ensure_not_locked(store, purpose, phone)
    if await store.incr(f"addr:{client_address}", 3600) > PER_ADDRESS_PER_HOUR:
        raise TOO_SOON(details={"retry_after": 3600, "limit": "address"})
    if await store.incr(f"minute:{purpose}:{phone}", RESEND_AFTER) > 1:
        raise TOO_SOON(details={"retry_after": RESEND_AFTER, "limit": "phone_minute"})
    if await store.incr(f"day:{purpose}:{phone}", 86400) > PER_PHONE_PER_DAY:
        raise TOO_SOON(details={"retry_after": 3600, "limit": "phone_day"})
    code = f"{secrets.randbelow(10**6):06d}"
    entry = {"digest": _digest(phone, code), "until": time.time() + CODE_TTL}
    await store.set(f"code:{purpose}:{phone}", json.dumps(entry), expires_in=CODE_TTL)
    try:
        await get_sms_gateway().send(
            phone, PURPOSES[purpose], {"code": code, "minutes": str(CODE_TTL // 60)}
        )
    except SmsError as exc:
        await store.delete(f"code:{purpose}:{phone}")
        await store.reset(f"minute:{purpose}:{phone}")
        raise SEND_FAILED(details={"provider_code": exc.code}) from exc
    return {"expires_in": CODE_TTL, "resend_after": RESEND_AFTER}


async def check_code(phone: str, code: str, *, purpose: str) -> None:
    """Consume a correct code or raise: wrong (attempts left), expired, used, or locked."""
    store = _store()
    await _ensure_not_locked(store, purpose, phone)
    code = str(code or "").strip()
    raw = await store.take(f"code:{purpose}:{phone}")
    digest = _digest(phone, code)
    if raw is None:
        used = await store.get(f"used:{purpose}:{phone}")
        if used is not None and hmac.compare_digest(used.decode(), digest):
            raise CODE_USED()
        raise CODE_EXPIRED()
    entry = json.loads(raw)
    if entry["until"] < time.time():
        raise CODE_EXPIRED()
    if hmac.compare_digest(entry["digest"], digest):
        await store.set(f"used:{purpose}:{phone}", digest, expires_in=CODE_TTL * 2)
        await store.reset(f"fail:{purpose}:{phone}")
        return
    failures = await store.incr(f"fail:{purpose}:{phone}", LOCK_SECONDS)
    if failures >= MAX_FAILURES:
        await store.set(
            f"lock:{purpose}:{phone}", repr(time.time() + LOCK_SECONDS), expires_in=LOCK_SECONDS
        )
        await store.reset(f"fail:{purpose}:{phone}")
        raise LOCKED(details={"retry_after": LOCK_SECONDS})
    # Wrong guess: the code stays valid for the rest of its life.
    remaining = int(entry["until"] - time.time())
    if remaining > 0:
        await store.set(f"code:{purpose}:{phone}", raw, expires_in=remaining)
    raise CODE_WRONG(details={"attempts_left": MAX_FAILURES - failures})
