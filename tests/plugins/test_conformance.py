"""Every department plugin of this area passes the conformance kit (`zhushida plugins check`), and the
kit's boundary check tells public imports of the platform from internal ones."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.plugins.conformance import check_plugin

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["social_security", "provident_fund", "real_estate", "core.feeds"])
async def test_plugin_passes_the_conformance_kit(settings, name):
    report = await check_plugin(settings, name)
    assert report.ok, "\n".join(report.lines())
    checks = {check for _ok, check, _detail in report.results}
    assert any(check.startswith("migrations package") for check in checks)


# ---- the boundary: only the hook contract and the platform's public surfaces -----------------------

PLUGIN_MODULE = '''
from core.hooks import Routes, hookimpl

ZHUSHIDA_CONTRACT = "1"


@hookimpl
def zhushida_routes(settings):
    from {package}.routes import ROUTES

    return Routes(ROUTES)
'''
GOOD_ROUTES = '''
import json

import core.hooks
from core import errors
from core.auth import principal_of, requires
from core.catalogue.api import standard_workflow
from core.cases import api as cases
from core.db import on_commit, transaction
from core.feeds import FeedSpec, pii
from litestar import Request, get

from . import helpers
from {package}.helpers import KIND


@get("/ping", guards=[requires("citizen")])
async def ping(request: Request) -> dict:
    from core.identity import api as identity

    return {{"ok": json.dumps(KIND)}}


ROUTES = [ping]
'''
BAD_ROUTES = '''
import core.db
import core.identity.accounts
from core import db, errors
from core.cases import api, engine
from core.db import transaction, truncate_all
from litestar import get

from plugins.real_estate import service


@get("/ping")
async def ping() -> dict:
    from core.cases.models import Case
    from core.models import AuditEvent

    return {{}}


ROUTES = [ping]
'''
BAD_FINDINGS = [
    ("routes.py", 2, "core.db", "import the names: from core.db import on_commit, transaction"),
    ("routes.py", 3, "core.identity.accounts", "not a public surface of the platform"),
    ("routes.py", 4, "core.db", "import the names: from core.db import on_commit, transaction"),
    ("routes.py", 5, "core.cases.engine", "not a public surface of the platform"),
    ("routes.py", 6, "core.db.truncate_all", "core.db offers plugins only on_commit, transaction"),
    ("routes.py", 9, "plugins.real_estate.service", "another plugin (plugins.real_estate): plugins never import each other"),
    ("routes.py", 14, "core.cases.models.Case", "not a public surface of the platform"),
    ("routes.py", 15, "core.models.AuditEvent", "not a public surface of the platform"),
]


def write_plugin(root: Path, package: str, routes: str) -> str:
    (root / package).mkdir()
    (root / package / "__init__.py").write_text("")
    (root / package / "helpers.py").write_text('KIND = "fixture"\n')
    (root / package / "plugin.py").write_text(PLUGIN_MODULE.format(package=package))
    (root / package / "routes.py").write_text(routes.format(package=package))
    return f"{package}.plugin"


@pytest.fixture
def fixture_plugins(tmp_path, monkeypatch):
    """A plugin that keeps to the public surfaces and one that does not (fresh names per test)."""
    suffix = tmp_path.name.replace("-", "_")
    monkeypatch.syspath_prepend(str(tmp_path))
    good = write_plugin(tmp_path, f"dept_good_{suffix}", GOOD_ROUTES)
    bad = write_plugin(tmp_path, f"dept_bad_{suffix}", BAD_ROUTES)
    return tmp_path, good, bad


async def test_the_boundary_check_passes_public_imports_and_lists_every_internal_one(settings, fixture_plugins,
                                                                                     monkeypatch):
    from core.plugins import conformance

    _root, good, bad = fixture_plugins
    monkeypatch.setattr(conformance, "BOUNDARY_ENFORCED", False)
    check = "imports only the hook contract and the platform's public surfaces"
    report = await conformance.check_plugin(settings, good)
    assert report.ok and not report.warnings, "\n".join(report.lines())
    assert (True, check, "") in report.results

    found = conformance.foreign_imports(bad.rpartition(".")[0], ("plugins.real_estate",))
    assert [(f.path, f.line, f.imported, f.reason) for f in found] == BAD_FINDINGS
    # Report-only: every finding is a warning and the kit still passes.
    report = await conformance.check_plugin(settings, bad)
    assert report.ok, "\n".join(report.lines())
    assert [detail for _check, detail in report.warnings] == [str(f) for f in found]
    assert report.lines()[-1].endswith(f"0 failed, {len(found)} warnings")


async def test_an_enforced_boundary_fails_the_kit(settings, fixture_plugins, monkeypatch):
    from core.plugins import conformance

    _root, good, bad = fixture_plugins
    monkeypatch.setattr(conformance, "BOUNDARY_ENFORCED", True)
    assert (await conformance.check_plugin(settings, good)).ok
    report = await conformance.check_plugin(settings, bad)
    assert not report.ok and not report.warnings
    failed = [detail for ok, _check, detail in report.results if not ok]
    assert len(failed) == len(BAD_FINDINGS) and "routes.py:14 core.cases.models.Case" in failed[-2]


def test_plugins_check_cli_reports_internal_imports(fixture_plugins):
    from core.plugins.conformance import BOUNDARY_ENFORCED

    root, _good, bad = fixture_plugins
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), str(ROOT)])}
    done = subprocess.run([sys.executable, "-m", "core.cli", "plugins", "check", bad], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == (1 if BOUNDARY_ENFORCED else 0), done.stdout + done.stderr
    flagged = [line for line in done.stdout.splitlines() if line.startswith(("  [WARN]", "  [FAIL]"))]
    assert len(flagged) == len(BAD_FINDINGS) and "routes.py:15 core.models.AuditEvent" in flagged[-1]


def test_public_modules_and_a_package_that_is_not_there():
    from core.plugins.conformance import foreign_imports, is_public_module

    assert is_public_module("core.cases.api") and is_public_module("payments.api")
    assert not is_public_module("core.cases.models") and not is_public_module("payments.orders")
    assert foreign_imports("zhushida_no_such_package") == []
