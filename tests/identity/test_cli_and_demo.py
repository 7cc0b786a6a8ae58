"""The identity CLI (region import with progress, population import, seed demo) in a real
subprocess, and the demo data working through the HTTP API."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from core.identity.demo import (
    DEFAULT_DEMO_PASSWORD,
    DEMO_CITIZEN,
    DEMO_ENTERPRISE,
    POPULATION,
    seed_demo,
)
from core.identity.models import Account, Department, Region, StaffUser
from tests.identity.conftest import bearer, sms_login

ROOT = Path(__file__).resolve().parents[2]


def zhushida(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHUSHIDA_")}
    env.update(
        ZHUSHIDA_VAR_DIR=str(tmp_path / "var"),
        ZHUSHIDA_DATABASE_URL=f"sqlite://{tmp_path / 'cli.sqlite3'}",
    )
    if os.environ.get("ZHUSHIDA_PLUGINS_DISABLED"):
        env["ZHUSHIDA_PLUGINS_DISABLED"] = os.environ["ZHUSHIDA_PLUGINS_DISABLED"]
    return subprocess.run(
        [str(Path(sys.executable).parent / "zhushida"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_regions_population_and_demo(tmp_path):
    assert zhushida(tmp_path, "db", "upgrade").returncode == 0
    seeded = zhushida(tmp_path, "seed", "demo")
    assert seeded.returncode == 0, seeded.stderr
    assert "seeded core.identity" in seeded.stdout
    assert zhushida(tmp_path, "seed", "demo").returncode == 0  # idempotent
    csv = tmp_path / "regions.csv"
    lines = (
        ["code,name"]
        + [f"430281006{n:03d},第{n}村" for n in range(1, 301)]
        + ["430281006000,示范街道"]
    )
    csv.write_text("\n".join(lines), encoding="utf-8")
    imported = zhushida(tmp_path, "regions", "import", str(csv))
    assert imported.returncode == 0, imported.stderr
    assert "301 rows: 301 new" in imported.stdout and "village 300" in imported.stdout
    assert "301/301" in imported.stderr  # tqdm's progress bar
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name\n430281007000,好\n12,坏\n", encoding="utf-8")
    refused = zhushida(tmp_path, "regions", "import", str(bad))
    assert (
        refused.returncode != 0
        and "nothing imported" in refused.stderr
        and "line 3" in refused.stderr
    )
    people = tmp_path / "people.csv"
    people.write_text(f"name,id_number\n{POPULATION[1][0]},{POPULATION[1][1]}\n", encoding="utf-8")
    loaded = zhushida(tmp_path, "identity", "population-import", str(people))
    assert loaded.returncode == 0 and "1 people loaded" in loaded.stdout, loaded.stderr
    people.write_text("name,id_number\n张三,430281199001011230\n", encoding="utf-8")
    rejected = zhushida(tmp_path, "identity", "population-import", str(people))
    assert rejected.returncode != 0 and "identity.id_number_invalid" in rejected.stderr
    rotated = zhushida(tmp_path, "identity", "rotate-keys")
    assert rotated.returncode == 0 and "identity_account: 0" in rotated.stdout


async def test_demo_data_works_through_the_api(client, phone):
    await seed_demo()
    await seed_demo()
    assert await Region.filter(parent_code="430200000000").count() == 9
    assert await Department.filter(code__in=["RSJ", "GJJ", "BDC"]).count() == 3
    assert await Account.all().count() == 1 and await StaffUser.filter(kind="operator").count() == 3
    citizen = await sms_login(client, phone, DEMO_CITIZEN["phone"])
    assert citizen["created"] is False and citizen["account"]["level"] == 2
    assert citizen["account"]["home_region_code"] == DEMO_CITIZEN["region"]
    claimed = await client.post(
        "/identity/enterprises",
        json={"uscc": DEMO_ENTERPRISE["uscc"]},
        headers=bearer(citizen["access_token"]),
    )
    assert claimed.status_code == 201, claimed.text
    staff = await client.post(
        "/identity/staff/login",
        json={"username": "liling.operator", "password": DEFAULT_DEMO_PASSWORD},
    )
    assert staff.status_code == 200 and staff.json()["user"]["region_code"] == "430281000000"
    # A register person can reach level 2 from scratch.
    name, number, _region, _alive = POPULATION[1]
    fresh = await sms_login(client, phone, "13800005678")
    verified = await client.post(
        "/identity/verify/id",
        json={"name": name, "id_number": number},
        headers=bearer(fresh["access_token"]),
    )
    assert verified.status_code == 200 and verified.json()["account"]["level"] == 2
