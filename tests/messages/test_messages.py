"""Message centre: messages from state changes, read/unread, WeChat subscribe messages and SMS
through the real clients against the sandbox, channel settings, retries without double sends."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from types import SimpleNamespace

import httpx
import pytest

from core import tasks
from core.identity.models import Account
from core.integrations import sms
from core.messages import api
from core.messages.delivery import deliver_message
from core.messages.models import Delivery, DeliveryStatus, Message
from tests.support.auth import make_citizen


async def bind_wechat(sandbox: str, citizen) -> str:
    """The citizen logged in from the mini-program once: their account knows their openid."""
    phone = httpx.post(f"{sandbox}/wechat/_dev/login", json={"user": f"acct-{secrets.token_hex(6)}"}).json()
    await Account.filter(id=citizen.account_id).update(wechat_openid=phone["openid"])
    return phone["openid"]


def allow(sandbox: str, openid: str, template_id: str, times: int = 1) -> None:
    """The user taps "allow" in wx.requestSubscribeMessage (WeChat's side of the grant)."""
    httpx.post(f"{sandbox}/wechat/_dev/subscribe", json={"openid": openid, "template_id": template_id, "times": times})


def wechat_sent(sandbox: str, openid: str) -> list[dict]:
    return httpx.get(f"{sandbox}/wechat/_dev/messages", params={"touser": openid}).json()


def sms_sent(sandbox: str, phone: str) -> list[dict]:
    return httpx.get(f"{sandbox}/sms/_dev/outbox", params={"phone": phone}).json()


def case_event(citizen, effect: str | None, *, kind: str | None = None, event_id: int = 1, **extra):
    return SimpleNamespace(
        event_id=event_id, case_id=42, case_no="ZZ20261123-430281-0001", item_code="X", basic_code="Y",
        item_name="城乡居民养老保险参保登记", kind=kind or effect, effect=effect, from_state="a", to_state="b",
        status_code="3", applicant_id=citizen.account_id, region_code="430281000000", department_code="RSJ",
        channel="app", actor_kind="staff", actor_id=9, on_behalf_of=None, at=datetime.now(UTC),
        comment=extra.pop("comment", ""), data=extra.pop("data", {}), bundle_case_id=None,
        due_date=extra.pop("due_date", None),
    )


async def test_state_changes_become_messages_a_citizen_reads(client):
    alice, bob = await make_citizen(), await make_citizen()
    from core.messages.plugin import zhushida_case_event

    await zhushida_case_event(case_event(alice, None, kind="submitted", event_id=1))
    await zhushida_case_event(case_event(alice, "accept", event_id=2, due_date=date(2026, 12, 4)))
    await zhushida_case_event(case_event(alice, "accept", event_id=2))  # delivered twice: one message
    await zhushida_case_event(case_event(alice, "start_review", kind="start_review", event_id=3))  # internal
    await zhushida_case_event(case_event(alice, "request_correction", event_id=4, comment="请补正",
                                         data={"corrections": [{"key": "id_card", "name": "身份证正反面"}]}))
    await tasks.drain()
    r = await client.get("/messages", headers=alice.headers)
    assert r.status_code == 200
    body = r.json()
    assert [m["kind"] for m in body["items"]] == ["case.correction_requested", "case.accepted", "case.submitted"]
    assert body["unread"] == 3
    accepted = body["items"][1]
    assert "城乡居民养老保险参保登记" in accepted["title"] and "2026-12-04" in accepted["body"]
    assert "身份证正反面" in body["items"][0]["body"]
    english = (await client.get("/messages", headers={**alice.headers, "Accept-Language": "en"})).json()
    assert english["items"][1]["title"].endswith("accepted")

    # Bob sees none of it, and cannot open Alice's message.
    assert (await client.get("/messages", headers=bob.headers)).json()["items"] == []
    assert (await client.get(f"/messages/{accepted['id']}", headers=bob.headers)).status_code == 404
    assert (await client.get("/messages")).status_code == 401

    r = await client.get(f"/messages/{accepted['id']}", headers=alice.headers)
    assert r.json()["read"] is True
    assert (await client.get("/messages/unread-count", headers=alice.headers)).json() == {"unread": 2}
    r = await client.post("/messages/read", headers=alice.headers, json={})
    assert r.json() == {"marked": 2, "unread": 0}
    unread = await client.get("/messages", params={"unread": True}, headers=alice.headers)
    assert unread.json()["items"] == []
    assert (await client.get("/messages", params={"limit": 0}, headers=alice.headers)).status_code == 400


async def test_subscribe_message_needs_a_grant_and_uses_it_once(client, sandbox_server):
    alice = await make_citizen()
    openid = await bind_wechat(sandbox_server, alice)
    templates = (await client.get("/messages/wechat-templates", headers=alice.headers)).json()["templates"]
    case_tpl = templates["case_status"]

    # No grant yet: the message is in the app, the WeChat push is skipped.
    first = await api.notify(alice.account_id, "case.accepted", params={"service_name": "参保登记", "case_no": "N1"})
    await tasks.drain()
    delivery = await Delivery.get(message_id=first.id, channel="wechat")
    assert delivery.status == DeliveryStatus.SKIPPED and delivery.reason == "no_subscription_grant"
    assert wechat_sent(sandbox_server, openid) == []

    # The user allows one message in the mini-program; the app records the grant.
    allow(sandbox_server, openid, case_tpl)
    r = await client.post("/messages/wechat-grants", headers=alice.headers, json={"accepted": {case_tpl: 1}})
    assert r.status_code == 200 and r.json()["remaining"][case_tpl] == 1
    second = await api.notify(alice.account_id, "case.delivered", params={"service_name": "城乡居民养老保险参保登记服务", "case_no": "N2"})
    await tasks.drain()
    delivery = await Delivery.get(message_id=second.id, channel="wechat")
    assert delivery.status == DeliveryStatus.SENT and delivery.provider_id
    [sent] = wechat_sent(sandbox_server, openid)
    assert sent["template_id"] == case_tpl and sent["page"].endswith(f"id={second.id}")
    assert sent["data"]["phrase2"]["value"] == "已送达"
    assert sent["data"]["character_string3"]["value"] == "N2"
    assert len(sent["data"]["thing1"]["value"]) <= 20  # long names are cut to WeChat's limit
    assert (await api.wechat_grants(alice.account_id))[case_tpl] == 0

    r = await client.post("/messages/wechat-grants", headers=alice.headers, json={"accepted": {"TPL_unknown_99": 1}})
    assert r.status_code == 400 and r.json()["code"] == "messages.grant_invalid"


async def test_wechat_refusal_zeroes_the_grant(client, sandbox_server):
    alice = await make_citizen()
    await bind_wechat(sandbox_server, alice)
    tpl = api.template_ids()["certificate"]
    # The app thinks it may send, but WeChat has no grant (the user revoked it): 43101.
    await api.add_wechat_grants(alice.account_id, {tpl: 3})
    message = await api.notify(alice.account_id, "certificate.issued", params={"type_name": "不动产权证书"})
    await tasks.drain()
    delivery = await Delivery.get(message_id=message.id, channel="wechat")
    assert delivery.status == DeliveryStatus.SKIPPED and delivery.reason == "user_refused"
    assert (await api.wechat_grants(alice.account_id))[tpl] == 0


async def test_sms_by_default_for_important_kinds_and_settings_switch_channels(client, sandbox_server):
    alice = await make_citizen()
    approved = await api.notify(alice.account_id, "case.approved", params={"service_name": "参保登记", "case_no": "N3"})
    await api.notify(alice.account_id, "case.accepted", params={"service_name": "参保登记", "case_no": "N3"})
    await tasks.drain()
    [text] = [m["text"] for m in sms_sent(sandbox_server, alice.phone)]
    assert "N3" in text and "审批通过" in text
    assert (await Delivery.get(message_id=approved.id, channel="sms")).status == DeliveryStatus.SENT
    # No WeChat binding: that channel is skipped, with the reason.
    assert (await Delivery.get(message_id=approved.id, channel="wechat")).reason == "no_wechat_binding"

    r = await client.put("/messages/settings", headers=alice.headers,
                         json={"*": {"sms": True, "wechat": False}, "case.approved": {"sms": False}})
    assert r.status_code == 200
    assert r.json()["settings"]["case.approved"] == {"wechat": True, "sms": False}
    await api.notify(alice.account_id, "case.approved", params={"case_no": "N4"})
    await api.notify(alice.account_id, "case.accepted", params={"case_no": "N5"})
    await tasks.drain()
    texts = [m["text"] for m in sms_sent(sandbox_server, alice.phone)]
    assert len(texts) == 2 and "N5" in texts[1]
    settings = (await client.get("/messages/settings", headers=alice.headers)).json()
    effective = {k["kind"]: k["effective"] for k in settings["kinds"]}
    assert effective["case.accepted"] == {"wechat": False, "sms": True}
    for bad in ({"no.such.kind": {"sms": True}}, {"*": {"sms": "yes"}}, {"*": {"fax": True}}):
        r = await client.put("/messages/settings", headers=alice.headers, json=bad)
        assert r.status_code == 400 and r.json()["code"] == "messages.settings_invalid", bad


class FlakyOnce:
    """The real sandbox gateway behind a link that drops the first request (a provider outage)."""

    def __init__(self, real) -> None:
        self.real = real
        self.calls = 0

    async def send(self, phone, template, params):
        self.calls += 1
        if self.calls == 1:
            raise sms.SmsError("network", "connection reset", retryable=True)
        return await self.real.send(phone, template, params)


@pytest.fixture
def flaky_sms(sandbox_server):
    gateway = FlakyOnce(sms.get_sms_gateway())
    sms.set_sms_gateway(gateway)
    yield gateway
    sms.set_sms_gateway(None)


async def test_a_transient_failure_is_retried_without_sending_twice(client, sandbox_server, flaky_sms):
    alice = await make_citizen()
    openid = await bind_wechat(sandbox_server, alice)
    tpl = api.template_ids()["case_status"]
    allow(sandbox_server, openid, tpl, times=5)
    await api.add_wechat_grants(alice.account_id, {tpl: 5})
    message = await api.notify(alice.account_id, "case.refused", params={"case_no": "N6", "comment": "材料不符"},
                               deliver=False)
    with pytest.raises(sms.SmsError):
        await tasks.run_now(deliver_message, message_id=message.id)
    wechat = await Delivery.get(message_id=message.id, channel="wechat")
    text = await Delivery.get(message_id=message.id, channel="sms")
    assert wechat.status == DeliveryStatus.SENT and text.status == DeliveryStatus.PENDING and text.attempts == 1
    assert await tasks.run_now(deliver_message, message_id=message.id) == {"wechat": "sent", "sms": "sent"}
    text = await Delivery.get(message_id=message.id, channel="sms")
    assert text.status == DeliveryStatus.SENT and text.attempts == 2
    assert len(wechat_sent(sandbox_server, openid)) == 1  # the retry did not push WeChat again
    assert len(sms_sent(sandbox_server, alice.phone)) == 1
    assert (await api.wechat_grants(alice.account_id))[tpl] == 4


async def test_unknown_kind_is_refused(database):
    from core.errors import AppError

    with pytest.raises(AppError) as exc:
        await api.notify(1, "no.such.kind")
    assert exc.value.code == "messages.kind_unknown"
    assert await Message.all().count() == 0


async def test_one_grant_pushes_one_message_when_two_race(client, sandbox_server):
    alice = await make_citizen()
    openid = await bind_wechat(sandbox_server, alice)
    tpl = api.template_ids()["case_status"]
    allow(sandbox_server, openid, tpl, times=2)  # WeChat would take two: our grant count is the limit
    await api.add_wechat_grants(alice.account_id, {tpl: 1})
    await api.set_channel_settings(alice.account_id, {"*": {"wechat": True, "sms": False}})
    first = await api.notify(alice.account_id, "case.accepted", params={"case_no": "R1"}, deliver=False)
    second = await api.notify(alice.account_id, "case.accepted", params={"case_no": "R2"}, deliver=False)
    import asyncio

    results = await asyncio.gather(tasks.run_now(deliver_message, message_id=first.id),
                                   tasks.run_now(deliver_message, message_id=second.id))
    assert sorted(r["wechat"] for r in results) == ["sent", "skipped"]
    assert len(wechat_sent(sandbox_server, openid)) == 1


async def test_the_background_task_retries_a_transient_failure(client, sandbox_server, flaky_sms):
    """Through the real task runner: in process (embedded) or Celery on RabbitMQ (services)."""
    alice = await make_citizen()
    message = await api.notify(alice.account_id, "case.approved", params={"case_no": "N7"})
    await tasks.drain()
    text = await Delivery.get(message_id=message.id, channel="sms")
    assert text.status == DeliveryStatus.SENT and text.attempts == 2 and flaky_sms.calls == 2
    assert [m["text"] for m in sms_sent(sandbox_server, alice.phone)] == [f"【诸事达】{message.title}：{message.body}"]
