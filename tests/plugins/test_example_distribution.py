"""A department's own distribution (examples/utility_bills) installs with pip into this environment
and loads through its entry point, with no change to the platform: checked, migrated, fed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "utility_bills"
BIN = Path(sys.executable).parent


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def install() -> None:
    done = run(str(BIN / "pip"), "install", "-q", "--no-deps", str(EXAMPLE))
    assert done.returncode == 0, done.stderr


def test_installs_idempotently_and_loads_through_its_entry_point(tmp_path):
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

    check = run(str(BIN / "zhushida"), "plugins", "check", "utility_bills")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "tables of utility_bills start with 'ub_'" in check.stdout

    env = {"ZHUSHIDA_DATABASE_URL": f"sqlite://{tmp_path / 'db.sqlite3'}", "ZHUSHIDA_VAR_DIR": str(tmp_path)}
    upgraded = run(str(BIN / "zhushida"), "db", "upgrade", env=env)
    assert upgraded.returncode == 0 and "applied utility_bills.0001_initial" in upgraded.stdout, upgraded.stderr
    households, bills = tmp_path / "households.csv", tmp_path / "bills.jsonl"
    assert run(str(BIN / "zhushida"), "feeds", "generate", "utility_bills", "households", str(households),
               "--rows", "30", env=env).returncode == 0
    assert run(str(BIN / "zhushida"), "feeds", "generate", "utility_bills", "bills", str(bills), "--rows", "90",
               "--format", "jsonl", env=env).returncode == 0
    for feed, path, expected in (("households", households, "30 rows read: 30 inserted"),
                                 ("bills", bills, "90 rows read: 90 inserted")):
        done = run(str(BIN / "zhushida"), "feeds", "import", "utility_bills", feed, str(path), "--no-progress", env=env)
        assert done.returncode == 0 and expected in done.stdout, done.stdout + done.stderr
