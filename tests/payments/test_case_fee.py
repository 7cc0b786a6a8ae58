"""A real case fee (the case engine's "case" purpose) paid end to end through every channel —
WeChat Pay and Alipay via their real SDKs and the sandbox, the citizen-card wallet — then refunded."""

from __future__ import annotations

import pytest

from core.cases.models import Case
from core.hooks import CertificateRef
from payments.models import Order
from tests.cases.conftest import COUNTY
from tests.cases.demo_plugin import BDC_CODE, IDCARD_TYPE
from tests.citizen_card.helpers import balance, fund
from tests.payments.support import deliver, sandbox


@pytest.fixture
def demo(host, database):
    from core.catalogue.registry import reload_registry
    from tests.cases import demo_plugin

    host.register_module("demo_dept", demo_plugin)
    reload_registry()
    yield demo_plugin
    host.pm.unregister(name="demo_dept")
    host.records.pop("demo_dept", None)
    reload_registry()
    demo_plugin.PEOPLE.clear()
    demo_plugin.CERTIFICATES.clear()


async def _case_awaiting_payment(demo) -> tuple:
    from core.cases import api as cases
    from tests.cases.helpers import citizen_with_data, enable

    await enable(BDC_CODE)
    person = await citizen_with_data(demo, level=2)
    demo.CERTIFICATES[person.account_id] = [CertificateRef("c1", IDCARD_TYPE, "1.2.156.x", "身份证")]
    case = await cases.submit(person.principal, BDC_CODE, region_code=COUNTY,
                              form={"phone": "13800138000", "property_address": "醴陵市某路1号"})
    assert case.payment_state == "unpaid" and case.fee_fen == 8000
    return person, case


@pytest.mark.parametrize("channel,method", [("wechatpay", "jsapi"), ("alipay", "app"), ("card_wallet", "wallet")])
async def test_case_fee_paid_and_refunded_through_each_channel(client, settings, fees, demo, channel, method):
    from tests.support.auth import make_operator

    person, case = await _case_awaiting_payment(demo)
    r = await client.post("/payments/orders", headers=person.headers,
                          json={"purpose_kind": "case", "purpose_ref": str(case.id), "client_key": f"case-{case.id}-pay"})
    assert r.status_code == 201, r.text
    assert r.json()["amount_fen"] == 8000  # the item's fee, from the server
    order_no = r.json()["order_no"]
    if channel == "card_wallet":
        assert (await client.post("/card", headers=person.headers)).status_code == 201
        await fund(person.account_id, 10_000)
    r = await client.post(f"/payments/orders/{order_no}/pay", headers=person.headers,
                          json={"channel": channel, "method": method, "openid": "o_case_payer"})
    assert r.status_code == 200, r.text
    if channel == "wechatpay":
        paid = await sandbox(settings, "POST", "/wechatpay/_dev/pay", json={"out_trade_no": order_no})
        assert (await deliver(client, channel, paid.json()["notification"])).status_code == 200
    elif channel == "alipay":
        paid = await sandbox(settings, "POST", "/alipay/_dev/app-pay",
                             json={"order_string": r.json()["params"]["order_string"]})
        assert (await deliver(client, channel, paid.json()["notification"])).text == "success"
    else:
        assert r.json()["params"]["paid"] is True and await balance(person.account_id) == 2000

    order = await Order.get(order_no=order_no)
    assert order.state == "paid" and order.fulfilled_at is not None
    case = await Case.get(id=case.id)
    assert case.payment_state == "paid" and case.payment_ref == order_no
    # Paying the same case again is refused.
    r = await client.post("/payments/orders", headers=person.headers,
                          json={"purpose_kind": "case", "purpose_ref": str(case.id), "client_key": f"case-{case.id}-again"})
    assert r.status_code in (400, 409), r.text

    operator = await make_operator()
    r = await client.post(f"/payments/admin/orders/{order_no}/refunds", headers=operator.headers,
                          json={"amount_fen": 8000, "expected_refundable_fen": 8000, "reason": "不予受理退费",
                                "client_key": f"case-{case.id}-refund"})
    assert r.status_code == 201, r.text
    if channel == "wechatpay":
        settled = await sandbox(settings, "POST", "/wechatpay/_dev/settle-refund", json={"out_refund_no": r.json()["refund_no"]})
        assert (await deliver(client, channel, settled.json()["notification"])).status_code == 200
    order = await Order.get(order_no=order_no)
    assert (order.state, order.refunded_fen) == ("refunded", 8000)
    if channel == "card_wallet":
        assert await balance(person.account_id) == 10_000
