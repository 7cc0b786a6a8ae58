"""Benchmark: concurrent citizen-card debits from many terminals on a few cards (PostgreSQL).

    ZHUSHIDA_DATABASE_URL=postgres://postgres@127.0.0.1:5432/zs5 \\
        .venv/bin/python -m bench.card_debits --reset --cards 4 --terminals 64 --processes 2 \\
        --concurrency 32 --seconds 10 --mode http

Every debit goes the whole way a terminal's does (``--mode http``): a signed HTTP request
(ZSC-HMAC-SHA256, fresh nonce) through the real app in-process, signature and nonce checks, QR
token signature and expiry, the idempotency lookup, the wallet row lock, the journal with its two
entries and the debit record. ``--mode service`` calls the debit function directly (no HTTP, no
request signature) to show what the web layer costs. Tokens are signed by the bench with the
platform key, one per debit, as the citizens' apps would have fetched them.

Afterwards the ledger is checked to the fen: every journal sums to zero, every wallet equals the
sum of its entries, and what the cards lost equals what the merchants gained equals the sum of
the debits recorded. A non-zero exit means drift or errors.

``--reset`` drops and recreates the ``public`` schema of the target database: point it at a
database of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

BIG = 10**12  # fen: cards and limits large enough that only the race itself is measured


def _prepare_env(args: argparse.Namespace) -> None:
    url = args.database_url or os.environ.get("ZHUSHIDA_DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("card_debits needs PostgreSQL: set ZHUSHIDA_DATABASE_URL or --database-url (postgres://...)")
    if "maxsize=" not in url:
        url += ("&" if "?" in url else "?") + f"maxsize={max(5, args.concurrency + 2)}"
    os.environ["ZHUSHIDA_DATABASE_URL"] = url
    os.environ.setdefault("ZHUSHIDA_VAR_DIR", args.var_dir)
    os.environ["ZHUSHIDA_CARD_LIMIT_PER_DAY"] = str(BIG)
    os.environ["ZHUSHIDA_CARD_LIMIT_PER_PAYMENT"] = str(BIG)
    os.environ.setdefault("ZHUSHIDA_LOG_LEVEL", "WARNING")
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)


async def _reset_schema(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.split("?")[0].replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


async def setup(args: argparse.Namespace) -> dict:
    """Migrate, then create the cards (funded) and the merchants' terminals."""
    from core import db
    from core.plugins.host import get_host
    from core.settings import get_settings

    settings = get_settings()
    host = get_host(settings)
    if args.reset:
        await _reset_schema(settings.effective_database_url)
    await db.upgrade(settings, host)
    await db.init_db(settings, host)
    try:
        from citizen_card import funding, qr, terminals
        from citizen_card.cards import _create_card
        from citizen_card.models import Card

        holder_base = 9_000_000 + random.randrange(1_000_000)
        cards = []
        for i in range(args.cards):
            card = await _create_card(holder_base + i)
            await funding.credit_topup(card.id, BIG // 10, f"BENCH-{card.id}-{secrets.token_hex(4)}")
            cards.append({"id": card.id, "number": card.number, "counter": (await Card.get(id=card.id)).qr_counter})
        creds = []
        merchants = [await terminals.register_merchant(f"压测商户{m}", "91430200MA4L16XK26")
                     for m in range(max(1, args.terminals // 16))]
        for t in range(args.terminals):
            c = await terminals.register_terminal(merchants[t % len(merchants)], f"POS {t}")
            creds.append({"id": c.terminal_id, "key_id": c.key_id, "secret": c.secret})
        qr.load_keyring()  # creates the key file once, before the workers read it
        return {"cards": cards, "terminals": creds}
    finally:
        await db.close_db()


def _token_factory(card: dict, start: int):
    from citizen_card import qr

    keyring = qr.load_keyring()
    counter = start

    def next_token() -> str:
        nonlocal counter
        counter += 1
        now = int(time.time())
        claims = qr.QrClaims(keyring.signing_kid, card["number"], counter, now, now + 60)
        return qr.encode(claims, keyring.private[0])

    return next_token


async def _worker_main(index: int, args: dict, fixture: dict, barrier=None) -> dict:
    import httpx

    from citizen_card import debits, terminals
    from citizen_card.models import Terminal
    from core.app import create_app, platform_lifespan
    from core.plugins.host import get_host
    from core.settings import get_settings
    from core.stores import get_stores

    settings = get_settings()
    host = get_host(settings)
    app = create_app(settings, host, get_stores(), mount_sandbox=False)
    mine = [t for n, t in enumerate(fixture["terminals"]) if n % args["processes"] == index]
    # Counters never collide: each worker owns a band of 10^9 per card.
    tokens = {c["id"]: _token_factory(c, c["counter"] + (index + 1) * 10**9) for c in fixture["cards"]}
    latencies: list[float] = []
    outcome = {"ok": 0, "refused": 0, "errors": 0, "amount": 0, "codes": {}}
    async with platform_lifespan(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                           base_url="http://bench") as client:
        term_rows = {t.id: t for t in await Terminal.filter(id__in=[m["id"] for m in mine])}
        if barrier is not None:  # every process starts its clock together
            await asyncio.to_thread(barrier.wait)
        deadline = time.monotonic() + args["seconds"]
        outcome["window"] = [time.time(), 0.0]

        async def one_terminal(slot: int) -> None:
            term = mine[slot % len(mine)]
            rng = random.Random(slot * 7919 + index)
            seq = 0
            while time.monotonic() < deadline:
                card = fixture["cards"][rng.randrange(len(fixture["cards"]))]
                amount = rng.randint(1, 500)
                seq += 1
                txn_id = f"B{index}-{slot}-{seq}"
                token = tokens[card["id"]]()
                started = time.perf_counter()
                try:
                    if args["mode"] == "http":
                        body = json.dumps({"txn_id": txn_id, "amount": amount, "qr_token": token}).encode()
                        header = terminals.sign_for(term["key_id"], term["secret"], "POST", "/card/terminal/debits", body)
                        r = await client.post("/card/terminal/debits", content=body,
                                              headers={"Authorization": header, "Content-Type": "application/json"})
                        ok, code = r.status_code == 201, (None if r.status_code == 201 else r.json().get("code"))
                    else:
                        await debits.debit(term_rows[term["id"]], txn_id=txn_id, amount=amount, qr_token=token)
                        ok, code = True, None
                except Exception as exc:  # counted and reported, never hidden
                    ok, code = False, getattr(exc, "code", type(exc).__name__)
                latencies.append(time.perf_counter() - started)
                if ok:
                    outcome["ok"] += 1
                    outcome["amount"] += amount
                else:
                    outcome["refused" if code and "." in code else "errors"] += 1
                    outcome["codes"][code] = outcome["codes"].get(code, 0) + 1

        await asyncio.gather(*(one_terminal(slot) for slot in range(args["concurrency"])))
        outcome["window"][1] = time.time()
    outcome["latencies"] = latencies
    return outcome


def _worker(index: int, args: dict, fixture: dict, queue, barrier) -> None:
    try:
        loop_factory = None
        if args["uvloop"]:
            import uvloop

            loop_factory = uvloop.new_event_loop
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            queue.put(runner.run(_worker_main(index, args, fixture, barrier)))
    except BaseException as exc:  # the parent reports it
        queue.put({"crash": repr(exc)})


async def verify(fixture: dict, debited: int) -> list[str]:
    """The ledger to the fen, plus: cards lost = merchants gained = debits recorded."""
    from tortoise.functions import Sum

    from citizen_card.ledger import ledger_problems
    from citizen_card.models import Card, Debit, Entry, LedgerAccount
    from core import db
    from core.plugins.host import get_host
    from core.settings import get_settings

    settings = get_settings()
    await db.init_db(settings, get_host(settings))
    try:
        problems = await ledger_problems()
        card_ids = [c["id"] for c in fixture["cards"]]
        balances = sum(await LedgerAccount.filter(card_id__in=card_ids).values_list("balance", flat=True))
        lost = len(card_ids) * (BIG // 10) - balances
        merchant_ids = await LedgerAccount.filter(kind="merchant").values_list("id", flat=True)
        gained = (await Entry.filter(account_id__in=merchant_ids).annotate(s=Sum("amount")).values("s"))[0]["s"] or 0
        recorded = (await Debit.filter(card_id__in=card_ids).annotate(s=Sum("amount")).values("s"))[0]["s"] or 0
        if not (lost == gained == recorded == debited):
            problems.append(f"cards lost {lost}, merchants gained {gained}, debits recorded {recorded}, "
                            f"workers saw {debited} succeed")
        # Keep the cards' QR counters ahead of every token the bench signed.
        for card in fixture["cards"]:
            await Card.filter(id=card["id"]).update(qr_counter=card["counter"] + 10**9 * 1000)
        return problems
    finally:
        await db.close_db()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url")
    parser.add_argument("--reset", action="store_true", help="drop and recreate the public schema first")
    parser.add_argument("--cards", type=int, default=4)
    parser.add_argument("--terminals", type=int, default=64)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=32, help="terminals in flight per process")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--mode", choices=("http", "service"), default="http")
    parser.add_argument("--no-uvloop", action="store_true", help="plain asyncio loop in the workers")
    parser.add_argument("--var-dir", default=str(Path(tempfile.gettempdir()) / "zhushida-bench-card"))
    args = parser.parse_args(argv)
    _prepare_env(args)

    fixture = asyncio.run(setup(args))
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    shared = {"processes": args.processes, "concurrency": args.concurrency, "seconds": args.seconds, "mode": args.mode,
              "uvloop": not args.no_uvloop}
    barrier = ctx.Barrier(args.processes, timeout=120)
    procs = [ctx.Process(target=_worker, args=(i, shared, fixture, queue, barrier)) for i in range(args.processes)]
    started = time.perf_counter()
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - started
    crashes = [r["crash"] for r in results if "crash" in r]
    if crashes:
        print("worker crashed:", *crashes, sep="\n  ")
        return 2
    ok = sum(r["ok"] for r in results)
    refused = sum(r["refused"] for r in results)
    errors = sum(r["errors"] for r in results)
    codes: dict[str, int] = {}
    for r in results:
        for code, n in r["codes"].items():
            codes[code] = codes.get(code, 0) + n
    latencies = sorted(x for r in results for x in r["latencies"])
    debited = sum(r["amount"] for r in results)
    problems = asyncio.run(verify(fixture, debited))

    window = max(r["window"][1] for r in results) - min(r["window"][0] for r in results)
    rate = ok / window
    print(f"mode={args.mode} loop={'asyncio' if args.no_uvloop else 'uvloop'} cards={args.cards} terminals={args.terminals} processes={args.processes} "
          f"concurrency/process={args.concurrency} window={window:.1f}s (wall {elapsed:.1f}s incl. start-up)")
    print(f"debits ok: {ok}  refused: {refused}  errors: {errors}  {codes or ''}")
    print(f"throughput: {rate:,.0f} debits/s")
    if latencies:
        q = statistics.quantiles(latencies, n=100)
        print(f"latency ms: p50 {q[49] * 1000:.1f}  p95 {q[94] * 1000:.1f}  p99 {q[98] * 1000:.1f}  max {latencies[-1] * 1000:.1f}")
    print(f"moved {debited} fen; ledger: {'balances to the fen' if not problems else 'DRIFT'}")
    for problem in problems[:20]:
        print("  ", problem)
    return 0 if not problems and not errors and not refused else 1


if __name__ == "__main__":
    sys.exit(main())
