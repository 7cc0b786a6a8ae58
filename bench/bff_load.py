"""Load benchmark of the BFF on PostgreSQL + Redis with several app processes, against a bare
Litestar hello-world served the same way, in one run.

    .venv/bin/python bench/bff_load.py \
        --database-url "postgres://postgres@127.0.0.1:5432/zhushida_bench?minsize=2&maxsize=20" \
        --redis-url redis://127.0.0.1:6379/14 [--workers 2] [--seconds 10] [--connections 32]

What it does, all on loopback and bounded in time:

1. resets the given database (it must be a dedicated one: its ``public`` schema is dropped) and
   the ``zhushida`` keys of the given Redis database, applies the migrations, seeds the Zhuzhou
   regions, switches every declared item and bundle on for the city, and opens sessions for
   ``--users`` citizens spread over the counties (their tokens go to a file for the load tool);
2. starts the app (``core.app:app_factory``) and the hello-world (``bench/hello_app.py``) under
   granian with the same worker count and event loop;
3. drives each endpoint with ``wrk`` (a separate C process; ``apt-get install -y wrk``), each
   request as a random one of the signed-in users: hello-world, home, catalogue, service detail,
   case list — an endpoint the app does not serve yet is reported as skipped. Each is warmed up
   in short windows until two agree (home answers are kept per session in each app process:
   the first requests build them), then measured;
4. prints requests/s, p50 and p99 per endpoint, non-2xx answers, the warm-up rates, home's first
   (cold) window, and home / hello-world.

Target (issue 9): home >= 40% of hello-world requests/s with p99 < 50 ms on a 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
GRANIAN = str(Path(PYTHON).with_name("granian"))
CITY = "430200000000"

WRK_SCRIPT = r"""
local tokens, paths = {}, {}
init = function(args)
  for line in io.lines(args[1]) do tokens[#tokens + 1] = line end
  for i = 2, #args do paths[#paths + 1] = args[i] end
  math.randomseed(os.time() * 1000 + math.floor(os.clock() * 1000000))
end
request = function()
  local headers = {}
  if #tokens > 0 and tokens[1] ~= "-" then
    headers["Authorization"] = "Bearer " .. tokens[math.random(#tokens)]
  end
  return wrk.format("GET", paths[math.random(#paths)], headers)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %.1f %.1f %.1f\n", summary.requests, summary.duration,
    e.status, e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(99),
    latency.mean))
end
"""


@dataclass
class Result:
    name: str
    requests: int = 0
    seconds: float = 0.0
    non_2xx: int = 0
    socket_errors: int = 0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    skipped: str = ""
    warmup: list[float] = field(default_factory=list)  # req/s of each warm-up window
    first: Result | None = None  # the first warm-up window: cold caches

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env(args: argparse.Namespace) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHUSHIDA_")}
    env.update({
        "ZHUSHIDA_DATABASE_URL": args.database_url,
        "ZHUSHIDA_REDIS_URL": args.redis_url,
        "ZHUSHIDA_VAR_DIR": args.var_dir,
        "ZHUSHIDA_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    })
    if args.broker_url:
        env["ZHUSHIDA_BROKER_URL"] = args.broker_url
    return env


# ---- 1. data ---------------------------------------------------------------------------------------


async def seed(args: argparse.Namespace) -> dict[str, list[str]]:
    """Fresh schema, regions, every service on for the city, ``args.users`` signed-in citizens."""
    import asyncpg

    from core import db, tasks
    from core.identity import accounts, sessions
    from core.identity.models import Account, Region
    from core.identity.seed import seed_zhuzhou_regions
    from core.plugins.host import get_host
    from core.settings import get_settings
    from core.stores import get_stores

    settings, host = get_settings(), get_host()
    conn = await asyncpg.connect(args.database_url.split("?")[0].replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()
    await get_stores().clear_all()
    await db.upgrade(settings, host)
    await db.init_db(settings, host)
    try:
        await seed_zhuzhou_regions()
        counties = [r.code for r in await Region.filter(level="county")] or [CITY]
        codes = await enable_everything()
        tokens: list[str] = []
        cases = 0
        for n in range(args.users):
            # No phone: the "application received" messages of the seeding stay in the app's inbox
            # (no SMS gateway runs in this process; deliveries would fail and retry).
            account = Account(level=2, home_region_code=random.choice(counties))
            accounts.set_name(account, "测试用户")
            accounts.set_id_number(account, resident_id(n))
            await account.save()
            principal = accounts.citizen_principal(account, channel="app")
            tokens.append((await sessions.open_session(principal)).access_token)
            cases += await apply_some(principal, args.cases_per_user)
        await tasks.drain()  # the seeding's own background work, before the pool closes
        print(f"seeded {args.users} citizens with {cases} cases", flush=True)
        return {"tokens": tokens, "codes": codes}
    finally:
        await db.close_db()


def resident_id(n: int) -> str:
    """A valid resident ID (GB 11643 check digit) per benchmark citizen."""
    from stdnum.cn import ric

    body = f"43028119900101{n % 1000:03d}" if n < 1000 else f"4302211{950 + n // 1000 % 40}0101{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


# Forms the seeded citizens apply with, for whichever of these items the plugins declare (the
# social-security items need nothing but the applicant and one answer).
SAMPLE_FORMS = {
    "社会保险参保证明开具": {"proof_use": "housing"},
    "参保人员联系方式变更": {"new_phone": "13900001234"},
}


async def apply_some(principal, per_user: int) -> int:
    """Real applications through the case engine, so "my cases" lists real rows."""
    from core.cases import api as cases
    from core.catalogue.registry import get_registry

    items = [(item, SAMPLE_FORMS[item.name]) for item in get_registry().items.values() if item.name in SAMPLE_FORMS]
    made = 0
    for i in range(per_user if items else 0):
        item, form = items[i % len(items)]
        await cases.submit(principal, item.code, region_code=principal.region_code, form=dict(form), channel="app")
        made += 1
    return made


async def enable_everything() -> list[str]:
    from core.catalogue.models import Enablement
    from core.catalogue.registry import get_registry

    registry = get_registry()
    codes = [*registry.items, *registry.bundles]
    for code in codes:
        await Enablement.create(item_code=code, region_code=CITY, channel="*", enabled=True)
    return list(registry.items)


# ---- 2. servers ------------------------------------------------------------------------------------


def start_server(target: str, port: int, args: argparse.Namespace, env: dict[str, str], factory: bool) -> subprocess.Popen:
    command = [GRANIAN, "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(args.workers), "--loop", args.loop, "--no-access-log", "--log-level", "warning"]
    if factory:
        command.append("--factory")
    command.append(target)
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)


def wait_until_up(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server on port {port} exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            return
        except urllib.error.HTTPError:
            return  # it answers (404 at / is fine)
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not start within {timeout:.0f}s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def probe(port: int, path: str, token: str | None) -> tuple[int, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")[:300]


# ---- 3. load ---------------------------------------------------------------------------------------


def _wrk(command: list[str], seconds: int) -> Result | str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        return f"wrk failed: {done.stderr.strip()[:200]}"
    requests, micros, status, sock, p50, p99, _mean = line.split()[1:]
    return Result("", int(requests), int(micros) / 1e6, int(status), int(sock), float(p50) / 1000, float(p99) / 1000)


def run_wrk(name: str, port: int, paths: list[str], token_file: str, args: argparse.Namespace, script: str) -> Result:
    """Warm up until two windows in a row agree (the app's caches are filled: each app process
    builds each user's answers once), then measure one window."""
    command = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{args.seconds}s",
               "--timeout", "5s", "-s", script, f"http://127.0.0.1:{port}", "--", token_file, *paths]
    warm = [*command]
    warm[warm.index("-d") + 1] = f"{args.warmup}s"
    rates: list[float] = []
    first: Result | None = None
    for _ in range(args.max_warmups):
        window = _wrk(warm, args.warmup)
        if isinstance(window, str):
            return Result(name, skipped=window)
        first = first or window
        rates.append(window.rps)
        if len(rates) >= 2 and abs(rates[-1] - rates[-2]) <= 0.15 * max(rates[-1], rates[-2]):
            break
    measured = _wrk(command, args.seconds)
    if isinstance(measured, str):
        return Result(name, skipped=measured)
    measured.name = name
    measured.warmup = rates
    measured.first = first
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("ZHUSHIDA_BENCH_DATABASE_URL",
                                                                 "postgres://postgres@127.0.0.1:5432/zhushida_bench"))
    parser.add_argument("--redis-url", default=os.environ.get("ZHUSHIDA_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"))
    parser.add_argument("--broker-url", default=None, help="optional; without it tasks run in the app processes")
    parser.add_argument("--workers", type=int, default=2, help="app processes (granian workers)")
    parser.add_argument("--loop", default="uvloop", choices=["uvloop", "asyncio"])
    parser.add_argument("--users", type=int, default=200, help="signed-in citizens the requests rotate over")
    parser.add_argument("--cases-per-user", type=int, default=3, help="applications each seeded citizen has made")
    parser.add_argument("--seconds", type=int, default=10, help="measured seconds per endpoint")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of each unmeasured warm-up window")
    parser.add_argument("--max-warmups", type=int, default=8,
                        help="warm-up windows at most; warming stops when two in a row agree within 15%%")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (the load tool's share of the cores)")
    parser.add_argument("--channel", default="app", choices=["app", "miniapp"])
    args = parser.parse_args()
    if args.seconds > 120 or args.users > 20000 or args.connections > 512 or args.cases_per_user > 50 \
            or args.warmup > 30 or args.max_warmups > 20:
        parser.error("bounded run: --seconds <= 120, --users <= 20000, --connections <= 512, --cases-per-user <= 50, "
                     "--warmup <= 30, --max-warmups <= 20")
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `apt-get install -y wrk` (Debian/Ubuntu), then run again")

    args.var_dir = tempfile.mkdtemp(prefix="zhushida-bench-")
    env = app_env(args)
    os.environ.update({k: v for k, v in env.items() if k.startswith("ZHUSHIDA_")})
    sys.path.insert(0, str(ROOT))
    print(f"seeding {args.users} citizens on {args.database_url.split('@')[-1]} + {args.redis_url.split('@')[-1]} ...", flush=True)
    data = asyncio.run(seed(args))
    token_file = Path(args.var_dir) / "tokens.txt"
    token_file.write_text("\n".join(data["tokens"]) + "\n")
    anonymous = Path(args.var_dir) / "anonymous.txt"
    anonymous.write_text("-\n")
    script = Path(args.var_dir) / "mix.lua"
    script.write_text(WRK_SCRIPT)

    app_port, hello_port = free_port(), free_port()
    app = start_server("core.app:app_factory", app_port, args, env, factory=True)
    hello = start_server("bench.hello_app:app", hello_port, args, env, factory=False)
    results: list[Result] = []
    try:
        wait_until_up(app_port, app)
        wait_until_up(hello_port, hello)
        ch = args.channel
        endpoints = [
            ("home", [f"/bff/{ch}/home"]),
            ("catalogue", [f"/bff/{ch}/catalogue"]),
            ("service detail", [f"/bff/{ch}/services/{code}" for code in data["codes"][:20]]),
            ("case list", [f"/bff/{ch}/cases"]),
        ]
        results.append(run_wrk("hello-world", hello_port, ["/"], str(anonymous), args, str(script)))
        for name, paths in endpoints:
            if not paths:
                results.append(Result(name, skipped="no service is declared by any plugin"))
                continue
            status, body = probe(app_port, paths[0], data["tokens"][0])
            if status != 200:
                results.append(Result(name, skipped=f"{paths[0]} answers {status} {body[:120]}"))
                continue
            results.append(run_wrk(name, app_port, paths, str(token_file), args, str(script)))
    finally:
        stop(app)
        stop(hello)
    report(results, args, len(data["codes"]))


def report(results: list[Result], args: argparse.Namespace, services: int) -> None:
    print(f"\ngranian x{args.workers} workers ({args.loop}), wrk -t{args.threads} -c{args.connections}, "
          f"{args.seconds}s per endpoint, {args.users} users, {services} services declared, {os.cpu_count()} cores")
    print(f"{'endpoint':<16}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>10}{'sock err':>10}")
    for r in results:
        if r.skipped:
            print(f"{r.name:<16}  skipped: {r.skipped}")
        else:
            print(f"{r.name:<16}{r.rps:>10.0f}{r.p50_ms:>10.2f}{r.p99_ms:>10.2f}{r.non_2xx:>10}{r.socket_errors:>10}"
                  f"   warm-up req/s: {' '.join(f'{rate:.0f}' for rate in r.warmup)}")
    cold = next((r.first for r in results if r.name == "home" and r.first), None)
    if cold:
        print(f"home, first {args.warmup}s from cold (every answer built once per app process): "
              f"{cold.rps:.0f} req/s, p50 {cold.p50_ms:.1f} ms, p99 {cold.p99_ms:.1f} ms")
    by_name = {r.name: r for r in results if not r.skipped}
    hello, home = by_name.get("hello-world"), by_name.get("home")
    if hello and home and hello.rps:
        ratio = home.rps / hello.rps
        ok = ratio >= 0.40 and home.p99_ms < 50 and home.non_2xx == 0
        print(f"\nhome / hello-world = {ratio:.1%} (target >= 40%), home p99 {home.p99_ms:.1f} ms (target < 50 ms): "
              f"{'MET' if ok else 'NOT MET'}")


if __name__ == "__main__":
    main()
