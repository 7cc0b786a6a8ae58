"""The back-office side of a sandbox courier, shared by EMS and SF: ``_dev`` endpoints that move
a parcel on and push the signed tracking event to the platform over real HTTP, re-push the last
event byte for byte (couriers re-push when unsure), switch an outage on/off, and show a parcel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from litestar import get, post
from litestar.params import FromPath, JSONBody

from delivery.sandbox.parcels import Parcel, ParcelBook, SandboxError

# (parcel, new status, event sequence number) -> (payload bytes, headers)
BuildPush = Callable[[Parcel, str, int], tuple[bytes, dict[str, str]]]


async def push(parcel: Parcel, payload: bytes, headers: dict[str, str]) -> dict[str, Any]:
    attempt: dict[str, Any] = {"payload": payload.decode("utf-8"), "headers": headers}
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            response = await client.post(parcel.notify_url, content=payload, headers=headers)
        attempt.update(status_code=response.status_code, body=response.text)
    except httpx.HTTPError as exc:
        attempt.update(status_code=None, error=f"{type(exc).__name__}: {exc}")
    parcel.pushes.append(attempt)
    return {k: v for k, v in attempt.items() if k != "headers"}


def dev_handlers(book: ParcelBook, build: BuildPush, resign: Callable[[bytes], dict[str, str]]) -> list[Any]:
    @post("/_dev/advance", status_code=200)
    async def dev_advance(data: JSONBody[dict[str, Any]]) -> Any:
        """Move the parcel one step (``fail``: delivery failed; ``to``: skip ahead) and push it."""
        try:
            parcel, status, seq = book.advance(str(data["waybill_no"]), fail=bool(data.get("fail")), to=data.get("to"))
        except SandboxError as exc:
            return {"error": exc.kind, "message": exc.message}
        payload, headers = build(parcel, status, seq)
        return {"status": status, "push": await push(parcel, payload, headers)}

    @post("/_dev/redeliver", status_code=200)
    async def dev_redeliver(data: JSONBody[dict[str, Any]]) -> Any:
        """Push the last event again with the same content and event id (freshly signed)."""
        try:
            parcel = book.get(str(data["waybill_no"]))
        except SandboxError as exc:
            return {"error": exc.kind, "message": exc.message}
        if not parcel.pushes:
            return {"error": "nothing_pushed", "message": "no event pushed yet"}
        payload = parcel.pushes[-1]["payload"].encode("utf-8")
        return {"push": await push(parcel, payload, resign(payload))}

    @post("/_dev/outage", status_code=200, sync_to_thread=False)
    def dev_outage(data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
        book.down = bool(data.get("down"))
        return {"down": book.down}

    @get("/_dev/parcels/{waybill_no:str}", sync_to_thread=False)
    def dev_parcel(waybill_no: FromPath[str]) -> dict[str, Any]:
        try:
            return book.get(waybill_no).summary()
        except SandboxError as exc:
            return {"error": exc.kind, "message": exc.message}

    @get("/_dev/orders/{order_no:str}", sync_to_thread=False)
    def dev_order(order_no: FromPath[str]) -> dict[str, Any]:
        parcel = book.by_order.get(order_no)
        return parcel.summary() if parcel else {"error": "not_found", "message": "订单不存在"}

    return [dev_advance, dev_redeliver, dev_outage, dev_parcel, dev_order]
