"""Card, certificates, messages and the data-access log as phone screens.

* 市民卡: the card summary (masked number, state, balance) and, on the card screen, a fresh
  dynamic payment QR (token + rendered image) that a terminal verifies offline; it expires in
  seconds, so the answer is never cached.
* 证照夹: the e-certificate wallet, and 亮证 — a short-lived signed QR showing only the fields
  the citizen picks.
* 消息: the message list (paged), read marks, and per-kind channel settings (WeChat subscribe
  message / SMS) with the mini-program's subscribe templates.
* 数据使用记录: who read my personal data, when and why.

Acting for a relative: the card and QR are the signed-in person's own only (a relative's card
cannot be spent by a proxy); the certificate wallet and the access log follow the subject.
"""

from __future__ import annotations

import base64
from typing import Any

from core import errors
from core.auth import Principal
from miniapp_bff.channels import Screen
from miniapp_bff.paging import Page

CARD_STATE_LABELS = {
    "active": ("正常", "Active"),
    "frozen": ("已挂失冻结", "Frozen (reported lost)"),
    "replaced": ("已换卡", "Replaced"),
    "cancelled": ("已注销", "Cancelled"),
}


def _own_only(principal: Principal) -> None:
    if principal.acting_for is not None:
        raise errors.FORBIDDEN(details={"reason": "the citizen card is used by its holder only"})


async def card_summary(principal: Principal, screen: Screen, card_ids: list[int] | None = None) -> dict[str, Any] | None:
    """None when there is no card yet (the client offers "apply for a card"). The card's id is
    appended to ``card_ids`` (the home screen's cache listens for changes of that card)."""
    from citizen_card import cards, ledger
    from citizen_card.numbers import mask

    if principal.acting_for is not None:
        return None
    card = await cards.live_card(principal.account_id)
    if card is None:
        return {"has_card": False}
    if card_ids is not None:
        card_ids.append(card.id)
    wallet = await ledger.LedgerAccount.get(card_id=card.id)
    state = str(getattr(card.state, "value", card.state))
    return {
        "has_card": True,
        "number": mask(card.number),
        "last4": card.number[-4:],
        "state": state,
        "state_label": screen.text(*CARD_STATE_LABELS.get(state, (state, state))),
        "balance_fen": wallet.balance,
    }


async def card_qr(principal: Principal, image: str | None) -> dict[str, Any]:
    from citizen_card import cards, qr

    _own_only(principal)
    if image not in (None, "svg", "png"):
        raise errors.BAD_REQUEST(details={"image": "svg or png"})
    issued = await qr.issue_token(await cards.require_live_card(principal.account_id))
    body: dict[str, Any] = {
        "token": issued.token,
        "expires_at": issued.claims.expires_at,
        "ttl_seconds": issued.claims.expires_at - issued.claims.issued_at,
    }
    if image:
        media = "image/svg+xml" if image == "svg" else "image/png"
        body["image"] = f"data:{media};base64," + base64.b64encode(qr.render(issued.token, image)).decode()
    return body


async def certificates_screen(principal: Principal, screen: Screen) -> dict[str, Any]:
    from core.certificates import api as certificates

    items = [certificates.view(c) for c in await certificates.wallet(principal.subject_id)]
    return {"items": items, "total": len(items)}


async def show_certificate(principal: Principal, cert_id: int, fields: list[str] | None, ttl_seconds: int | None) -> dict[str, Any]:
    from core.certificates import show
    from core.certificates.models import Certificate

    cert = await Certificate.get_or_none(id=cert_id)
    if cert is None or cert.holder_account_id != principal.subject_id:
        raise errors.NOT_FOUND()
    kwargs: dict[str, Any] = {"fields": fields}
    if ttl_seconds is not None:
        kwargs["ttl_seconds"] = ttl_seconds
    code = show.make_show_code(cert, **kwargs)
    return {"code": code.code, "verify_url": code.verify_url, "expires_at": code.expires_at, "qr_svg": code.qr_svg()}


async def messages_screen(principal: Principal, screen: Screen, page: Page, unread_only: bool) -> dict[str, Any]:
    from core.messages import api as messages
    from core.messages.models import Message

    query = Message.filter(account_id=principal.account_id)
    if unread_only:
        query = query.filter(read_at__isnull=True)
    total = await query.count()
    rows = await query.order_by("-id").offset(page.offset).limit(page.size)
    body = page.envelope([messages.message_view(m, english=screen.english) for m in rows], total)
    body["unread"] = await messages.unread_count(principal.account_id)
    return body


async def mark_read(principal: Principal, ids: list[int] | None) -> dict[str, Any]:
    from core.messages import api as messages

    changed = await messages.mark_read(principal.account_id, ids)
    return {"marked": changed, "unread": await messages.unread_count(principal.account_id)}


async def subscriptions(principal: Principal, screen: Screen) -> dict[str, Any]:
    """Per-kind choices and, in the mini-program, the subscribe-message template ids to pass to
    ``wx.requestSubscribeMessage`` (with how many sends each grant has left)."""
    from core.messages import api as messages

    body: dict[str, Any] = {"settings": await messages.channel_settings(principal.account_id)}
    if screen.channel == "miniapp":
        body["wechat_templates"] = messages.template_ids()
        body["wechat_grants"] = await messages.wechat_grants(principal.account_id)
    return body


async def set_subscriptions(principal: Principal, screen: Screen, settings: dict[str, Any] | None,
                            wechat_accepted: dict[str, int] | None) -> dict[str, Any]:
    """Save channel choices and/or the templates the user accepted in ``wx.requestSubscribeMessage``."""
    from core.messages import api as messages

    if settings is not None:
        await messages.set_channel_settings(principal.account_id, settings)
    if wechat_accepted:
        if screen.channel != "miniapp":
            raise errors.BAD_REQUEST(details={"wechat_accepted": "only from the mini-program"})
        await messages.add_wechat_grants(principal.account_id, wechat_accepted)
    return await subscriptions(principal, screen)


async def access_log_screen(principal: Principal, page: Page) -> dict[str, Any]:
    """Reads of the subject's personal data by others (staff, departments' plugins, proxies)."""
    from core.identity import access_log

    wanted = page.offset + page.size + 1
    entries = await access_log.list_for(principal.subject_id, limit=min(wanted, 200))
    window = entries[page.offset : page.offset + page.size]
    return {"items": window, "page": page.page, "size": page.size,
            "has_more": len(entries) > page.offset + page.size}
