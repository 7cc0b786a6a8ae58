"""Records the case engine hands to plugins (pure data, importable without a database)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """One committed transition of a case, broadcast to ``zhushida_case_event`` after commit.

    ``kind`` is the action name (``submitted`` for the submission, ``hold_released``,
    ``warning`` for 电子监察 warnings, ...) and ``effect`` the engine effect it carried
    (``accept``, ``approve``, ``deliver`` ... or None). ``actor_kind`` is ``citizen``, ``staff``,
    ``operator``, ``admin`` or ``system``; ``on_behalf_of`` the citizen a proxy acted for
    (亲友代办). ``applicant_id`` is the citizen account the case belongs to.
    """

    event_id: int
    case_id: int
    case_no: str
    item_code: str  # implementation code (实施编码)
    basic_code: str
    item_name: str
    kind: str
    effect: str | None
    from_state: str | None
    to_state: str
    status_code: str  # national exchange status of to_state
    applicant_id: int
    region_code: str
    department_code: str
    channel: str
    actor_kind: str
    actor_id: int | None
    on_behalf_of: int | None
    at: datetime
    comment: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    bundle_case_id: int | None = None
    due_date: date | None = None


@dataclass(frozen=True, slots=True)
class CaseCharge:
    """A variable charge a case owes besides its item's fixed fee (e.g. the deed tax of a transfer),
    answered by ``zhushida_case_charges`` and collected by the bundle's one payment.

    ``code`` names the charge within its case (``deed_tax``); ``amount_fen`` is the server's
    amount; ``settle(payment_ref)`` records it as paid (the payment's order number) and is called
    once the payment arrived, inside the payment's transaction — it must be idempotent.
    """

    code: str
    amount_fen: int
    title: str
    settle: Callable[[str], Awaitable[None]]
    title_en: str = ""
