"""HTTP routes: citizens' own orders (create, pay, query, cancel), providers' notify endpoints,
operators' orders, refunds and reconciliation (guarded by :mod:`core.auth`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from core import errors as core_errors
from core.auth import principal_of, requires
from payments import errors, orders, reconcile, refunds
from payments.contract import PayerContext
from payments.models import Mismatch, Notification, Order, OrderEvent, ReconciliationRun, Refund
from payments.notifications import handle_notification

CITIZEN = [requires("citizen")]
OPERATOR = [requires("operator", "admin")]
# ``?state=`` (the handlers' own name avoids shadowing the reserved ``state`` kwarg)
StateFilter = Annotated[str | None, QueryParameter(name="state", description="Only orders in this state")]


def _text(data: dict[str, Any], name: str, *, max_length: int = 64, required: bool = True) -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        raise core_errors.BAD_REQUEST(details={"field": name, "expected": f"text of 1-{max_length} characters"})
    return value.strip()


def _int(data: dict[str, Any], name: str) -> int:
    value = data.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise core_errors.BAD_REQUEST(details={"field": name, "expected": "integer (fen)"})
    return value


def order_view(order: Order) -> dict[str, Any]:
    return {
        "order_no": order.order_no, "state": order.state, "amount_fen": order.amount_fen, "subject": order.subject,
        "purpose_kind": order.purpose_kind, "purpose_ref": order.purpose_ref, "channel": order.channel,
        "method": order.method, "expires_at": order.expires_at.isoformat(),
        "paid_at": order.paid_at.isoformat() if order.paid_at else None, "refunded_fen": order.refunded_fen,
        "refundable_fen": refunds.refundable_fen(order) if order.state in refunds.REFUNDABLE_STATES else 0,
        "created_at": order.created_at.isoformat(),
    }


def refund_view(refund: Refund) -> dict[str, Any]:
    return {
        "refund_no": refund.refund_no, "amount_fen": refund.amount_fen, "reason": refund.reason, "state": refund.state,
        "created_at": refund.created_at.isoformat(),
        "succeeded_at": refund.succeeded_at.isoformat() if refund.succeeded_at else None,
        "failure": refund.failure,
    }


async def _own_order(request: Request, order_no: str) -> Order:
    principal = principal_of(request)
    order = await Order.get_or_none(order_no=order_no[:32])
    if order is None or order.payer_account_id != principal.subject_id:
        raise errors.ORDER_NOT_FOUND(details={"order_no": order_no})
    return order


# ---- citizens -------------------------------------------------------------------------------------------


@post("/orders", guards=CITIZEN, status_code=201)
async def create_order(request: Request, data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
    """Create (or get back) the order for one purpose; the amount comes from the purpose."""
    principal = principal_of(request)
    client_key = request.headers.get("idempotency-key") or data.get("client_key")
    info = await orders.create_order(
        _text(data, "purpose_kind", max_length=32), _text(data, "purpose_ref"),
        payer_account_id=principal.subject_id, client_key=client_key if isinstance(client_key, str) else "",
    )
    return order_view(await orders.get_order(info.order_no))


@get("/orders", guards=CITIZEN)
async def list_orders(request: Request, order_state: StateFilter = None) -> list[dict[str, Any]]:
    query = Order.filter(payer_account_id=principal_of(request).subject_id)
    if order_state:
        query = query.filter(state=order_state)
    return [order_view(o) for o in await query.order_by("-id").limit(100)]


@get("/orders/{order_no:str}", guards=CITIZEN)
async def get_order(request: Request, order_no: FromPath[str]) -> dict[str, Any]:
    order = await _own_order(request, order_no)
    return {**order_view(order), "refunds": [refund_view(r) for r in await Refund.filter(order_id=order.id).order_by("id")]}


@post("/orders/{order_no:str}/pay", guards=CITIZEN, status_code=200)
async def pay_order(request: Request, order_no: FromPath[str], data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
    """Start paying: returns what the client hands to the provider (``wx.requestPayment``
    parameters, WeChat APP parameters, an Alipay order string or pay URL)."""
    order = await _own_order(request, order_no)
    payer = PayerContext(
        account_id=order.payer_account_id, openid=_text(data, "openid", max_length=128, required=False),
        client_ip=(request.client.host if request.client else "127.0.0.1"),
        return_url=_text(data, "return_url", max_length=512, required=False),
    )
    result = await orders.start_payment(order.order_no, _text(data, "channel", max_length=32),
                                        _text(data, "method", max_length=16), payer)
    order = await orders.get_order(order.order_no)
    return {"order": order_view(order), "method": result.method, "params": dict(result.client_params)}


@post("/orders/{order_no:str}/cancel", guards=CITIZEN, status_code=200)
async def cancel_order(request: Request, order_no: FromPath[str]) -> dict[str, Any]:
    order = await _own_order(request, order_no)
    await orders.cancel_order(order.order_no, reason="cancelled", actor=f"citizen:{order.payer_account_id}")
    return order_view(await orders.get_order(order.order_no))


# ---- providers --------------------------------------------------------------------------------------------


@post("/notify/{channel:str}", status_code=200, include_in_schema=False)
async def notify(request: Request, channel: FromPath[str]) -> Response:
    """Providers' asynchronous notifications; answered in each provider's required format."""
    answer = await handle_notification(channel, dict(request.headers), await request.body())
    if answer is None:
        raise core_errors.NOT_FOUND()
    return Response(content=answer.body, status_code=answer.status, media_type=answer.media_type)


# ---- operators -------------------------------------------------------------------------------------------


@get("/admin/orders", guards=OPERATOR)
async def admin_orders(order_state: StateFilter = None, purpose_kind: FromQuery[str | None] = None,
                       payer_account_id: FromQuery[int | None] = None) -> list[dict[str, Any]]:
    query = Order.all()
    if order_state:
        query = query.filter(state=order_state)
    if purpose_kind:
        query = query.filter(purpose_kind=purpose_kind)
    if payer_account_id is not None:
        query = query.filter(payer_account_id=payer_account_id)
    return [{**order_view(o), "payer_account_id": o.payer_account_id, "transaction_id": o.transaction_id}
            for o in await query.order_by("-id").limit(200)]


@get("/admin/orders/{order_no:str}", guards=OPERATOR)
async def admin_order(order_no: FromPath[str]) -> dict[str, Any]:
    order = await orders.get_order(order_no)
    events = await OrderEvent.filter(order_id=order.id).order_by("id")
    notes = await Notification.filter(order_no=order.order_no).order_by("id")
    return {
        **order_view(order), "payer_account_id": order.payer_account_id, "transaction_id": order.transaction_id,
        "events": [{"from": e.from_state, "to": e.to_state, "reason": e.reason, "actor": e.actor, "data": e.data,
                    "at": e.at.isoformat()} for e in events],
        "refunds": [refund_view(r) for r in await Refund.filter(order_id=order.id).order_by("id")],
        "notifications": [{"kind": n.kind, "verified": n.verified, "outcome": n.outcome,
                           "received_at": n.received_at.isoformat()} for n in notes],
    }


@post("/admin/orders/{order_no:str}/refunds", guards=OPERATOR, status_code=201)
async def admin_refund(request: Request, order_no: FromPath[str], data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
    """Refund all or part of a paid order; ``expected_refundable_fen`` guards against racing refunds."""
    principal = principal_of(request)
    client_key = request.headers.get("idempotency-key") or data.get("client_key")
    info = await refunds.request_refund(
        order_no, _int(data, "amount_fen"), expected_refundable_fen=_int(data, "expected_refundable_fen"),
        reason=_text(data, "reason", max_length=80), client_key=client_key if isinstance(client_key, str) else "",
        actor=f"{principal.kind}:{principal.account_id}",
    )
    return refund_view(await Refund.get(refund_no=info.refund_no))


@get("/admin/notifications", guards=OPERATOR)
async def admin_notifications(outcome: FromQuery[str | None] = None, channel: FromQuery[str | None] = None,
                              verified: FromQuery[bool | None] = None) -> list[dict[str, Any]]:
    """Notifications as received, newest first — e.g. ``?verified=false`` for forged ones."""
    query = Notification.all()
    if outcome:
        query = query.filter(outcome=outcome)
    if channel:
        query = query.filter(channel=channel)
    if verified is not None:
        query = query.filter(verified=verified)
    return [{"id": n.id, "channel": n.channel, "kind": n.kind, "order_no": n.order_no, "refund_no": n.refund_no,
             "verified": n.verified, "outcome": n.outcome, "detail": n.detail, "headers": n.headers,
             "body": n.body[:4000], "received_at": n.received_at.isoformat()}
            for n in await query.order_by("-id").limit(200)]


@post("/admin/reconciliations", guards=OPERATOR, status_code=201)
async def run_reconciliation(data: JSONBody[dict[str, Any]]) -> list[dict[str, Any]]:
    try:
        day = date.fromisoformat(str(data.get("day", "")))
    except ValueError:
        raise errors.BAD_DATE() from None
    channel = _text(data, "channel", max_length=32, required=False)
    return [run_view(run) for run in await reconcile.reconcile_day(day, channel)]


def run_view(run: ReconciliationRun) -> dict[str, Any]:
    return {"id": run.id, "day": run.day.isoformat(), "channel": run.channel, "state": run.state,
            "bill_lines": run.bill_lines, "matched": run.matched, "mismatches": run.mismatches, "error": run.error,
            "started_at": run.started_at.isoformat(),
            "finished_at": run.finished_at.isoformat() if run.finished_at else None}


@get("/admin/reconciliations", guards=OPERATOR)
async def list_reconciliations(day: FromQuery[str | None] = None) -> list[dict[str, Any]]:
    query = ReconciliationRun.all()
    if day:
        try:
            query = query.filter(day=date.fromisoformat(day))
        except ValueError:
            raise errors.BAD_DATE() from None
    return [run_view(run) for run in await query.order_by("-id").limit(100)]


@get("/admin/reconciliations/{run_id:int}", guards=OPERATOR)
async def get_reconciliation(run_id: FromPath[int]) -> dict[str, Any]:
    run = await ReconciliationRun.get_or_none(id=run_id)
    if run is None:
        raise core_errors.NOT_FOUND()
    items = await Mismatch.filter(run_id=run.id).order_by("id")
    return {**run_view(run), "items": [
        {"kind": m.kind, "record": m.record, "order_no": m.order_no, "refund_no": m.refund_no,
         "local_amount_fen": m.local_amount_fen, "channel_amount_fen": m.channel_amount_fen,
         "local_state": m.local_state, "channel_state": m.channel_state} for m in items]}


def payments_router() -> Router:
    return Router(path="/payments", tags=["payments"], route_handlers=[
        create_order, list_orders, get_order, pay_order, cancel_order, notify, admin_orders, admin_order,
        admin_refund, admin_notifications, run_reconciliation, list_reconciliations, get_reconciliation,
    ])
