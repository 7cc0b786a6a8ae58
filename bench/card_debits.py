"""Benchmark: concurrent citizen-card debits from many terminals on a few cards (PostgreSQL).

    ZHUSHIDA_DATABASE_URL=postgres://postgres@127.0.0.1:5432/zs5 ZHUSHIDA_REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python -m bench.card_debits --reset --cards 4 --terminals 64 --mode http \\
        --workers 2 --connections 32 --seconds 10

``--mode http`` (default) loads the app the way terminals do: the app (``core.app:app_factory``)
served by granian (``--workers`` processes, uvloop, Redis between the workers) and driven
over loopback by ``wrk`` (a separate C process) replaying requests the terminals signed *before*
the timed window - a terminal signs on its own hardware, so that cost is not the server's. Each
request is a ZSC-HMAC-SHA256 signed ``POST /card/terminal/debits`` with its own nonce and a QR
token of its own (Ed25519, signed with the platform key as the citizen's app would have fetched
it), on a random one of the few cards, 1-500 fen. The server runs every check: signature,
timestamp window, nonce (Redis), terminal and merchant state, QR key, signature and expiry,
idempotency by txn id, the one-token-one-debit rule, balance and limits - nothing is relaxed for
the benchmark. Tokens live ~60 s, so one run (generation, warm-up, window) must fit in that; use
``--runs`` for more windows (each signs its own batch).

``--mode service`` calls ``citizen_card.debits.debit`` in ``--processes`` processes (no HTTP, no
request signature) to show what the web layer costs.

Afterwards the ledger is checked to the fen: ``ledger_problems()`` is empty, and what the cards
lost = what the merchants gained = the sum of the debits recorded = the sum of the successes the
load generator saw (each 201 matched to the amount that terminal asked for), and the number of
debits recorded = the number of successes seen. Exit status 1 on any drift, refusal or error.

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
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bff_load import free_port, stop, wait_until_up

ROOT = Path(__file__).resolve().parents[1]
GRANIAN = str(Path(sys.executable).with_name("granian"))
BIG = 10**12  # fen: cards and limits large enough that only the race itself is measured
PATH = "/card/terminal/debits"
TICK = os.sysconf("SC_CLK_TCK")


def _database_url(args: argparse.Namespace) -> str:
    url = args.database_url or os.environ.get("ZHUSHIDA_DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("card_debits needs PostgreSQL: set ZHUSHIDA_DATABASE_URL or --database-url (postgres://...)")
    if "maxsize=" not in url:
        size = args.pool if args.mode == "http" else max(5, args.concurrency + 2)
        url += ("&" if "?" in url else "?") + f"maxsize={size}"
    return url


def _card_env(args: argparse.Namespace) -> dict[str, str]:
    """What the app processes (and this one) run with."""
    env = {
        "ZHUSHIDA_DATABASE_URL": _database_url(args),
        "ZHUSHIDA_VAR_DIR": args.var_dir,
        "ZHUSHIDA_CARD_LIMIT_PER_DAY": str(BIG),
        "ZHUSHIDA_CARD_LIMIT_PER_PAYMENT": str(BIG),
        "ZHUSHIDA_LOG_LEVEL": "WARNING",
    }
    if args.redis_url:
        env["ZHUSHIDA_REDIS_URL"] = args.redis_url
    return env


async def _reset_schema(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_plain(url))
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


def _plain(url: str) -> str:
    return url.split("?")[0].replace("postgres://", "postgresql://", 1)


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
        qr.load_keyring()  # creates the key file once, before the app processes read it
        return {"cards": cards, "terminals": creds, "merchants": [m.id for m in merchants]}
    finally:
        await db.close_db()


# ---- the terminals' side: requests signed before the timed window ------------------------------------


class Signer:
    """What the terminals and the citizens' apps would have produced: a QR token per debit (the
    card's counter moves on by one each time) and a signed request carrying it."""

    def __init__(self, fixture: dict, host: str) -> None:
        from citizen_card import qr

        self.fixture, self.host = fixture, host
        self.keyring = qr.load_keyring()
        # Counters above anything the app issued: bands of 10^9 per batch, never reused.
        self.counters = {c["id"]: c["counter"] + 10**9 for c in fixture["cards"]}
        self.rng = random.Random(secrets.randbits(64))
        self.serial = 0
        self.sent: dict[str, tuple[dict, bytes]] = {}

    def batch(self, n: int) -> list[tuple[str, int, bytes]]:
        """``n`` signed requests: (txn id, amount, raw HTTP request); the bodies are kept for retries."""
        from citizen_card import qr, terminals

        now = int(time.time())
        ttl = qr.get_card_settings().qr_ttl_seconds
        out = []
        for _ in range(n):
            self.serial += 1
            card = self.fixture["cards"][self.rng.randrange(len(self.fixture["cards"]))]
            term = self.fixture["terminals"][self.serial % len(self.fixture["terminals"])]
            self.counters[card["id"]] += 1
            claims = qr.QrClaims(self.keyring.signing_kid, card["number"], self.counters[card["id"]], now, now + ttl)
            txn_id, amount = f"W{self.serial}", self.rng.randint(1, 500)
            body = json.dumps({"txn_id": txn_id, "amount": amount,
                               "qr_token": qr.encode(claims, self.keyring.private[0])}).encode()
            auth = terminals.sign_for(term["key_id"], term["secret"], "POST", PATH, body, ts=now)
            head = (f"POST {PATH} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
                    f"Authorization: {auth}\r\nContent-Length: {len(body)}\r\n\r\n")
            out.append((txn_id, amount, head.encode() + body))
            self.sent[txn_id] = (term, body)
        return out

    async def retry(self, port: int, txn_ids: list[str]) -> tuple[int, int, list[str]]:
        """What a terminal does when its answer never came (wrk stops with requests in flight): the
        same body again, newly signed; the platform answers the original debit (idempotency) or
        takes it now if it never arrived. Returns (successes, fen, refusals)."""
        import httpx

        from citizen_card import terminals

        ok = fen = 0
        refused = []
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            for txn_id in txn_ids:
                term, body = self.sent[txn_id]
                auth = terminals.sign_for(term["key_id"], term["secret"], "POST", PATH, body)
                r = await client.post(PATH, content=body, headers={"Authorization": auth,
                                                                    "Content-Type": "application/json"})
                asked = json.loads(body)["amount"]
                if r.status_code in (200, 201) and r.json()["amount"] == asked and r.json()["txn_id"] == txn_id:
                    ok, fen = ok + 1, fen + asked
                else:
                    refused.append(f"{txn_id}: {r.status_code} {r.text[:200]}")
        return ok, fen, refused


def write_batch(batch: list[tuple[str, int, bytes]], prefix: Path, threads: int) -> None:
    """One request file (NUL-separated raw requests) and one txn-amount file per wrk thread."""
    for t in range(threads):
        mine = batch[t::threads]
        Path(f"{prefix}.{t + 1}.req").write_bytes(b"".join(raw + b"\0" for _txn, _amount, raw in mine))
        Path(f"{prefix}.{t + 1}.amt").write_text("".join(f"{txn} {amount}\n" for txn, amount, _raw in mine))


# Each wrk thread replays its own pre-signed requests once, in order, and checks every 201 against
# the amount its terminal asked for. Requests without a matching 201 (still in flight when wrk
# stopped, or refused) are listed as PENDING for the terminals' retry. Out of requests it sends a
# cheap GET and counts it: the run then fails (the server outran --max-rate).
WRK_SCRIPT = r"""
local threads, made = {}, 0
function setup(thread)
  made = made + 1
  thread:set("tid", made)
  table.insert(threads, thread)
end
function init(args)
  reqs, txns, amounts, pending, i = {}, {}, {}, {}, 0
  ok, fen, mismatched, exhausted, codes, first_error = 0, 0, 0, 0, {}, ""
  local f = assert(io.open(args[1] .. "." .. tid .. ".req", "rb"))
  local data = f:read("*a")
  f:close()
  local pos = 1
  while true do
    local stop = string.find(data, "\0", pos, true)
    if not stop then break end
    reqs[#reqs + 1] = string.sub(data, pos, stop - 1)
    pos = stop + 1
  end
  for line in io.lines(args[1] .. "." .. tid .. ".amt") do
    local txn, amount = string.match(line, "^(%S+) (%d+)$")
    txns[#txns + 1], amounts[txn] = txn, tonumber(amount)
  end
  spare = "GET /card/keys HTTP/1.1\r\nHost: " .. args[2] .. "\r\n\r\n"
end
function request()
  i = i + 1
  if i > #reqs then
    exhausted = exhausted + 1
    return spare
  end
  pending[txns[i]] = true
  return reqs[i]
end
function response(status, headers, body)
  if status == 201 then
    local txn = string.match(body, '"txn_id":"([^"]+)"')
    local amount = tonumber(string.match(body, '"amount":(%d+)'))
    if txn and amount and amounts[txn] == amount then
      ok, fen, amounts[txn], pending[txn] = ok + 1, fen + amount, nil, nil
    else
      mismatched = mismatched + 1
    end
  elseif status ~= 200 or i <= #reqs then
    codes[status] = (codes[status] or 0) + 1
    if first_error == "" then first_error = status .. " " .. string.sub(body, 1, 300) end
  end
end
function done(summary, latency, requests)
  local ok_, fen_, bad_, out_, err_ = 0, 0, 0, 0, ""
  local all = {}
  for _, t in ipairs(threads) do
    ok_, fen_ = ok_ + t:get("ok"), fen_ + t:get("fen")
    bad_, out_ = bad_ + t:get("mismatched"), out_ + t:get("exhausted")
    for code, n in pairs(t:get("codes")) do all[code] = (all[code] or 0) + n end
    if err_ == "" then err_ = t:get("first_error") end
    for txn, _ in pairs(t:get("pending")) do io.write("PENDING " .. txn .. "\n") end
  end
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d %d %.1f %.1f %.1f %.1f\n", ok_, fen_, bad_, out_,
    summary.duration, e.connect + e.read + e.write + e.timeout, summary.requests,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
  for code, n in pairs(all) do io.write(string.format("CODE %s %d\n", code, n)) end
  if err_ ~= "" then io.write("FIRST_ERROR " .. string.gsub(err_, "\n", " ") .. "\n") end
end
"""


def run_wrk(script: Path, prefix: Path, port: int, args: argparse.Namespace, seconds: float) -> dict:
    host = f"127.0.0.1:{port}"
    command = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{seconds:g}s", "--timeout", "10s",
               "-s", str(script), f"http://{host}", "--", str(prefix), host]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    out: dict = {"codes": {}, "first_error": "", "pending": []}
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            v = line.split()[1:]
            out.update(ok=int(v[0]), fen=int(v[1]), mismatched=int(v[2]), exhausted=int(v[3]),
                       seconds=int(v[4]) / 1e6, socket_errors=int(v[5]), requests=int(v[6]),
                       p50=float(v[7]) / 1e3, p95=float(v[8]) / 1e3, p99=float(v[9]) / 1e3, max=float(v[10]) / 1e3)
        elif line.startswith("CODE "):
            _, code, n = line.split()
            out["codes"][code] = int(n)
        elif line.startswith("PENDING "):
            out["pending"].append(line[8:])
        elif line.startswith("FIRST_ERROR "):
            out["first_error"] = line[12:]
    if "ok" not in out:
        raise SystemExit(f"wrk failed: {done.stdout[-500:]} {done.stderr[-500:]}")
    return out


# ---- CPU accounting (why the figure is what it is on a shared machine) -------------------------------


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()


def group_cpu(pgid: int) -> float:
    """CPU seconds of every live process in a process group (granian and its workers)."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (f := _stat(int(entry))) and int(f[2]) == pgid:
            total += (int(f[11]) + int(f[12])) / TICK
    return total


def pids_cpu(pids: list[int]) -> dict[int, float]:
    return {pid: (int(f[11]) + int(f[12])) / TICK for pid in pids if (f := _stat(pid))}


def machine_busy() -> tuple[float, float]:
    """(busy CPU seconds, wall seconds x cores) of the whole machine since boot."""
    v = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]  # guest is in user
    idle = v[3] + v[4]
    return (sum(v) - idle) / TICK, sum(v) / TICK


async def database_backends(url: str) -> list[int]:
    import asyncpg

    conn = await asyncpg.connect(_plain(url))
    try:
        rows = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                "AND pid <> pg_backend_pid()")
        return [r["pid"] for r in rows]
    finally:
        await conn.close()


# ---- --mode http: granian + wrk ---------------------------------------------------------------------


def start_app(port: int, args: argparse.Namespace) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHUSHIDA_")}
    env.update(_card_env(args), PYTHONPATH=str(ROOT))
    command = [GRANIAN, "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(args.workers), "--loop", "uvloop", "--no-access-log", "--log-level", "warning",
               "--factory", "core.app:app_factory"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)


def run_http(args: argparse.Namespace, fixture: dict) -> dict:
    work = Path(tempfile.mkdtemp(prefix="card-bench-", dir=args.var_dir))
    script = work / "debits.lua"
    script.write_text(WRK_SCRIPT)
    port = free_port()
    server = start_app(port, args)
    signer = Signer(fixture, f"127.0.0.1:{port}")
    from citizen_card.qr import get_card_settings

    ttl = get_card_settings().qr_ttl_seconds
    totals = {"ok": 0, "fen": 0, "runs": []}
    try:
        wait_until_up(port, server)
        for run in range(args.runs):
            started = time.monotonic()
            batches = {}
            for phase, seconds in (("warmup", args.warmup), ("measure", args.seconds)):
                if seconds:
                    batches[phase] = work / f"{phase}{run}"
                    write_batch(signer.batch(int(args.max_rate * seconds)), batches[phase], args.threads)
            signing = time.monotonic() - started
            if signing + args.warmup + args.seconds > ttl - 5:
                raise SystemExit(f"signing took {signing:.1f}s: warm-up + window must end before the tokens "
                                 f"expire ({ttl}s); lower --seconds or --max-rate")
            if "warmup" in batches:
                warm = run_wrk(script, batches["warmup"], port, args, args.warmup)
                totals["ok"] += warm["ok"]
                totals["fen"] += warm["fen"]
                settle(signer, port, warm, totals)
            backends = asyncio.run(database_backends(args.env["ZHUSHIDA_DATABASE_URL"]))
            before = (group_cpu(server.pid), pids_cpu(backends), resource.getrusage(resource.RUSAGE_CHILDREN),
                      machine_busy())
            result = run_wrk(script, batches["measure"], port, args, args.seconds)
            after = (group_cpu(server.pid), pids_cpu(backends), resource.getrusage(resource.RUSAGE_CHILDREN),
                     machine_busy())
            result["cpu"] = {
                "app": after[0] - before[0],
                "postgres": sum(after[1].get(p, v) - v for p, v in before[1].items()),
                "wrk": (after[2].ru_utime + after[2].ru_stime) - (before[2].ru_utime + before[2].ru_stime),
                "machine": after[3][0] - before[3][0],
                "capacity": after[3][1] - before[3][1],
            }
            result["load"] = os.getloadavg()[0]
            totals["ok"] += result["ok"]
            totals["fen"] += result["fen"]
            settle(signer, port, result, totals)
            totals["runs"].append(result)
    finally:
        stop(server)
        shutil.rmtree(work, ignore_errors=True)
    return totals


def settle(signer: Signer, port: int, result: dict, totals: dict) -> None:
    """Retry the requests whose answer the load generator did not see, as terminals do."""
    ok, fen, refused = asyncio.run(signer.retry(port, result["pending"]))
    totals["ok"] += ok
    totals["fen"] += fen
    result["retried"], result["retry_refused"] = len(result["pending"]), refused


def report_http(totals: dict, args: argparse.Namespace) -> bool:
    print(f"mode=http granian workers={args.workers} pool/worker={args.pool} wrk -t{args.threads} -c{args.connections} "
          f"cards={args.cards} terminals={args.terminals} window={args.seconds:g}s x {args.runs} "
          f"(warm-up {args.warmup:g}s), {os.cpu_count()} cores")
    clean = True
    for n, r in enumerate(totals["runs"], 1):
        rate = r["ok"] / r["seconds"] if r["seconds"] else 0.0
        cpu = r["cpu"]
        per = {k: cpu[k] / r["ok"] * 1000 if r["ok"] else 0.0 for k in ("app", "postgres", "wrk")}
        others = max(0.0, cpu["machine"] - cpu["app"] - cpu["postgres"] - cpu["wrk"])
        print(f"run {n}: {rate:,.0f} debits/s  ({r['ok']} in {r['seconds']:.1f}s; load average {r['load']:.2f})")
        print(f"   latency ms: p50 {r['p50']:.1f}  p95 {r['p95']:.1f}  p99 {r['p99']:.1f}  max {r['max']:.1f}; "
              f"{r['retried']} in flight at the end, retried (idempotent)")
        print(f"   CPU ms per debit: app {per['app']:.2f}  PostgreSQL backends {per['postgres']:.2f}  "
              f"wrk {per['wrk']:.2f}  | machine busy {cpu['machine'] / r['seconds']:.2f} of "
              f"{cpu['capacity'] / r['seconds']:.0f} cores, of which others {others / r['seconds']:.2f}")
        problems = []
        if r["codes"]:
            problems.append(f"non-201 answers {r['codes']} (first: {r['first_error']})")
        if r["mismatched"]:
            problems.append(f"{r['mismatched']} answers did not match the request")
        if r["socket_errors"]:
            problems.append(f"{r['socket_errors']} socket errors")
        if r["retry_refused"]:
            problems.append(f"retries refused: {r['retry_refused'][:3]}")
        if r["exhausted"]:
            problems.append(f"the pre-signed requests ran out ({r['exhausted']} extra): raise --max-rate")
        for p in problems:
            print("   !", p)
        clean = clean and not problems
    return clean


# ---- --mode service: the debit function in several processes ------------------------------------------


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


async def _service_worker(index: int, args: dict, fixture: dict, barrier) -> dict:
    from citizen_card import debits
    from citizen_card.models import Terminal
    from core import db
    from core.plugins.host import get_host
    from core.settings import get_settings

    settings = get_settings()
    await db.init_db(settings, get_host(settings))
    mine = [t for n, t in enumerate(fixture["terminals"]) if n % args["processes"] == index]
    # Counters never collide: each process owns a band of 10^9 per card (above the http mode's).
    tokens = {c["id"]: _token_factory(c, c["counter"] + (index + 2) * 10**9) for c in fixture["cards"]}
    latencies: list[float] = []
    outcome = {"ok": 0, "refused": 0, "errors": 0, "amount": 0, "codes": {}}
    try:
        term_rows = {t.id: t for t in await Terminal.filter(id__in=[m["id"] for m in mine])}
        await asyncio.to_thread(barrier.wait)  # every process starts its clock together
        deadline = time.monotonic() + args["seconds"]
        outcome["window"] = [time.time(), 0.0]
        cpu = time.process_time()

        async def one_terminal(slot: int) -> None:
            term = mine[slot % len(mine)]
            rng = random.Random(slot * 7919 + index)
            seq = 0
            while time.monotonic() < deadline:
                card = fixture["cards"][rng.randrange(len(fixture["cards"]))]
                amount = rng.randint(1, 500)
                seq += 1
                token = tokens[card["id"]]()
                started = time.perf_counter()
                try:
                    await debits.debit(term_rows[term["id"]], txn_id=f"S{index}-{slot}-{seq}", amount=amount,
                                       qr_token=token)
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
        outcome["cpu"] = time.process_time() - cpu
    finally:
        await db.close_db()
    outcome["latencies"] = latencies
    return outcome


def _service_process(index: int, args: dict, fixture: dict, queue, barrier) -> None:
    try:
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            queue.put(runner.run(_service_worker(index, args, fixture, barrier)))
    except BaseException as exc:  # the parent reports it
        queue.put({"crash": repr(exc)})


def run_service(args: argparse.Namespace, fixture: dict) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    shared = {"processes": args.processes, "concurrency": args.concurrency, "seconds": args.seconds}
    barrier = ctx.Barrier(args.processes, timeout=120)
    procs = [ctx.Process(target=_service_process, args=(i, shared, fixture, queue, barrier))
             for i in range(args.processes)]
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    crashes = [r["crash"] for r in results if "crash" in r]
    if crashes:
        raise SystemExit("worker crashed:\n  " + "\n  ".join(crashes))
    codes: dict[str, int] = {}
    for r in results:
        for code, n in r["codes"].items():
            codes[code] = codes.get(code, 0) + n
    window = max(r["window"][1] for r in results) - min(r["window"][0] for r in results)
    return {"ok": sum(r["ok"] for r in results), "fen": sum(r["amount"] for r in results),
            "cpu": sum(r["cpu"] for r in results),
            "refused": sum(r["refused"] for r in results), "errors": sum(r["errors"] for r in results),
            "codes": codes, "window": window, "latencies": sorted(x for r in results for x in r["latencies"])}


def report_service(totals: dict, args: argparse.Namespace) -> bool:
    print(f"mode=service processes={args.processes} concurrency/process={args.concurrency} cards={args.cards} "
          f"terminals={args.terminals} window={totals['window']:.1f}s, load average {os.getloadavg()[0]:.2f}")
    print(f"debits ok: {totals['ok']}  refused: {totals['refused']}  errors: {totals['errors']}  {totals['codes'] or ''}")
    print(f"throughput: {totals['ok'] / totals['window']:,.0f} debits/s; CPU of the debit processes "
          f"{totals['cpu'] / max(1, totals['ok']) * 1000:.2f} ms per debit (token signing included)")
    if len(totals["latencies"]) > 1:
        q = statistics.quantiles(totals["latencies"], n=100)
        print(f"latency ms: p50 {q[49] * 1000:.1f}  p95 {q[94] * 1000:.1f}  p99 {q[98] * 1000:.1f}")
    return not totals["refused"] and not totals["errors"]


# ---- the proof -----------------------------------------------------------------------------------------


async def verify(fixture: dict, debited: int, succeeded: int) -> list[str]:
    """The ledger to the fen, plus: cards lost = merchants gained = debits recorded = successes seen."""
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
        # This run's merchants only: without --reset the database keeps earlier runs' merchants.
        merchant_ids = await LedgerAccount.filter(merchant_id__in=fixture["merchants"]).values_list("id", flat=True)
        gained = (await Entry.filter(account_id__in=merchant_ids).annotate(s=Sum("amount")).values("s"))[0]["s"] or 0
        recorded = (await Debit.filter(card_id__in=card_ids).annotate(s=Sum("amount")).values("s"))[0]["s"] or 0
        count = await Debit.filter(card_id__in=card_ids).count()
        if not (lost == gained == recorded == debited) or count != succeeded:
            problems.append(f"cards lost {lost}, merchants gained {gained}, debits recorded {recorded} ({count}), "
                            f"successes seen {debited} ({succeeded})")
        # Keep the cards' QR counters ahead of every token the bench signed.
        for card in fixture["cards"]:
            await Card.filter(id=card["id"]).update(qr_counter=card["counter"] + 10**9 * 1000)
        return problems
    finally:
        await db.close_db()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url")
    parser.add_argument("--redis-url", default=os.environ.get("ZHUSHIDA_REDIS_URL"),
                        help="what the app processes share: the nonce store of the other terminal routes, change notifications (required by --mode http)")
    parser.add_argument("--reset", action="store_true", help="drop and recreate the public schema first")
    parser.add_argument("--mode", choices=("http", "service"), default="http")
    parser.add_argument("--cards", type=int, default=4)
    parser.add_argument("--terminals", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10, help="measured window (per run)")
    parser.add_argument("--var-dir", default=str(Path(tempfile.gettempdir()) / "zhushida-bench-card"))
    http = parser.add_argument_group("--mode http")
    http.add_argument("--workers", type=int, default=2, help="granian worker processes")
    http.add_argument("--pool", type=int, default=8, help="PostgreSQL connections per worker (most)")
    http.add_argument("--connections", type=int, default=32, help="terminals in flight (wrk connections)")
    http.add_argument("--threads", type=int, default=1, help="wrk threads")
    http.add_argument("--warmup", type=float, default=2, help="unmeasured seconds before each window")
    http.add_argument("--runs", type=int, default=1, help="measured windows, each with freshly signed requests")
    http.add_argument("--max-rate", type=int, default=2500, help="requests signed per second of window")
    service = parser.add_argument_group("--mode service")
    service.add_argument("--processes", type=int, default=2)
    service.add_argument("--concurrency", type=int, default=16, help="terminals in flight per process")
    args = parser.parse_args(argv)
    if args.mode == "http":
        if not args.redis_url:
            parser.error("--mode http needs Redis (--redis-url or ZHUSHIDA_REDIS_URL): several app processes "
                         "share their nonce store and change notifications there, as in production")
        if shutil.which("wrk") is None:
            parser.error("wrk is not installed (apt-get install -y wrk)")
    if args.seconds + args.warmup > 45 or args.runs > 20 or args.connections > 512 or args.max_rate > 20000:
        parser.error("bounded run: --seconds + --warmup <= 45 (token lifetime), --runs <= 20, --connections <= 512")
    args.env = _card_env(args)
    os.environ.update(args.env)
    Path(args.var_dir).mkdir(parents=True, exist_ok=True)

    fixture = asyncio.run(setup(args))
    totals = run_http(args, fixture) if args.mode == "http" else run_service(args, fixture)
    clean = report_http(totals, args) if args.mode == "http" else report_service(totals, args)
    problems = asyncio.run(verify(fixture, totals["fen"], totals["ok"]))
    print(f"moved {totals['fen']} fen in {totals['ok']} debits{' (warm-up included)' if args.mode == 'http' else ''}; ledger: "
          f"{'balances to the fen, cards lost = merchants gained = debits recorded = successes seen' if not problems else 'DRIFT'}")
    for problem in problems[:20]:
        print("  ", problem)
    return 0 if clean and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
