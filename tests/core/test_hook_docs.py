"""Every hook of the contract is documented in the plugin-author guide and exercised by a test."""

from __future__ import annotations

from pathlib import Path

from core.plugins import hookspecs

ROOT = Path(__file__).resolve().parents[2]
HOOKS = sorted(name for name in dir(hookspecs) if name.startswith("zhushida_"))


def test_every_hook_has_a_docstring():
    missing = [name for name in HOOKS if not (getattr(hookspecs, name).__doc__ or "").strip()]
    assert not missing, f"hook specs without a docstring: {missing}"


def test_every_hook_is_in_the_plugin_guide():
    guide = (ROOT / "docs" / "plugin-guide.md").read_text(encoding="utf-8")
    missing = [name for name in HOOKS if f"`{name}(" not in guide]
    assert not missing, f"hooks missing from docs/plugin-guide.md: {missing}"


def test_every_hook_is_implemented_or_called_somewhere_tested():
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("*.py"))
    sources += "\n".join(
        p.read_text(encoding="utf-8")
        for pkg in ("core", "payments", "citizen_card", "delivery", "miniapp_bff", "plugins")
        for p in (ROOT / pkg).rglob("plugin.py")
    )
    missing = [name for name in HOOKS if name not in sources]
    assert not missing, f"hooks neither implemented by a plugin nor used in tests: {missing}"
