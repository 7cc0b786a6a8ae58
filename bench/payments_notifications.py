"""Payment-notification benchmark on PostgreSQL: N orders, every notification delivered twice,
concurrently, by separate processes (like two provider retries landing on two app processes).

    ZHUSHIDA_DATABASE_URL=postgres://postgres@127.0.0.1:5432/zs4 \
        .venv/bin/python bench/payments_notifications.py --orders 4000 --processes 2

Each notification is a real WeChat Pay v3 notification (RSA-SHA256 signed headers, AES-256-GCM
resource) verified by the real ``wechatpayv3`` SDK and applied by the platform's own code
(``payments.notifications.handle_notification``: raw record, row lock, conditional state change,
event, purpose callback). Every process delivers every notification, in its own shuffled order,
with ``--concurrency`` in flight. Then it prints notifications/s and the proof: every order
changed state exactly once, the purpose was told once per order, no fen was counted twice.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ZHUSHIDA_CONTRACT = "1"
RUN_PREFIX = "bench-"
_told: dict[str, int] = {}


def _hookimpls():
    from core.hooks import OrderInfo, PaymentPurpose, PurposeQuote, hookimpl

    async def describe(ref: str, payer: int) -> PurposeQuote:  # orders are made directly by the setup
        raise LookupError(ref)

    async def on_paid(order: OrderInfo) -> None:
        _told[order.order_no] = _told.get(order.order_no, 0) + order.amount_fen

    @hookimpl
    def zhushida_payment_purposes():
        return PaymentPurpose(kind="bench_fee", describe=describe, on_paid=on_paid)

    return zhushida_payment_purposes


def _configure(database_url: str, var_dir: str, pool: int) -> None:
    sep = "&" if "?" in database_url else "?"
    os.environ["ZHUSHIDA_DATABASE_URL"] = f"{database_url}{sep}minsize=1&maxsize={pool}"
    os.environ["ZHUSHIDA_VAR_DIR"] = var_dir
    os.environ.pop("ZHUSHIDA_BROKER_URL", None)
    os.environ.setdefault("ZHUSHIDA_LOG_LEVEL", "WARNING")


async def _start():
    import types

    from core import db
    from core.plugins.host import get_host
    from core.settings import get_settings

    settings = get_settings()
    host = get_host(settings)
    module = types.ModuleType("bench_payments_purpose")
    module.ZHUSHIDA_CONTRACT = "1"
    module.zhushida_payment_purposes = _hookimpls()
    if "bench" not in host.records:
        host.register_module("bench", module)
    await db.init_db(settings, host)
    return settings, host


async def setup(orders: int, run_id: str) -> list[tuple[dict[str, str], str]]:
    """Create the orders (paying, on WeChat Pay) and the signed notifications WeChat would send."""
    from datetime import UTC, datetime, timedelta

    from core import db
    from payments.config import sandbox_credentials
    from payments.models import Order
    from payments.sandbox.wechatpay import WeChatPaySide, rfc3339

    settings, host = await _start()
    await db.close_db()
    await db.upgrade(settings, host)
    settings, host = await _start()
    creds = sandbox_credentials(settings)["wechat"]
    side = WeChatPaySide.from_credentials(creds, (settings.wechat_appid,))
    expires = datetime.now(UTC) + timedelta(hours=2)
    rows, notes = [], []
    for i in range(orders):
        order_no = f"ZB{run_id}{i:08d}"
        amount = 100 + (i * 37) % 99_900
        rows.append(Order(order_no=order_no, payer_account_id=1_000_000 + i, client_key=f"{RUN_PREFIX}{run_id}-{i}",
                          request_hash="bench", purpose_kind="bench_fee", purpose_ref=f"{run_id}-{i}", live_slot=1,
                          subject="基准测试", amount_fen=amount, state="paying", channel="wechatpay", method="jsapi",
                          expires_at=expires))
        resource = {"appid": settings.wechat_appid, "mchid": creds["mchid"], "out_trade_no": order_no,
                    "transaction_id": f"4200{run_id}{i:012d}", "trade_type": "JSAPI", "trade_state": "SUCCESS",
                    "success_time": rfc3339(datetime.now(UTC)), "payer": {"openid": "o_bench"},
                    "amount": {"total": amount, "payer_total": amount, "currency": "CNY", "payer_currency": "CNY"}}
        notes.append(side.notification("TRANSACTION.SUCCESS", "支付成功", "transaction", resource))
    await Order.bulk_create(rows, batch_size=1000)
    await db.close_db()
    return notes


def worker(args: tuple) -> dict:
    database_url, var_dir, pool, notes, concurrency, seed, start_at = args
    _configure(database_url, var_dir, pool)

    async def run() -> dict:
        from core import db
        from payments.notifications import handle_notification

        await _start()
        order = list(range(len(notes)))
        random.Random(seed).shuffle(order)  # out of order, and differently in each process
        gate = asyncio.Semaphore(concurrency)
        answers: dict[int, int] = {}

        async def one(index: int) -> None:
            async with gate:
                headers, body = notes[index]
                answer = await handle_notification("wechatpay", headers, body.encode())
                answers[answer.status] = answers.get(answer.status, 0) + 1

        while time.time() < start_at:  # every process starts together
            await asyncio.sleep(0.001)
        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in order))
        elapsed = time.perf_counter() - started
        await db.close_db()
        return {"elapsed": elapsed, "answers": answers, "told": dict(_told)}

    try:  # what production app processes run on (granian + uvloop)
        import uvloop

        return uvloop.run(run())
    except ImportError:
        return asyncio.run(run())


async def proof(run_id: str, expected_fen: int, orders: int) -> dict:
    from tortoise import connections

    from core import db

    await _start()
    conn = connections.get("default")
    like = f"ZB{run_id}%"
    q = conn.execute_query_dict
    paid = (await q("SELECT count(*) AS n, coalesce(sum(paid_amount_fen), 0) AS fen FROM payments_order "
                    "WHERE order_no LIKE $1 AND state = 'paid' AND fulfilled_at IS NOT NULL", [like]))[0]
    twice = (await q("SELECT count(*) AS n FROM (SELECT e.order_id FROM payments_order_event e JOIN payments_order o "
                     "ON o.id = e.order_id WHERE o.order_no LIKE $1 AND e.to_state = 'paid' GROUP BY e.order_id "
                     "HAVING count(*) <> 1) t", [like]))[0]["n"]
    events = (await q("SELECT count(*) AS n FROM payments_order_event e JOIN payments_order o ON o.id = e.order_id "
                      "WHERE o.order_no LIKE $1 AND e.to_state = 'paid'", [like]))[0]["n"]
    outcomes = {row["outcome"]: row["n"] for row in await q(
        "SELECT outcome, count(*) AS n FROM payments_notification WHERE order_no LIKE $1 GROUP BY outcome", [like])}
    await db.close_db()
    return {"paid_orders": paid["n"], "paid_fen": int(paid["fen"]), "orders_not_exactly_once": twice,
            "paid_events": events, "outcomes": outcomes, "expected_fen": expected_fen, "orders": orders}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=4000)
    parser.add_argument("--processes", type=int, default=2, help="delivering processes; each delivers every notification")
    parser.add_argument("--concurrency", type=int, default=32, help="notifications in flight per process")
    parser.add_argument("--database-url", default=os.environ.get("ZHUSHIDA_DATABASE_URL", ""))
    args = parser.parse_args()
    if not args.database_url.startswith("postgres"):
        parser.error("needs PostgreSQL: --database-url or ZHUSHIDA_DATABASE_URL=postgres://...")
    var_dir = tempfile.mkdtemp(prefix="zhushida-bench-")
    _configure(args.database_url, var_dir, args.concurrency + 2)
    run_id = uuid.uuid4().hex[:8].upper()
    print(f"setup: {args.orders} orders paying on WeChat Pay, signing {args.orders} notifications ...", flush=True)
    notes = asyncio.run(setup(args.orders, run_id))
    expected_fen = sum(100 + (i * 37) % 99_900 for i in range(args.orders))
    start_at = time.time() + 3.0
    jobs = [(args.database_url, var_dir, args.concurrency + 2, notes, args.concurrency, seed, start_at)
            for seed in range(args.processes)]
    with multiprocessing.get_context("spawn").Pool(args.processes) as pool:
        results = pool.map(worker, jobs)
    delivered = args.orders * args.processes
    elapsed = max(r["elapsed"] for r in results)
    told: dict[str, int] = {}
    for r in results:
        for order_no, fen in r["told"].items():
            told[order_no] = told.get(order_no, 0) + fen
    facts = asyncio.run(proof(run_id, expected_fen, args.orders))
    answers: dict[int, int] = {}
    for r in results:
        for status, n in r["answers"].items():
            answers[status] = answers.get(status, 0) + n
    rate = delivered / elapsed
    print(f"delivered {delivered} notifications ({args.processes} deliveries of each of {args.orders}) "
          f"in {elapsed:.2f}s with {args.processes} processes x {args.concurrency} in flight: "
          f"{rate:,.0f} verified notifications/s")
    print(f"answers: {answers}   outcomes stored: {facts['outcomes']}")
    checks = {
        "every order paid once (one 'paid' event each)": facts["paid_orders"] == args.orders
        and facts["paid_events"] == args.orders and facts["orders_not_exactly_once"] == 0,
        "one 'applied' per order, the rest duplicates": facts["outcomes"].get("applied") == args.orders
        and facts["outcomes"].get("duplicate") == delivered - args.orders,
        "purpose told once per order, no fen twice": len(told) == args.orders and sum(told.values()) == expected_fen,
        "paid fen == expected fen": facts["paid_fen"] == expected_fen,
    }
    for name, ok in checks.items():
        print(f"  [{'ok' if ok else 'FAILED'}] {name}")
    print(f"  paid {facts['paid_orders']} orders, {facts['paid_fen']} fen (expected {expected_fen} fen); "
          f"purpose told {sum(told.values())} fen over {len(told)} orders")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
