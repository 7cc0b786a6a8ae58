"""A bundle's one payment applies to what the citizen was quoted (the lines kept on the order):
a child that ended, or a charge that went away or changed, between the order and the payment is
refunded through the payment platform (WeChat Pay's real SDK against the sandbox); the rest is
settled and the other children proceed. A duplicate notification changes nothing."""

from __future__ import annotations

import sys

import pytest

from core import tasks
from core.cases import api as cases
from core.cases import bundles
from core.cases.models import BundleCase, Case, CaseEventLog
from core.errors import AppError
from core.hooks import CaseCharge, CertificateRef, hookimpl
from tests.cases.conftest import COUNTY
from tests.cases.demo_plugin import BDC_CODE, GJJ_CODE, IDCARD_TYPE
from tests.cases.helpers import citizen_with_data, enable, upload
from tests.payments.support import deliver, sandbox

ZHUSHIDA_CONTRACT = "1"
BUNDLE = "demo.buy_house"

# The charges each item's cases owe besides the fee (item code -> (charge code, fen)), and what was settled.
CHARGES: dict[str, tuple[str, int]] = {}
SETTLED: list[tuple[str, str, str]] = []


@hookimpl
def zhushida_case_charges(case):
    if case.item_code not in CHARGES or any(s[0] == case.case_no for s in SETTLED):
        return None
    code, fen = CHARGES[case.item_code]

    async def settle(payment_ref: str) -> None:
        SETTLED.append((case.case_no, code, payment_ref))

    return CaseCharge(code, fen, f"演示费用 {code}", settle, title_en=f"Demo charge {code}")


@pytest.fixture
def charges(demo, host):
    host.register_module("demo_charges", sys.modules[__name__])
    CHARGES.clear()
    SETTLED.clear()
    CHARGES.update({BDC_CODE: ("demo_tax", 5_000), GJJ_CODE: ("demo_service", 3_000)})
    yield CHARGES
    host.pm.unregister(name="demo_charges")
    host.records.pop("demo_charges", None)


async def _bundle(demo):
    await enable(BUNDLE, BDC_CODE, GJJ_CODE)
    alice = await citizen_with_data(demo, level=2)
    demo.CERTIFICATES[alice.account_id] = [CertificateRef("c1", IDCARD_TYPE, "1.2.156.x", "身份证")]
    bc = await bundles.submit_bundle(
        alice.principal, BUNDLE, region_code=COUNTY,
        form={"phone": "13800138000", "amount": 100_000, "reason": "buy", "property_address": "醴陵市某路1号"},
        materials={GJJ_CODE: {"contract": {"upload_id": await upload(alice.account_id, "contract")},
                              "marriage": {"paper": True}}},
    )
    children = {c.item_code: c for c in await Case.filter(bundle_id=bc.id)}
    return alice, bc, children


async def _trail(bc: BundleCase) -> list[tuple[int, str]]:
    ids = [c.id for c in await Case.filter(bundle_id=bc.id)]
    return [(r.case_id, r.kind) for r in await CaseEventLog.filter(case_id__in=ids).order_by("id")]  # type: ignore[attr-defined]


async def test_child_withdrawn_after_the_order_is_refunded_through_the_sandbox(client, settings, charges, demo):
    from payments.api import get_order, get_refunds

    assert (await sandbox(settings, "POST", "/wechatpay/_dev/config", json={"deliver": False, "reset": True})).status_code == 200
    alice, bc, children = await _bundle(demo)
    r = await client.post("/payments/orders", headers=alice.headers,
                          json={"purpose_kind": "bundle", "purpose_ref": str(bc.id), "client_key": f"bundle-{bc.id}-pay"})
    assert r.status_code == 201, r.text
    order_no = r.json()["order_no"]
    assert r.json()["amount_fen"] == 8_000 + 5_000 + 3_000
    quoted = (await get_order(order_no)).attach["lines"]
    assert {(x.get("case_no"), x["kind"], x["amount_fen"]) for x in quoted} == {
        (None, "fees", 8_000), (children[BDC_CODE].case_no, "demo_tax", 5_000),
        (children[GJJ_CODE].case_no, "demo_service", 3_000)}

    # The citizen withdraws the fund withdrawal while the order is open, then pays the quote.
    await cases.transition(children[GJJ_CODE].id, "withdraw", alice.principal)
    r = await client.post(f"/payments/orders/{order_no}/pay", headers=alice.headers,
                          json={"channel": "wechatpay", "method": "jsapi", "openid": "o_bundle_payer"})
    assert r.status_code == 200, r.text
    paid = await sandbox(settings, "POST", "/wechatpay/_dev/pay", json={"out_trade_no": order_no})
    notification = paid.json()["notification"]
    assert (await deliver(client, "wechatpay", notification)).status_code == 200
    await tasks.drain()

    order = await get_order(order_no)
    assert order.state in ("paid", "partially_refunded")
    from payments.models import Order

    assert (await Order.get(order_no=order_no)).fulfilled_at is not None  # applied, not left for retries
    bc = await BundleCase.get(id=bc.id)
    assert (bc.payment_state, bc.payment_ref) == ("paid", order_no)
    assert [(children[BDC_CODE].case_no, "demo_tax", order_no)] == SETTLED  # only the open child's charge
    registration = await Case.get(id=children[BDC_CODE].id)
    assert registration.holds == [] and registration.payment_state == "paid"  # it proceeds
    assert (await Case.get(id=children[GJJ_CODE].id)).state == "withdrawn"

    # Exactly the withdrawn child's part goes back through WeChat Pay.
    [refund] = await get_refunds(order_no)
    assert refund.amount_fen == 3_000 and "一件事" in refund.reason and "Bundle" in refund.reason
    assert refund.state == "processing"  # WeChat settles refunds later
    settled = await sandbox(settings, "POST", "/wechatpay/_dev/settle-refund", json={"out_refund_no": refund.refund_no})
    assert (await deliver(client, "wechatpay", settled.json()["notification"])).status_code == 200
    order = await get_order(order_no)
    assert (order.state, order.refunded_fen) == ("partially_refunded", 3_000)

    # The citizen sees in the bundle what the payment did.
    view = (await client.get(f"/bundles/{bc.id}", headers=alice.headers)).json()
    log = view["payment_log"]
    by_case = {(e["kind"], e["case_no"], e.get("state")): e for e in log}
    gjj_no, bdc_no = children[GJJ_CODE].case_no, children[BDC_CODE].case_no
    [line] = by_case[("bundle_payment", gjj_no, None)]["lines"]
    assert (line["outcome"], line["reason"], line["amount_fen"]) == ("refunding", "case_ended", 3_000)
    assert line["reason_text"] and line["reason_text_en"]
    [line] = by_case[("bundle_payment", bdc_no, None)]["lines"]
    assert line["outcome"] == "settled"
    asked = by_case[("bundle_refund", gjj_no, "requested")]  # noted when the payment applied
    assert (asked["order_no"], asked["amount_fen"], asked["refund_no"]) == (order_no, 3_000, "")
    done = by_case[("bundle_refund", gjj_no, "succeeded")]  # told by the payment platform
    assert (done["refund_no"], done["amount_fen"]) == (refund.refund_no, 3_000)
    assert not any(e["kind"] == "bundle_refund" and e["case_no"] == bdc_no for e in log)

    # A duplicate notification of the same payment (and a direct replay of the purpose) changes nothing.
    trail = await _trail(bc)
    assert (await deliver(client, "wechatpay", notification)).status_code == 200
    from core.cases.payment_purposes import bundle_paid

    await bundle_paid(await get_order(order_no))
    await tasks.drain()
    assert await _trail(bc) == trail
    assert len(await get_refunds(order_no)) == 1
    assert [(bdc_no, "demo_tax", order_no)] == SETTLED
    assert (await get_order(order_no)).refunded_fen == 3_000


class Refunds:
    def __init__(self) -> None:
        self.asked: list[tuple[int, list[dict]]] = []

    async def __call__(self, amount_fen: int, lines: list[dict]) -> None:
        self.asked.append((amount_fen, lines))


async def test_changed_and_vanished_charges_are_refunded_settled_ones_kept(charges, demo, database):
    alice, bc, children = await _bundle(demo)
    total, quote = await bundles.amount_due(bc)
    assert total == 16_000
    charges[BDC_CODE] = ("demo_tax", 6_000)  # re-assessed after the quote
    del charges[GJJ_CODE]  # no longer owed
    refunds = Refunds()
    with pytest.raises(AppError) as short:  # the paid amount must equal the quote
        await bundles.mark_bundle_paid(bc.id, amount_fen=15_000, payment_ref="ZS-SHORT", quoted_lines=quote,
                                       refund=refunds)
    assert short.value.code == "cases.payment_mismatch"
    assert (await BundleCase.get(id=bc.id)).payment_state == "unpaid" and refunds.asked == []

    await bundles.mark_bundle_paid(bc.id, amount_fen=16_000, payment_ref="ZS-QUOTE", quoted_lines=quote, refund=refunds)
    [(amount, lines)] = refunds.asked
    assert amount == 8_000 and {(x["kind"], x["reason"]) for x in lines} == {
        ("demo_tax", "charge_changed"), ("demo_service", "charge_gone")}
    assert SETTLED == []  # a changed charge is not settled with the old amount
    assert (await BundleCase.get(id=bc.id)).payment_state == "paid"
    assert (await Case.get(id=children[BDC_CODE].id)).holds == []

    # A foreign quote is refused and changes nothing.
    _alice, other, other_children = await _bundle(demo)
    _total, other_quote = await bundles.amount_due(other)
    with pytest.raises(AppError) as foreign:
        await bundles.mark_bundle_paid(other.id, amount_fen=16_000, payment_ref="ZS-FOREIGN",
                                       quoted_lines=quote, refund=refunds)
    assert foreign.value.code == "cases.payment_mismatch" and foreign.value.details["reason"] == "not a case of this bundle"
    assert (await BundleCase.get(id=other.id)).payment_state == "unpaid"
    assert other_quote and len(refunds.asked) == 1
