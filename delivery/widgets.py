"""The home-screen card "我的快递": the citizen's parcels on their way (none: no card)."""

from __future__ import annotations

from typing import Any

from core.hooks import Widget
from delivery.models import OPEN_STATES, Shipment

STATE_LABELS = {
    "awaiting_payment": "待支付邮费", "waiting_result": "待出证后寄出", "ordering": "下单中", "ordered": "待揽收",
    "accepted": "已接单", "picked_up": "已揽收", "in_transit": "运输中",
}


async def parcels_widget(user: Any) -> Widget | None:
    if user is None or getattr(user, "kind", None) != "citizen":
        return None
    rows = await Shipment.filter(account_id=user.subject_id, state__in=list(OPEN_STATES)).order_by("-updated_at").limit(20)
    if not rows:
        return None
    return Widget(
        key="delivery.parcels", title="我的快递", title_en="My parcels", order=40,
        data={"open": len(rows), "parcels": [
            {"no": s.no, "kind": s.kind.value, "item_name": s.item_name, "courier": s.courier,
             "waybill_no": s.waybill_no, "state": s.state.value, "state_label": STATE_LABELS.get(s.state.value, ""),
             "link": f"/delivery/shipments/{s.no}"}
            for s in rows[:3]
        ]},
    )
