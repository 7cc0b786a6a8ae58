"""The sandbox gateways really verify what the SDKs sign, and the SDKs really verify the answers:
a merchant key the gateway does not know, or a gateway answering with a key the merchant does not
trust, fails the call."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from core.errors import AppError
from payments.channels.alipay import AlipayChannel
from payments.channels.wechatpay import WeChatPayChannel
from payments.config import alipay_credentials, wechat_credentials
from payments.contract import OrderInfo, PayerContext


def _pem(private_format, public: bool = False) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if public:
        return key.public_key().public_bytes(serialization.Encoding.PEM,
                                             serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return key.private_bytes(serialization.Encoding.PEM, private_format, serialization.NoEncryption()).decode()


def _order(no: str) -> OrderInfo:
    now = datetime.now(UTC)
    return OrderInfo(order_no=no, amount_fen=100, subject="签名测试", payer_account_id=1, purpose_kind="test_fee",
                     purpose_ref="S", state="paying", channel=None, method=None, expires_at=now + timedelta(hours=1),
                     created_at=now)


async def test_wechat_gateway_refuses_unknown_merchant_key_and_sdk_refuses_unknown_platform_key(settings, fees):
    good = wechat_credentials(settings)
    payer = PayerContext(account_id=1, openid="o_sig")
    assert (await WeChatPayChannel(good).prepay(_order("ZSSIG000000000001"), "jsapi", payer)).provider_ref
    forged = WeChatPayChannel(dataclasses.replace(good, private_key=_pem(serialization.PrivateFormat.PKCS8)))
    with pytest.raises(AppError) as err:
        await forged.prepay(_order("ZSSIG000000000002"), "jsapi", payer)
    assert err.value.details["code"] == "SIGN_ERROR"
    distrustful = WeChatPayChannel(dataclasses.replace(good, platform_public_key=_pem(None, public=True)))
    with pytest.raises(AppError) as err:
        await distrustful.query(_order("ZSSIG000000000001"))
    assert err.value.code == "payments.provider_error" and "signature" in err.value.details["error"]


async def test_alipay_gateway_refuses_unknown_app_key_and_sdk_refuses_unknown_alipay_key(settings, fees):
    good = alipay_credentials(settings)
    assert (await AlipayChannel(good).query(_order("ZSSIG000000000003"))).state == "unknown"
    forged = AlipayChannel(dataclasses.replace(good, private_key=_pem(serialization.PrivateFormat.TraditionalOpenSSL)))
    with pytest.raises(AppError) as err:
        await forged.query(_order("ZSSIG000000000003"))
    assert err.value.details["code"] == "isv.invalid-signature"
    distrustful = AlipayChannel(dataclasses.replace(good, alipay_public_key=_pem(None, public=True)))
    with pytest.raises(AppError) as err:
        await distrustful.query(_order("ZSSIG000000000003"))
    assert err.value.code == "payments.provider_error" and "verify" in err.value.details["error"]
