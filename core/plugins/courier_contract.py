"""The courier gateway interface every courier adapter implements.

A gateway turns the platform's :class:`Shipment` request into the courier's own protocol (auth,
signing, field names) and back: fee quote, create order (which yields the waybill number 运单号),
cancel, and verification + parsing of the courier's signed tracking push (路由推送).

Adapters are contributed through the ``zhushida_courier_gateways`` hook, so a department may ship
a courier of its own without touching this package.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

# The canonical tracking statuses, in the order a parcel normally goes through them.
STATUSES = ("accepted", "picked_up", "in_transit", "delivered", "failed")
TERMINAL_STATUSES = frozenset({"delivered", "failed"})


@dataclass(frozen=True, slots=True)
class Party:
    """Sender or receiver of a parcel: plain text, only ever handed to the courier."""

    name: str
    phone: str
    region_code: str  # 12-digit statistical code
    detail: str  # street, building, room (详细地址)


@dataclass(frozen=True, slots=True)
class ShipmentRequest:
    """What the platform asks a courier to carry. ``order_no`` is the platform's idempotency key."""

    order_no: str
    sender: Party
    receiver: Party
    goods: str  # 托寄物, e.g. "营业执照" or "申请材料(纸质)"
    weight_grams: int = 500
    pickup: bool = False  # 上门取件 from the sender's door
    notify_url: str = ""


@dataclass(frozen=True, slots=True)
class Quote:
    fee_fen: int
    eta_days: int


@dataclass(frozen=True, slots=True)
class CreatedOrder:
    waybill_no: str
    courier_order_no: str


@dataclass(frozen=True, slots=True)
class TrackingUpdate:
    """One verified tracking event, in canonical form. ``event_key`` is unique per courier."""

    event_key: str
    waybill_no: str
    order_no: str
    status: str  # one of STATUSES
    occurred_at: datetime  # aware, UTC
    description: str
    location: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WebhookAck:
    """What the courier expects back once a push was accepted (each courier has its own shape)."""

    status_code: int
    body: dict[str, Any]


class CourierError(Exception):
    """Base of courier failures."""


class CourierUnreachable(CourierError):
    """Network error, timeout or a 5xx: worth retrying later."""


class CourierRefused(CourierError):
    """The courier answered and said no (outside its area, bad data): retrying will not help."""

    def __init__(self, code: str, message: str) -> None:
        self.code, self.message = code, message
        super().__init__(f"{code}: {message}")


class ForgedWebhook(CourierError):
    """A push whose signature does not verify (or that is malformed): refused, never processed."""


@runtime_checkable
class CourierGateway(Protocol):
    code: str  # short, stable: "ems", "sf"
    name: str  # shown to citizens, e.g. "中国邮政EMS"

    async def quote(self, request: ShipmentRequest) -> Quote: ...

    async def create_order(self, request: ShipmentRequest) -> CreatedOrder: ...

    async def cancel(self, order_no: str, waybill_no: str) -> None: ...

    def parse_webhook(self, headers: dict[str, str], body: bytes) -> list[TrackingUpdate]:
        """Verify the push's signature and return its events; raise :class:`ForgedWebhook`."""
        ...

    def webhook_ack(self) -> WebhookAck: ...
