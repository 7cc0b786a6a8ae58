"""Paying a case or a bundle from the phone: the BFF picks the payment channel and method from
the client channel and the citizen's choice, and returns exactly what the phone's SDK needs.

==========  ==========  =====================================================================
channel     choice      answer ``params``
==========  ==========  =====================================================================
miniapp     ``wechat``  the object to pass to ``wx.requestPayment`` (timeStamp, nonceStr,
                        package ``prepay_id=...``, signType ``RSA``, paySign), WeChat Pay v3
                        JSAPI signed by wechatpayv3 with the payer's mini-program openid
app         ``wechat``  WeChat app-pay parameters (appid, partnerid, prepayid, package, noncestr,
                        timestamp, sign) for the WeChat OpenSDK
app         ``alipay``  the signed order string for the Alipay SDK (``alipay.trade.app.pay``)
both        ``card``    nothing to call: the citizen-card wallet settles at once (``completed``)
==========  ==========  =====================================================================

Amounts never come from the phone: the case's (or bundle's) fee is the order's amount. A double
tap is harmless: the order is created idempotently for the purpose, and with an
``Idempotency-Key`` the second tap gets the first answer.
"""

from __future__ import annotations

from typing import Any

from core import errors
from core.auth import Principal
from miniapp_bff.channels import Screen

CHOICES: dict[tuple[str, str], tuple[str, str]] = {
    ("miniapp", "wechat"): ("wechatpay", "jsapi"),
    ("app", "wechat"): ("wechatpay", "app"),
    ("app", "alipay"): ("alipay", "app"),
}
CARD_CHANNELS = ("card_wallet",)

CHOICE_NOT_OFFERED = errors.define(
    "bff.payment_choice_not_offered", 422,
    "当前客户端不支持该支付方式",
    "This payment method is not offered on this client",
)
NO_OPENID = errors.define(
    "bff.wechat_not_linked", 409,
    "请先在小程序中使用微信登录后再支付",
    "Sign in with WeChat in the mini-program before paying with WeChat",
)


def _card_channel() -> tuple[str, str] | None:
    from payments import registry

    for name in CARD_CHANNELS:
        try:
            channel = registry.channel(name)
        except errors.AppError:
            continue
        return name, channel.methods[0]
    return None


def channel_for(screen: Screen, choice: str) -> tuple[str, str]:
    if choice == "card":
        found = _card_channel()
        if found is not None:
            return found
    elif (screen.channel, choice) in CHOICES:
        return CHOICES[(screen.channel, choice)]
    raise CHOICE_NOT_OFFERED(details={"channel": screen.channel, "choice": choice[:20],
                                      "choices": choices(screen)})


def choices(screen: Screen) -> list[str]:
    out = [c for (ch, c) in CHOICES if ch == screen.channel]
    if _card_channel() is not None:
        out.append("card")
    return out


async def _openid(account_id: int) -> str | None:
    from core.identity.models import Account

    account = await Account.get_or_none(id=account_id)
    return account.wechat_openid if account else None


PAYABLE_KINDS = ("case", "bundle", "delivery_fee")


async def pay(principal: Principal, screen: Screen, kind: str, ref: str, choice: str, *,
              client_key: str, client_ip: str) -> dict[str, Any]:
    """Create (or reuse) the order of a case, a bundle or a courier fee (``ref``: the shipment
    number) and start paying it through ``choice``."""
    from core.cases import api as cases
    from core.cases import bundles

    if kind not in PAYABLE_KINDS:
        raise errors.NOT_FOUND(details={"kind": kind[:20], "kinds": list(PAYABLE_KINDS)})
    # Ownership first: another person's case or bundle is a 404 before any order exists (the
    # courier fee's purpose checks its payer itself).
    if kind in ("case", "bundle"):
        if not ref.isdigit():
            raise errors.NOT_FOUND()
        if kind == "case":
            view = await cases.get(int(ref), principal)
        else:
            view = await bundles.bundle_view(int(ref), principal)
        if view.get("payment_state") == "paid":
            # Said plainly before any order is looked at: the same answer whichever method or
            # key the phone sends, and no money moves.
            from payments.errors import ALREADY_PAID

            raise ALREADY_PAID(details={"kind": kind, "ref": ref})
    return await _start(screen, kind, ref, principal.account_id, principal.subject_id, choice,
                        client_key=client_key, client_ip=client_ip)


async def topup(principal: Principal, screen: Screen, amount_fen: int, choice: str, *, nonce: str,
                client_ip: str) -> dict[str, Any]:
    """Top up one's own citizen card (充值) through WeChat Pay or Alipay; the wallet is credited
    when the provider's notification is verified."""
    if principal.acting_for is not None:
        raise errors.FORBIDDEN(details={"reason": "the citizen card is topped up by its holder"})
    if choice == "card":
        raise CHOICE_NOT_OFFERED(details={"choice": "card", "reason": "a card cannot top itself up"})
    if not isinstance(amount_fen, int) or amount_fen <= 0:
        raise errors.BAD_REQUEST(details={"amount_fen": "a positive integer (fen)"})
    return await _start(screen, "card_topup", f"{amount_fen}-{nonce}", principal.account_id, principal.account_id,
                        choice, client_key="bfftopup-" + nonce[:55], client_ip=client_ip)


async def _start(screen: Screen, purpose_kind: str, purpose_ref: str, phone_holder_id: int, payer_id: int,
                 choice: str, *, client_key: str, client_ip: str) -> dict[str, Any]:
    from payments import api as payments
    from payments.contract import PayerContext

    channel, method = channel_for(screen, choice)
    openid = None
    if (channel, method) == ("wechatpay", "jsapi"):
        openid = await _openid(phone_holder_id)  # the WeChat user holding the phone pays
        if not openid:
            raise NO_OPENID()
    order = await payments.create_order(purpose_kind, purpose_ref, payer_account_id=payer_id, client_key=client_key)
    result = await payments.pay(order.order_no, channel, method, PayerContext(
        account_id=payer_id, openid=openid, client_ip=client_ip))
    return {
        "order_no": order.order_no,
        "amount_fen": order.amount_fen,
        "subject": order.subject,
        "channel": channel,
        "method": result.method,
        "params": dict(result.client_params),
        "completed": result.completed is not None,
        "expires_at": order.expires_at.isoformat(),
    }


async def order_status(principal: Principal, order_no: str) -> dict[str, Any]:
    """After ``wx.requestPayment`` succeeds the phone polls this until the notification landed."""
    from payments import api as payments

    order = await payments.get_order(order_no)
    if order.payer_account_id != principal.subject_id:
        raise errors.NOT_FOUND()
    return {"order_no": order.order_no, "state": order.state, "amount_fen": order.amount_fen,
            "paid_at": order.paid_at.isoformat() if order.paid_at else None}
