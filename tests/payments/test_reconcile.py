"""Daily reconciliation against both channels' bills, with injected mismatches that must all be found."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime

from payments import api, refunds
from payments.channels.money import CHINA
from payments.contract import PayerContext
from payments.models import Mismatch, Order, ReconciliationRun
from tests.payments.support import deliver, sandbox
from tests.support.auth import make_operator

PAYER = 21


async def _pay(client, settings, fees, channel: str, ref: str, amount: int, *, notify: bool = True) -> str:
    fees.fees[ref] = (amount, PAYER)
    order = await api.create_order("test_fee", ref, payer_account_id=PAYER, client_key=f"recon-{ref}-key")
    if channel == "wechatpay":
        await api.pay(order.order_no, "wechatpay", "jsapi", PayerContext(account_id=PAYER, openid="o_recon"))
        paid = await sandbox(settings, "POST", "/wechatpay/_dev/pay", json={"out_trade_no": order.order_no})
    else:
        prepay = await api.pay(order.order_no, "alipay", "app", PayerContext(account_id=PAYER))
        paid = await sandbox(settings, "POST", "/alipay/_dev/app-pay",
                             json={"order_string": prepay.client_params["order_string"]})
    assert paid.status_code == 200, paid.text
    if notify:
        assert (await deliver(client, channel, paid.json()["notification"])).status_code == 200
    return order.order_no


async def _refund(settings, order_no: str, amount: int, key: str) -> str:
    order = await api.get_order(order_no)
    assert order.refundable_fen == order.amount_fen - order.refunded_fen
    refund = await api.refund(order_no, amount, expected_refundable_fen=order.refundable_fen, reason="对账测试",
                              client_key=key)
    if order.channel == "wechatpay":
        await sandbox(settings, "POST", "/wechatpay/_dev/settle-refund", json={"out_refund_no": refund.refund_no})
        assert await refunds.query_processing_refunds(older_than_seconds=0) == 1
    return refund.refund_no


async def test_reconcile_finds_every_injected_mismatch(client, settings, fees):
    today = datetime.now(CHINA).date()
    found_expected: dict[str, set[tuple]] = {"wechatpay": set(), "alipay": set()}
    for channel, tag in (("wechatpay", "W"), ("alipay", "A")):
        ok = await _pay(client, settings, fees, channel, f"{tag}-ok", 1000)
        amount = await _pay(client, settings, fees, channel, f"{tag}-amount", 2000)
        dropped = await _pay(client, settings, fees, channel, f"{tag}-dropped", 3000)
        unnotified = await _pay(client, settings, fees, channel, f"{tag}-silent", 4000, notify=False)
        refunded = await _pay(client, settings, fees, channel, f"{tag}-refunded", 5000)
        refund_ok = await _refund(settings, ok, 100, f"recon-rf-{tag}-1")
        refund_amount = await _refund(settings, refunded, 500, f"recon-rf-{tag}-2")
        refund_dropped = await _refund(settings, refunded, 700, f"recon-rf-{tag}-3")
        ghost = f"ZSGHOST{tag}0000000000000000"[:26]
        r = await sandbox(settings, "POST", f"/{channel}/_dev/bill", json={
            "day": today.isoformat(),
            "add": [{"order_no": ghost, "amount_fen": 999}],
            "drop": [dropped, refund_dropped],
            "amounts": {amount: 2001, refund_amount: 501},
        })
        assert r.status_code == 200
        found_expected[channel] = {
            ("only_channel", "payment", ghost),
            ("amount_differs", "payment", amount),
            ("only_local", "payment", dropped),
            ("state_differs", "payment", unnotified),
            ("amount_differs", "refund", refunded),
            ("only_local", "refund", refunded),
        }
        assert refund_ok

    operator = await make_operator()
    runs = {}
    for channel in ("wechatpay", "alipay"):
        r = await client.post("/payments/admin/reconciliations", headers=operator.headers,
                              json={"day": today.isoformat(), "channel": channel})
        assert r.status_code == 201, r.text
        runs[channel] = r.json()[0]
    for channel, run in runs.items():
        assert run["state"] == "done", run["error"]
        detail = (await client.get(f"/payments/admin/reconciliations/{run['id']}", headers=operator.headers)).json()
        found = {(m["kind"], m["record"], m["order_no"]) for m in detail["items"]}
        assert found == found_expected[channel], (channel, found ^ found_expected[channel])
        # Matched: the payments "ok" and "refunded", and the refund of "ok".
        assert run["matched"] == 3
        amounts = {(m["kind"], m["record"]): (m["local_amount_fen"], m["channel_amount_fen"]) for m in detail["items"]}
        assert amounts[("amount_differs", "payment")] == (2000, 2001)
        assert amounts[("amount_differs", "refund")] == (500, 501)
    listed = (await client.get("/payments/admin/reconciliations", headers=operator.headers,
                               params={"day": today.isoformat()})).json()
    assert {run["id"] for run in listed} == {run["id"] for run in runs.values()}
    citizen_view = await client.get("/payments/admin/reconciliations", headers=(await _citizen()).headers)
    assert citizen_view.status_code == 403
    assert (await client.post("/payments/admin/reconciliations", headers=operator.headers,
                              json={"day": "23/11/2026"})).json()["code"] == "payments.invalid_date"

    # The CLI does the same from a separate process (same database, same sandbox).
    before = await ReconciliationRun.all().count()
    result = subprocess.run([sys.executable, "-m", "core.cli", "payments", "reconcile", today.isoformat(),
                             "--channel", "alipay"], capture_output=True, text=True, timeout=120,
                            env=dict(os.environ), cwd=os.getcwd())
    assert result.returncode == 0, result.stderr[-2000:]
    assert "alipay" in result.stdout and "6 mismatches" in result.stdout, result.stdout
    assert await ReconciliationRun.all().count() == before + 1
    assert await Mismatch.filter(kind="only_channel").count() == 3
    assert await Order.filter(state="paying").count() == 2  # reconciliation reports; it never changes orders


async def _citizen():
    from tests.support.auth import make_citizen

    return await make_citizen()


async def test_periodic_reconciliation_runs_once_per_channel_and_day(client, settings, fees):
    from datetime import timedelta

    from core import tasks
    from payments.plugin import zhushida_periodic_tasks

    yesterday = datetime.now(CHINA).date() - timedelta(days=1)
    order_no = await _pay(client, settings, fees, "alipay", "Y-1", 1500)
    # Move the payment to yesterday on both sides, as if it had happened then.
    at = datetime.combine(yesterday, datetime.min.time(), tzinfo=CHINA).replace(hour=23, minute=59)
    await sandbox(settings, "POST", "/alipay/_dev/shift-day", json={"key": order_no, "at": at.isoformat()})
    await Order.filter(order_no=order_no).update(paid_at=at)
    periodic = {p.name: p for p in zhushida_periodic_tasks(settings)}
    job = periodic["payments.reconcile_yesterday"]
    channels = await tasks.run_now(job.task)
    assert channels >= 2  # every registered channel, at least WeChat Pay and Alipay
    run = await ReconciliationRun.get(day=yesterday, channel="alipay")
    assert (run.state, run.bill_lines, run.matched, run.mismatches) == ("done", 1, 1, 0)
    assert await tasks.run_now(job.task) == 0  # done once per channel and day
    assert {"payments.close_expired_orders", "payments.query_pending_orders",
            "payments.query_processing_refunds", "payments.retry_callbacks"} <= set(periodic)
