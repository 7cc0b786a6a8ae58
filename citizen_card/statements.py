"""What the citizen sees of their money: the transaction list and the monthly statement (月度账单).

Both cover every card the citizen ever held, so history survives a replacement; the transfer of a
replacement moves money between the citizen's own wallets and is left out (it nets to zero).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tortoise.functions import Sum

from citizen_card import errors
from citizen_card.models import Debit, Entry, LedgerAccount, Merchant, Refund
from core.settings import get_settings

KIND_TITLES = {
    "topup": ("充值", "Top-up"),
    "debit": ("消费", "Payment"),
    "refund": ("退款", "Refund"),
    "fee": ("缴费", "Fee"),
    "fee_refund": ("缴费退款", "Fee refund"),
    "topup_refund": ("充值退款", "Top-up refund"),
}


async def _wallet_ids(holder_id: int) -> list[int]:
    return await LedgerAccount.filter(kind="wallet", card__holder_id=holder_id).values_list("id", flat=True)


async def _describe(entries: list[Entry]) -> list[dict]:
    """Entries as lines, with the merchant's name for payments and refunds."""
    journal_ids = [e.journal_id for e in entries]
    debits = {d.journal_id: d for d in await Debit.filter(journal_id__in=journal_ids)}
    refunds = {r.journal_id: r for r in await Refund.filter(journal_id__in=journal_ids).select_related("debit")}
    merchant_ids = {d.merchant_id for d in debits.values()} | {r.debit.merchant_id for r in refunds.values()}
    names = dict(await Merchant.filter(id__in=merchant_ids).values_list("id", "name"))
    lines = []
    for e in entries:
        kind = e.journal.kind
        zh, en = KIND_TITLES.get(kind, (kind, kind))
        merchant_id = (debits[e.journal_id].merchant_id if e.journal_id in debits
                       else refunds[e.journal_id].debit.merchant_id if e.journal_id in refunds else None)
        lines.append({
            "id": e.id, "kind": kind, "title": zh, "title_en": en, "amount": e.amount,
            "balance_after": e.balance_after, "merchant": names.get(merchant_id), "memo": e.journal.memo,
            "at": e.created_at.isoformat().replace("+00:00", "Z"),
        })
    return lines


EVENT_TITLES = {
    "issued": ("开卡", "Issued"), "frozen": ("挂失冻结", "Reported lost, frozen"), "unfrozen": ("解除挂失", "Unfrozen"),
    "replaced": ("补卡换号", "Replaced"), "cancelled": ("注销", "Cancelled"),
    "physical_bound": ("绑定实体卡", "Physical card bound"), "physical_unbound": ("解绑实体卡", "Physical card unbound"),
    "limits_set": ("修改限额", "Limits changed"),
}


async def card_events(holder_id: int, limit: int = 50) -> list[dict]:
    """What happened to the citizen's cards and who did it - including a relative acting for them."""
    from citizen_card.models import CardEvent

    events = await CardEvent.filter(card__holder_id=holder_id).order_by("-id").limit(max(1, min(limit, 200)))
    return [{
        "action": e.action, "title": EVENT_TITLES.get(e.action, (e.action, e.action))[0],
        "title_en": EVENT_TITLES.get(e.action, (e.action, e.action))[1],
        "by": "self" if e.actor_kind == "citizen" and e.on_behalf_of is None else
              "proxy" if e.on_behalf_of is not None else e.actor_kind,
        "at": e.at.isoformat().replace("+00:00", "Z"),
    } for e in events]


async def transactions(holder_id: int, *, before_id: int | None = None, limit: int = 20) -> dict:
    """Newest first; page with ``before_id`` = the last line's id."""
    limit = max(1, min(limit, 100))
    query = Entry.filter(account_id__in=await _wallet_ids(holder_id)).exclude(journal__kind="transfer")
    if before_id is not None:
        query = query.filter(id__lt=min(before_id, 2**63 - 1))
    entries = await query.order_by("-id").limit(limit + 1).select_related("journal")
    lines = await _describe(entries[:limit])
    return {"items": lines, "next_before_id": lines[-1]["id"] if len(entries) > limit else None}


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The month in the city's time zone, as a UTC range [start, end)."""
    try:
        year, mon = (int(part) for part in month.split("-"))
        start = datetime(year, mon, 1, tzinfo=ZoneInfo(get_settings().timezone))
    except (ValueError, TypeError):
        raise errors.BAD_MONTH() from None
    if len(month) != 7:
        raise errors.BAD_MONTH()
    end = (start + timedelta(days=32)).replace(day=1)
    return start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))


async def monthly_statement(holder_id: int, month: str) -> dict:
    """Opening balance, every line of the month, totals in and out, closing balance:
    opening + money_in - money_out == closing, to the fen."""
    start, end = month_bounds(month)
    wallets = await _wallet_ids(holder_id)
    summed = await Entry.filter(account_id__in=wallets, created_at__lt=start).annotate(total=Sum("amount")).values("total")
    opening = int(summed[0]["total"] or 0) if summed else 0
    entries = await (
        Entry.filter(account_id__in=wallets, created_at__gte=start, created_at__lt=end)
        .exclude(journal__kind="transfer").order_by("id").select_related("journal")
    )
    lines = await _describe(entries)
    money_in = sum(e.amount for e in entries if e.amount > 0)
    money_out = -sum(e.amount for e in entries if e.amount < 0)
    by_kind: dict[str, int] = {}
    for e in entries:
        by_kind[e.journal.kind] = by_kind.get(e.journal.kind, 0) + e.amount
    return {
        "month": month, "opening_balance": opening, "money_in": money_in, "money_out": money_out,
        "closing_balance": opening + money_in - money_out, "by_kind": by_kind, "lines": lines,
    }
