"""Merchant credentials and payment settings (prefix ``ZHUSHIDA_PAYMENTS_``), see docs/payments.md.

With no merchant credentials set and the sandbox on (the embedded default), every channel uses
credentials generated locally on first run (``var/payments/sandbox-credentials.json``, mode 0600,
never committed) and talks to the sandbox gateways; the sandbox reads the same file to play the
provider's side. In production a channel whose credentials are missing is not offered.
"""

from __future__ import annotations

import json
import os
import secrets
import string
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.settings import Settings

WECHAT_GATEWAY = "https://api.mch.weixin.qq.com"
ALIPAY_GATEWAY = "https://openapi.alipay.com/gateway.do"


class PaymentsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ZHUSHIDA_PAYMENTS_", extra="ignore")

    order_ttl_seconds: int = 1800
    # Where providers send notifications: {notify_base_url}/payments/notify/{channel}.
    notify_base_url: str | None = None
    # WeChat Pay API v3 (直连商户). Private key: PKCS#8 PEM file. Platform public key mode.
    wechat_mchid: str | None = None
    wechat_appid: str | None = None  # mini-program appid (JSAPI)
    wechat_app_appid: str | None = None  # mobile app appid (APP pay); defaults to wechat_appid
    wechat_cert_serial_no: str | None = None
    wechat_private_key_file: Path | None = None
    wechat_apiv3_key: SecretStr | None = None
    wechat_public_key_file: Path | None = None
    wechat_public_key_id: str | None = None
    wechat_gateway: str | None = None
    # Alipay open platform. App private key: PKCS#1 PEM file; Alipay public key: PEM file.
    alipay_app_id: str | None = None
    alipay_private_key_file: Path | None = None
    alipay_public_key_file: Path | None = None
    alipay_gateway: str | None = None
    alipay_seller_id: str | None = None


@dataclass(frozen=True)
class WeChatCredentials:
    mchid: str
    appid: str
    app_appid: str
    cert_serial_no: str
    private_key: str  # PKCS#8 PEM
    apiv3_key: str
    platform_public_key: str  # PEM
    platform_public_key_id: str
    gateway: str
    notify_url: str


@dataclass(frozen=True)
class AlipayCredentials:
    app_id: str
    private_key: str  # PKCS#1 PEM
    alipay_public_key: str  # PEM
    gateway: str
    notify_url: str
    seller_id: str


@lru_cache(maxsize=1)
def payments_settings() -> PaymentsSettings:
    return PaymentsSettings()


def notify_url(settings: Settings, channel: str) -> str:
    base = (payments_settings().notify_base_url or settings.public_url).rstrip("/")
    return f"{base}/payments/notify/{channel}"


def wechat_credentials(settings: Settings) -> WeChatCredentials | None:
    ps = payments_settings()
    if ps.wechat_mchid and ps.wechat_private_key_file and ps.wechat_apiv3_key and ps.wechat_public_key_file:
        return WeChatCredentials(
            mchid=ps.wechat_mchid,
            appid=ps.wechat_appid or settings.wechat_appid,
            app_appid=ps.wechat_app_appid or ps.wechat_appid or settings.wechat_appid,
            cert_serial_no=ps.wechat_cert_serial_no or "",
            private_key=ps.wechat_private_key_file.read_text(),
            apiv3_key=ps.wechat_apiv3_key.get_secret_value(),
            platform_public_key=ps.wechat_public_key_file.read_text(),
            platform_public_key_id=ps.wechat_public_key_id or "",
            gateway=(ps.wechat_gateway or WECHAT_GATEWAY).rstrip("/"),
            notify_url=notify_url(settings, "wechatpay"),
        )
    if not settings.sandbox_enabled:
        return None
    creds = sandbox_credentials(settings)["wechat"]
    return WeChatCredentials(
        mchid=creds["mchid"], appid=settings.wechat_appid, app_appid=creds["app_appid"],
        cert_serial_no=creds["merchant_serial_no"], private_key=creds["merchant_private_key"],
        apiv3_key=creds["apiv3_key"], platform_public_key=creds["platform_public_key"],
        platform_public_key_id=creds["platform_public_key_id"],
        gateway=(ps.wechat_gateway or f"{settings.effective_sandbox_url}/wechatpay").rstrip("/"),
        notify_url=notify_url(settings, "wechatpay"),
    )


def alipay_credentials(settings: Settings) -> AlipayCredentials | None:
    ps = payments_settings()
    if ps.alipay_app_id and ps.alipay_private_key_file and ps.alipay_public_key_file:
        return AlipayCredentials(
            app_id=ps.alipay_app_id,
            private_key=ps.alipay_private_key_file.read_text(),
            alipay_public_key=ps.alipay_public_key_file.read_text(),
            gateway=ps.alipay_gateway or ALIPAY_GATEWAY,
            notify_url=notify_url(settings, "alipay"),
            seller_id=ps.alipay_seller_id or "",
        )
    if not settings.sandbox_enabled:
        return None
    creds = sandbox_credentials(settings)["alipay"]
    return AlipayCredentials(
        app_id=creds["app_id"], private_key=creds["app_private_key"],
        alipay_public_key=creds["alipay_public_key"],
        gateway=ps.alipay_gateway or f"{settings.effective_sandbox_url}/alipay/gateway.do",
        notify_url=notify_url(settings, "alipay"), seller_id=creds["seller_id"],
    )


# ---- locally generated sandbox credentials ------------------------------------------------------


def _rsa_pair(private_format: serialization.PrivateFormat) -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, private_format, serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return private, public


def _generate() -> dict:
    pkcs8, pkcs1 = serialization.PrivateFormat.PKCS8, serialization.PrivateFormat.TraditionalOpenSSL
    merchant_private, merchant_public = _rsa_pair(pkcs8)  # WeChat Pay needs PKCS#8
    platform_private, platform_public = _rsa_pair(pkcs8)
    app_private, app_public = _rsa_pair(pkcs1)  # the Alipay SDK needs PKCS#1
    alipay_private, alipay_public = _rsa_pair(pkcs1)
    alphabet = string.ascii_letters + string.digits
    return {
        "wechat": {
            "mchid": "19" + "".join(secrets.choice(string.digits) for _ in range(8)),
            "app_appid": "wx" + secrets.token_hex(8),
            "merchant_serial_no": secrets.token_hex(20).upper(),
            "merchant_private_key": merchant_private,
            "merchant_public_key": merchant_public,
            "platform_private_key": platform_private,
            "platform_public_key": platform_public,
            "platform_public_key_id": "PUB_KEY_ID_" + secrets.token_hex(16).upper(),
            "apiv3_key": "".join(secrets.choice(alphabet) for _ in range(32)),
        },
        "alipay": {
            "app_id": "2021" + "".join(secrets.choice(string.digits) for _ in range(12)),
            "seller_id": "2088" + "".join(secrets.choice(string.digits) for _ in range(12)),
            "app_private_key": app_private,
            "app_public_key": app_public,
            "alipay_private_key": alipay_private,
            "alipay_public_key": alipay_public,
        },
    }


_cache: dict[Path, dict] = {}


def sandbox_credentials(settings: Settings) -> dict:
    """Both sides' key material for the sandbox, generated once per var dir (0600, not committed)."""
    path = Path(settings.var_dir) / "payments" / "sandbox-credentials.json"
    if path in _cache:
        return _cache[path]
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        data = _generate()
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh)
        try:
            os.link(tmp, path)  # atomic: the first process to link wins, the others read its file
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    for _ in range(50):
        try:
            _cache[path] = json.loads(path.read_text())
            break
        except (json.JSONDecodeError, FileNotFoundError):
            time.sleep(0.02)
    return _cache[path]
