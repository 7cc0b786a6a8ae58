"""SMS gateway: one small interface, a signed HTTP client, and the sandbox gateway it talks to offline.

    from core.integrations.sms import get_sms_gateway

    receipt = await get_sms_gateway().send("13800138000", "login_code", {"code": "123456"})

Templates are registered with the gateway (as with every Chinese SMS provider, free text is not
allowed); ``params`` fill them. A gateway raises :class:`SmsError` with a provider code and whether
a retry may help. The platform speaks to providers in the template-and-signature shape that
Aliyun/Tencent SMS use: ``POST {base}/send`` with an HMAC-SHA256 signature over the canonical body.

The sandbox (``sms_sandbox_router``, mounted under ``/sandbox/sms``) checks the signature and the
template, refuses invalid numbers with the provider's error codes, and keeps an outbox that
``GET /sandbox/sms/_dev/outbox?phone=`` reads — the phone's side in tests and demos.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
from litestar import Router, get, post
from litestar.params import FromQuery, JSONBody

from core.settings import Settings

# Templates the platform registers with the provider: code -> (Chinese text, parameter names).
TEMPLATES: dict[str, tuple[str, tuple[str, ...]]] = {
    "login_code": (
        "您的登录验证码为 {code}，{minutes} 分钟内有效。如非本人操作，请忽略本短信。",
        ("code", "minutes"),
    ),
    "link_code": ("您正在绑定手机号，验证码为 {code}，{minutes} 分钟内有效。", ("code", "minutes")),
    "notice": ("{title}：{body}", ("title", "body")),
}
SIGN_NAME = "诸事达"
PHONE = re.compile(r"^1[3-9]\d{9}$")


@dataclass(frozen=True, slots=True)
class SmsReceipt:
    message_id: str
    phone: str
    template: str


class SmsError(Exception):
    """The gateway refused or failed. ``retryable`` says whether trying later may succeed."""

    def __init__(self, code: str, message: str, *, retryable: bool = False) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.retryable = code, message, retryable


class SmsGateway(Protocol):
    async def send(self, phone: str, template: str, params: dict[str, str]) -> SmsReceipt: ...


def _canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(
        {k: v for k, v in body.items() if k != "signature"},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


def sign(body: dict[str, Any], secret: str) -> str:
    return hmac.new(secret.encode(), _canonical(body), hashlib.sha256).hexdigest()


class HttpSmsGateway:
    """Signed JSON over HTTP to a provider (or to the sandbox, which speaks the same protocol)."""

    def __init__(
        self, base_url: str, app_key: str, app_secret: str, *, timeout: float = 5.0
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.app_key = app_key
        self.app_secret = app_secret
        self.timeout = timeout

    async def send(self, phone: str, template: str, params: dict[str, str]) -> SmsReceipt:
        body: dict[str, Any] = {
            "app_key": self.app_key,
            "phone": phone,
            "sign_name": SIGN_NAME,
            "template": template,
            "params": {k: str(v) for k, v in params.items()},
            "timestamp": int(time.time()),
            "nonce": secrets.token_hex(8),
        }
        body["signature"] = sign(body, self.app_secret)
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.post(f"{self.base_url}/send", json=body)
        except httpx.HTTPError as exc:
            raise SmsError("network", str(exc), retryable=True) from exc
        if response.status_code >= 500:
            raise SmsError("provider_unavailable", f"HTTP {response.status_code}", retryable=True)
        try:
            data = response.json()
        except ValueError as exc:
            raise SmsError("bad_response", response.text[:200], retryable=True) from exc
        if data.get("code") != "OK":
            code = str(data.get("code"))
            raise SmsError(
                code,
                str(data.get("message", "")),
                retryable=code in ("isv.BUSINESS_LIMIT_CONTROL",),
            )
        return SmsReceipt(str(data["message_id"]), phone, template)


def sandbox_credentials(settings: Settings) -> tuple[str, str]:
    """The sandbox app key/secret, derived from the platform secret (stable across processes)."""
    secret = settings.secret_key.get_secret_value() if settings.secret_key else "zhushida-sandbox"
    return "zhushida-sandbox", hmac.new(secret.encode(), b"sms-sandbox", hashlib.sha256).hexdigest()


_gateway: SmsGateway | None = None


def set_sms_gateway(gateway: SmsGateway | None) -> None:
    """Install the production gateway (a deployment wires its provider's client here)."""
    global _gateway
    _gateway = gateway


def get_sms_gateway(settings: Settings | None = None) -> SmsGateway:
    if _gateway is not None:
        return _gateway
    from core.settings import ConfigurationError, get_settings

    settings = settings or get_settings()
    if not settings.sandbox_enabled:
        raise ConfigurationError(
            "no SMS gateway configured: call core.integrations.sms.set_sms_gateway() at start-up"
        )
    key, secret = sandbox_credentials(settings)
    return HttpSmsGateway(f"{settings.effective_sandbox_url}/sms", key, secret)


# ---- the sandbox provider -----------------------------------------------------------------------


@dataclass
class SmsSandboxState:
    app_key: str
    app_secret: str
    outbox: list[dict[str, Any]] = field(default_factory=list)
    nonces: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


def sms_sandbox_router(settings: Settings) -> Router:
    key, secret = sandbox_credentials(settings)
    state = SmsSandboxState(key, secret)

    def refuse(code: str, message: str) -> dict[str, Any]:
        return {"code": code, "message": message}

    @post("/send", sync_to_thread=False, status_code=200)
    def send(data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
        if data.get("app_key") != state.app_key:
            return refuse("InvalidAccessKeyId.NotFound", "unknown app_key")
        if not hmac.compare_digest(str(data.get("signature", "")), sign(data, state.app_secret)):
            return refuse("SignatureDoesNotMatch", "signature mismatch")
        if abs(time.time() - int(data.get("timestamp") or 0)) > 300:
            return refuse("InvalidTimeStamp.Expired", "timestamp out of range")
        template = TEMPLATES.get(str(data.get("template")))
        if template is None:
            return refuse("isv.SMS_TEMPLATE_ILLEGAL", "unknown template")
        if data.get("sign_name") != SIGN_NAME:
            return refuse("isv.SMS_SIGNATURE_ILLEGAL", "unknown sign name")
        phone = str(data.get("phone", ""))
        if not PHONE.match(phone):
            return refuse("isv.MOBILE_NUMBER_ILLEGAL", "invalid mobile number")
        params = data.get("params") or {}
        if not isinstance(params, dict) or set(params) != set(template[1]):
            return refuse("isv.TEMPLATE_PARAMS_ILLEGAL", "template parameters do not match")
        with state.lock:
            if data["nonce"] in state.nonces:
                return refuse("SignatureNonceUsed", "nonce used")
            state.nonces.add(data["nonce"])
            message_id = secrets.token_hex(10)
            state.outbox.append(
                {
                    "message_id": message_id,
                    "phone": phone,
                    "template": data["template"],
                    "params": params,
                    "text": f"【{SIGN_NAME}】" + template[0].format(**params),
                    "sent_at": time.time(),
                }
            )
        return {"code": "OK", "message": "OK", "message_id": message_id}

    @get("/_dev/outbox", sync_to_thread=False)
    def outbox(phone: FromQuery[str | None] = None) -> list[dict[str, Any]]:
        with state.lock:
            return [m for m in state.outbox if phone is None or m["phone"] == phone]

    return Router(path="/sms", route_handlers=[send, outbox])
