"""``zhushida card ...`` in a process of its own, on a fresh embedded database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ZHUSHIDA = str(Path(sys.executable).with_name("zhushida"))


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHUSHIDA_")}
    env.update(ZHUSHIDA_VAR_DIR=str(tmp_path), ZHUSHIDA_DATABASE_URL=f"sqlite://{tmp_path / 'cli.sqlite3'}")
    return subprocess.run([ZHUSHIDA, *args], env=env, capture_output=True, text=True, timeout=120)


def test_card_cli_keys_merchants_terminals_ledger(tmp_path):
    seed = _run(tmp_path, "card", "new-qr-seed")
    assert seed.returncode == 0 and "kid" in seed.stdout
    assert _run(tmp_path, "db", "upgrade").returncode == 0
    bad = _run(tmp_path, "card", "add-merchant", "小卖部", "91430200MA4L16XK2X")
    assert bad.returncode != 0 and "card.merchant.credit_code_invalid" in bad.stderr
    merchant = _run(tmp_path, "card", "add-merchant", "小卖部", "91430200MA4L16XK26")
    assert merchant.returncode == 0, merchant.stderr
    terminal = _run(tmp_path, "card", "add-terminal", merchant.stdout.split()[1], "POS 1")
    assert terminal.returncode == 0 and "secret=" in terminal.stdout, terminal.stderr
    first = _run(tmp_path, "card", "rotate-local-qr-key")
    second = _run(tmp_path, "card", "rotate-local-qr-key")
    assert first.returncode == 0 and first.stdout != second.stdout
    check = _run(tmp_path, "card", "check-ledger")
    assert check.returncode == 0 and "balances to the fen" in check.stdout
