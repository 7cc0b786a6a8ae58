"""The SMS gateway client against the sandbox provider: signatures, templates, provider errors,
and a failed send that leaves no code behind."""

from __future__ import annotations

import pytest

from core.integrations.sms import (
    HttpSmsGateway,
    SmsError,
    get_sms_gateway,
    sandbox_credentials,
    set_sms_gateway,
)
from core.stores import get_stores


async def test_send_and_provider_errors(settings, sandbox_server, phone):
    gateway = get_sms_gateway(settings)
    receipt = await gateway.send(
        "13500135001", "notice", {"title": "办件通知", "body": "您的申请已受理"}
    )
    assert receipt.message_id and receipt.template == "notice"
    outbox = await phone.outbox("13500135001")
    assert outbox[-1]["text"] == "【诸事达】办件通知：您的申请已受理"
    with pytest.raises(SmsError) as bad_number:
        await gateway.send("12345", "notice", {"title": "a", "body": "b"})
    assert bad_number.value.code == "isv.MOBILE_NUMBER_ILLEGAL" and not bad_number.value.retryable
    with pytest.raises(SmsError) as bad_template:
        await gateway.send("13500135001", "free_text", {"text": "hi"})
    assert bad_template.value.code == "isv.SMS_TEMPLATE_ILLEGAL"
    with pytest.raises(SmsError) as bad_params:
        await gateway.send("13500135001", "login_code", {"code": "1"})
    assert bad_params.value.code == "isv.TEMPLATE_PARAMS_ILLEGAL"
    key, _secret = sandbox_credentials(settings)
    forged = HttpSmsGateway(f"{sandbox_server}/sms", key, "not-the-secret")
    with pytest.raises(SmsError) as unsigned:
        await forged.send("13500135001", "notice", {"title": "a", "body": "b"})
    assert unsigned.value.code == "SignatureDoesNotMatch"
    down = HttpSmsGateway("http://127.0.0.1:9/sms", key, "x", timeout=1)
    with pytest.raises(SmsError) as unreachable:
        await down.send("13500135001", "notice", {"title": "a", "body": "b"})
    assert unreachable.value.retryable


async def test_failed_send_leaves_no_code(client, settings, sandbox_server, phone):
    key, _secret = sandbox_credentials(settings)
    set_sms_gateway(HttpSmsGateway(f"{sandbox_server}/sms", key, "not-the-secret"))
    try:
        failed = await client.post("/identity/sms/send", json={"phone": "13500135002"})
    finally:
        set_sms_gateway(None)
    assert failed.status_code == 503 and failed.json()["code"] == "identity.sms_send_failed"
    assert failed.json()["details"]["provider_code"] == "SignatureDoesNotMatch"
    assert await get_stores()("identity.sms").get("code:login:13500135002") is None
    # The failed attempt does not block an immediate retry.
    assert (
        await client.post("/identity/sms/send", json={"phone": "13500135002"})
    ).status_code == 200
