"""A department's own distribution (examples/utility_bills) installs with pip into this environment
and loads through its entry point, with no change to the platform: checked, migrated on this run's
backend, fed, and used through HTTP — a citizen pays a bill through the payment platform.

The session that runs this file started before the install, so its plugin host may not know the
plugin. The journey therefore runs in a child pytest session (started after the install, so its host
loads the plugin from the entry point) on a database of its own: a PostgreSQL database created next
to the run's and dropped afterwards on the services pass, a SQLite file embedded. The child's functions
are named ``journey_*`` so only the child collects them (``-o python_functions=journey_*``).
"""

from __future__ import annotations

import asyncio
import csv
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.conftest import BACKEND

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "utility_bills"
BIN = Path(sys.executable).parent


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def zhushida(*args: str | Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return run(str(BIN / "zhushida"), *map(str, args), env=env)


def install() -> None:
    done = run(str(BIN / "pip"), "install", "-q", "--no-deps", str(EXAMPLE))
    assert done.returncode == 0, done.stderr


async def _admin(url: str, statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture
def own_database_url(tmp_path, settings):
    """A database only this test uses, on the run's backend."""
    if BACKEND != "services":
        yield f"sqlite://{tmp_path / 'utility_bills.sqlite3'}"
        return
    run_url = urlsplit(settings.effective_database_url)
    name = f"{run_url.path.lstrip('/')}_utility_bills_{os.getpid()}"
    own = urlunsplit(run_url._replace(path=f"/{name}"))
    asyncio.run(_admin(settings.effective_database_url, f'DROP DATABASE IF EXISTS "{name}"'))
    asyncio.run(_admin(settings.effective_database_url, f'CREATE DATABASE "{name}"'))
    try:
        yield own
    finally:
        asyncio.run(_admin(settings.effective_database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_installs_loads_migrates_and_serves_a_citizen(tmp_path, own_database_url):
    install()
    install()  # a second install of the same version changes nothing
    loaded = run(sys.executable, "-c", (
        "from core.plugins.host import PluginHost; from core.settings import get_settings; "
        "h = PluginHost(get_settings()).load_entry_points(); r = h.records['utility_bills']; "
        "print(r.state, r.distribution, r.version, ','.join(r.hooks))"))
    assert loaded.returncode == 0, loaded.stderr
    state, dist, version, hooks = loaded.stdout.split()
    assert (state, dist, version) == ("enabled", "zhuzhou-utility-bills", "1.0.0")
    assert {"zhushida_models", "zhushida_feeds", "zhushida_routes", "zhushida_payment_purposes"} <= set(hooks.split(","))

    check = zhushida("plugins", "check", "utility_bills")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "tables of utility_bills start with 'ub_'" in check.stdout

    env = {"ZHUSHIDA_DATABASE_URL": own_database_url, "ZHUSHIDA_VAR_DIR": str(tmp_path / "var")}
    upgraded = zhushida("db", "upgrade", env=env)
    assert upgraded.returncode == 0 and "applied utility_bills.0001_initial" in upgraded.stdout, upgraded.stderr
    # The journey, in a session whose host loaded the plugin. Its tasks run in its own process: a
    # second Celery worker on this run's broker would take this run's tasks (and they its).
    child_env = {k: v for k, v in os.environ.items() if k not in ("ZHUSHIDA_BROKER_URL", "ZHUSHIDA_SANDBOX_URL",
                                                                  "PYTEST_CURRENT_TEST", "PYTEST_ADDOPTS")}
    child = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "python_functions=journey_*",
         f"--basetemp={tmp_path / 'child'}", str(Path(__file__).relative_to(ROOT))],
        cwd=ROOT, capture_output=True, text=True, timeout=600, env={**child_env, **env})
    assert child.returncode == 0, child.stdout[-6000:] + child.stderr[-3000:]
    assert "1 passed" in child.stdout, child.stdout[-3000:]


# ---- the child session ----------------------------------------------------------------------------

async def journey_a_citizen_sees_and_pays_a_utility_bill_once(client, settings, tmp_path):
    from zhuzhou_utility_bills.models import Bill, Household

    from core.db import dialect
    from payments.models import Notification, Order, OrderEvent
    from tests.payments.support import deliver, sandbox
    from tests.support.auth import make_citizen

    assert dialect() == ("postgres" if BACKEND == "services" else "sqlite")  # the run's backend
    alice, bob = await make_citizen(), await make_citizen()

    # The companies' exports, loaded the way a department loads them; alice holds the first household.
    households, bills = tmp_path / "households.csv", tmp_path / "bills.jsonl"
    assert zhushida("feeds", "generate", "utility_bills", "households", households, "--rows", "30").returncode == 0
    with households.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    rows[0]["id_number"] = alice.id_number
    with households.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert zhushida("feeds", "generate", "utility_bills", "bills", bills, "--rows", "90", "--format", "jsonl").returncode == 0
    for feed, path, expected in (("households", households, "30 rows read: 30 inserted"),
                                 ("bills", bills, "90 rows read: 90 inserted")):
        done = zhushida("feeds", "import", "utility_bills", feed, path, "--no-progress")
        assert done.returncode == 0 and expected in done.stdout, done.stdout + done.stderr
    assert (await Household.all().count(), await Bill.all().count()) == (30, 90)

    # The plugin's route: each citizen sees only their own households' bills.
    assert (await client.get("/plugins/utility_bills/bills")).status_code == 401
    r = await client.get("/plugins/utility_bills/bills", headers=alice.headers)
    assert r.status_code == 200, r.text
    [household] = r.json()["households"]
    assert household["household_no"] == rows[0]["household_no"] and household["utility"] == rows[0]["utility"]
    assert len(household["bills"]) == 6 and not any(b["paid"] for b in household["bills"])
    bill = await Bill.get(id=household["bills"][0]["id"])
    assert household["bills"][0]["amount_fen"] == bill.amount_fen
    r = await client.get("/plugins/utility_bills/bills", headers=bob.headers)
    assert r.status_code == 200 and r.json()["households"] == []

    # Paying it: the purpose quotes the amount (never the client); another citizen cannot pay it.
    order = {"purpose_kind": "utility_bill", "purpose_ref": str(bill.id)}
    r = await client.post("/payments/orders", headers=bob.headers, json={**order, "client_key": "ub-bob-0001"})
    assert r.status_code == 404 and r.json()["code"] == "utility_bills.bill_not_found", r.text
    r = await client.post("/payments/orders", headers=alice.headers, json={**order, "client_key": "ub-alice-0001"})
    assert r.status_code == 201, r.text
    order_no = r.json()["order_no"]
    assert r.json()["amount_fen"] == bill.amount_fen
    same = await client.post("/payments/orders", headers=alice.headers, json={**order, "client_key": "ub-alice-0003"})
    assert same.status_code == 201 and same.json()["order_no"] == order_no  # one open order per bill
    assert (await sandbox(settings, "POST", "/wechatpay/_dev/config", json={"deliver": False, "reset": True})).status_code == 200
    r = await client.post(f"/payments/orders/{order_no}/pay", headers=alice.headers,
                          json={"channel": "wechatpay", "method": "jsapi", "openid": "o_test_openid_1"})
    assert r.status_code == 200, r.text
    paid = await sandbox(settings, "POST", "/wechatpay/_dev/pay", json={"out_trade_no": order_no})
    assert paid.status_code == 200, paid.text
    note = paid.json()["notification"]

    # WeChat Pay's notification, twice at once and once more: the bill is paid once.
    answers = await asyncio.gather(deliver(client, "wechatpay", note), deliver(client, "wechatpay", note))
    answers.append(await deliver(client, "wechatpay", note))
    assert [a.status_code for a in answers] == [200, 200, 200], [a.text for a in answers]
    row = await Order.get(order_no=order_no)
    assert row.state == "paid" and row.paid_amount_fen == bill.amount_fen and row.fulfilled_at is not None
    assert await OrderEvent.filter(order_id=row.id, to_state="paid").count() == 1
    outcomes = sorted(await Notification.filter(order_no=order_no).values_list("outcome", flat=True))
    assert outcomes == ["applied", "duplicate", "duplicate"]
    bill = await Bill.get(id=bill.id)
    assert bill.paid_order_no == order_no and bill.paid_at is not None
    assert await Bill.exclude(paid_order_no=None).count() == 1

    r = await client.get("/plugins/utility_bills/bills", headers=alice.headers)
    assert [b["paid"] for b in r.json()["households"][0]["bills"]] == [True, False, False, False, False, False]
    again = await client.post("/payments/orders", headers=alice.headers, json={**order, "client_key": "ub-alice-0002"})
    assert again.status_code == 409 and again.json()["code"] == "utility_bills.already_paid", again.text
