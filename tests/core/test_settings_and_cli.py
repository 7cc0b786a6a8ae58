"""Settings, secrets and the CLI's promises: help everywhere, one clear line when misconfigured."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from core.cli import main
from core.settings import ConfigurationError, Settings


def test_embedded_generates_secrets_once(tmp_path):
    first = Settings(var_dir=tmp_path, secret_key=None, data_keys=None).ensure_secrets()
    second = Settings(var_dir=tmp_path, secret_key=None, data_keys=None).ensure_secrets()
    assert first.secret_key.get_secret_value() == second.secret_key.get_secret_value()
    assert oct((tmp_path / "secrets.json").stat().st_mode & 0o777) == "0o600"
    assert json.loads((tmp_path / "secrets.json").read_text())["data_keys"].startswith("k1:")


def test_production_refuses_to_start_without_secrets(tmp_path):
    with pytest.raises(ConfigurationError, match="ZHUSHIDA_SECRET_KEY and ZHUSHIDA_DATA_KEYS"):
        Settings(env="production", var_dir=tmp_path, secret_key=None, data_keys=None).ensure_secrets()
    assert not (tmp_path / "secrets.json").exists()


def test_bad_data_keys_are_refused(tmp_path):
    with pytest.raises(ConfigurationError, match="ZHUSHIDA_DATA_KEYS"):
        Settings(var_dir=tmp_path, secret_key="x" * 40, data_keys="k1:short").ensure_secrets()


def test_defaults():
    s = Settings(_env_file=None, database_url=None, sandbox_url=None, plugins_disabled="a, b")
    assert s.plugins_disabled == ["a", "b"]
    assert s.effective_database_url.startswith("sqlite://")
    assert s.sandbox_enabled and not Settings(env="production").sandbox_enabled


@pytest.mark.parametrize(
    "args",
    [[], ["serve"], ["worker"], ["beat"], ["db"], ["db", "upgrade"], ["seed", "demo"], ["plugins", "list"],
     ["plugins", "check"], ["sandbox"]],
)
def test_every_command_has_help(args):
    result = CliRunner().invoke(main, [*args, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def _run_cli(args: list[str], env: dict[str, str], tmp_path) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ZHUSHIDA_")}
    clean.update({"ZHUSHIDA_VAR_DIR": str(tmp_path), **env})
    return subprocess.run([sys.executable, "-m", "core.cli", *args], env=clean, capture_output=True, text=True, timeout=60)


def test_production_start_without_secrets_is_one_line(tmp_path):
    result = _run_cli(["serve", "--port", "1"], {"ZHUSHIDA_ENV": "production"}, tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "zhushida: production start refused: set ZHUSHIDA_SECRET_KEY and ZHUSHIDA_DATA_KEYS (see docs/configuration.md)"
    ]


def test_unreachable_database_is_one_line(tmp_path):
    env = {
        "ZHUSHIDA_ENV": "production",
        "ZHUSHIDA_SECRET_KEY": "s" * 48,
        "ZHUSHIDA_DATA_KEYS": "k1:" + "A" * 43 + "=",
        "ZHUSHIDA_DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
    }
    result = _run_cli(["serve", "--port", "1"], env, tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("zhushida: database unreachable (127.0.0.1:1/none)")
