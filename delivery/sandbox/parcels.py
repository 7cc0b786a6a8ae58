"""The parcel life both sandbox couriers share: create (idempotent per order number), quote,
cancel, and advance accepted → picked up → in transit → delivered (or failed), each step pushed
to the order's callback URL by the courier's own front end.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

PATH = ("accepted", "picked_up", "in_transit", "delivered")


@dataclass
class Parcel:
    order_no: str
    waybill_no: str
    notify_url: str
    pickup: bool
    sender_region: str
    receiver_region: str
    goods: str
    status: str = "created"
    cancelled: bool = False
    pushes: list[dict[str, Any]] = field(default_factory=list)  # every push attempt, in order

    def summary(self) -> dict[str, Any]:
        return {"order_no": self.order_no, "waybill_no": self.waybill_no, "status": self.status,
                "cancelled": self.cancelled, "pickup": self.pickup, "receiver_region": self.receiver_region,
                "pushes": len(self.pushes)}


class SandboxError(Exception):
    def __init__(self, kind: str, message: str) -> None:
        self.kind, self.message = kind, message
        super().__init__(message)


class ParcelBook:
    """All parcels of one sandbox courier, in the memory of the serving process."""

    def __init__(self, waybill_prefix: str, waybill_digits: int) -> None:
        self.prefix, self.digits = waybill_prefix, waybill_digits
        self.by_order: dict[str, Parcel] = {}
        self.by_waybill: dict[str, Parcel] = {}
        self.down = False  # _dev/outage: the API answers 503
        self.event_seq = 0
        self.lock = threading.Lock()

    def create(self, *, order_no: str, notify_url: str, pickup: bool, sender_region: str,
               receiver_region: str, goods: str) -> Parcel:
        with self.lock:
            existing = self.by_order.get(order_no)
            if existing is not None:
                # A retried create (the first answer was lost): same order, same waybill.
                if existing.receiver_region != receiver_region or existing.cancelled:
                    raise SandboxError("duplicate", "订单号重复")
                return existing
            waybill = self.prefix + "".join(secrets.choice("0123456789") for _ in range(self.digits))
            parcel = Parcel(order_no, waybill, notify_url, pickup, sender_region, receiver_region, goods)
            self.by_order[order_no] = parcel
            self.by_waybill[waybill] = parcel
            return parcel

    def cancel(self, order_no: str) -> Parcel:
        with self.lock:
            parcel = self.by_order.get(order_no)
            if parcel is None:
                raise SandboxError("not_found", "订单不存在")
            if parcel.status not in ("created", "accepted"):
                raise SandboxError("too_late", "快件已揽收，不能取消")
            parcel.cancelled = True
            return parcel

    def advance(self, waybill_no: str, *, fail: bool = False, to: str | None = None) -> tuple[Parcel, str, int]:
        """Move a parcel one step (or to ``to``); returns the parcel, the new status, an event id."""
        with self.lock:
            parcel = self.by_waybill.get(waybill_no)
            if parcel is None:
                raise SandboxError("not_found", "运单不存在")
            if parcel.cancelled or parcel.status in ("delivered", "failed"):
                raise SandboxError("closed", f"运单已结束 ({'cancelled' if parcel.cancelled else parcel.status})")
            if fail:
                new = "failed"
            elif to is not None:
                if to not in PATH or (parcel.status in PATH and PATH.index(to) <= PATH.index(parcel.status)):
                    raise SandboxError("bad_step", f"cannot go from {parcel.status} to {to}")
                new = to
            else:
                new = PATH[0] if parcel.status == "created" else PATH[PATH.index(parcel.status) + 1]
            parcel.status = new
            self.event_seq += 1
            return parcel, new, self.event_seq

    def get(self, waybill_no: str) -> Parcel:
        parcel = self.by_waybill.get(waybill_no)
        if parcel is None:
            raise SandboxError("not_found", "运单不存在")
        return parcel


def fee_fen(sender_region: str, receiver_region: str, weight_grams: int, *, same_city: int, same_province: int,
            national: int, per_extra_kg: int) -> int:
    """Zone pricing: first kilogram by distance, then per started extra kilogram."""
    if sender_region[:4] == receiver_region[:4]:
        base = same_city
    elif sender_region[:2] == receiver_region[:2]:
        base = same_province
    else:
        base = national
    extra_kg = max(0, -(-weight_grams // 1000) - 1)
    return base + extra_kg * per_extra_kg
