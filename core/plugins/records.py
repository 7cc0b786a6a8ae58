"""Typed, frozen records that hook implementations return to the host."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

# The hook contract version. Plugins declare the major they were written for
# (``ZHUSHIDA_CONTRACT = "1"`` at module level); a different major is refused at load.
CONTRACT_VERSION = "1.2"


@dataclass(frozen=True, slots=True)
class ModelsSpec:
    """A plugin's Tortoise app: its label, model modules and migrations package."""

    app_label: str
    modules: Sequence[str]
    migrations: str
    table_prefix: str = ""


@dataclass(frozen=True, slots=True)
class Routes:
    """Route handlers / routers a plugin contributes.

    Service plugins are mounted under ``/plugins/{name}``; platform packages (core, payments, ...)
    may mount at their own absolute paths with ``absolute=True``.
    """

    handlers: Sequence[Any]
    absolute: bool = False


@dataclass(frozen=True, slots=True)
class PeriodicTask:
    """Run ``task`` (a function decorated with :func:`core.tasks.task`) every ``every_seconds``."""

    name: str
    task: Any
    every_seconds: float
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ReadinessCheck:
    """A dependency ``/readyz`` probes; ``probe`` raises or returns False when it is down."""

    name: str
    probe: Callable[[], Awaitable[bool | None]]


@dataclass(frozen=True, slots=True)
class Widget:
    """A card on the home screen contributed by a plugin for one user, region and channel."""

    key: str
    title: str
    title_en: str
    data: dict[str, Any]
    order: int = 100
