"""The card's life: issue, loss report (freeze), unfreeze, replacement, cancellation, binding of
the physical financial IC card. Every change is one transaction and one :class:`CardEvent`."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError

from citizen_card import errors, ledger
from citizen_card.config import get_card_settings
from citizen_card.models import Card, CardEvent, LedgerAccount
from citizen_card.numbers import is_valid_bank_card, mask_bank_card, new_card_number
from core import changes
from core.auth import LEVEL_TOO_LOW, Principal, audit_actor, ensure_citizen_owns
from core.db import transaction
from core.errors import FORBIDDEN
from core.settings import get_settings

MIN_LEVEL = 2  # ID + name verified (L2)
# The service code a proxy grant must cover for a relative to report the card lost.
LOSS_SERVICE_CODE = "citizen_card.report_loss"


# Card rows are locked FOR NO KEY UPDATE: a state change never touches the key, so a debit's
# foreign-key check (FOR KEY SHARE on the card) does not wait on it while holding the wallet -
# that order (card, then wallet, against wallet, then card) would deadlock otherwise.


async def live_card(holder_id: int) -> Card | None:
    return await Card.filter(holder_id=holder_id).exclude(state="cancelled").first()


async def require_live_card(holder_id: int) -> Card:
    card = await live_card(holder_id)
    if card is None:
        raise errors.NO_CARD()
    return card


def _require_self(principal: Principal) -> None:
    """Only the holder, in their own session, may do this (not a relative under a proxy grant)."""
    if principal.kind != "citizen":
        raise FORBIDDEN()
    if principal.acting_for is not None:
        raise errors.PROXY_NOT_ALLOWED()


def _require_level(principal: Principal) -> None:
    if principal.level < MIN_LEVEL:
        raise LEVEL_TOO_LOW(details={"required_level": MIN_LEVEL, "current_level": principal.level})


async def _record(card: Card, action: str, principal: Principal | None, **details) -> None:
    actor = audit_actor(principal)
    await CardEvent.create(
        card_id=card.id, action=action, actor_kind=actor["actor_kind"], actor_id=actor["actor_id"],
        on_behalf_of=actor["on_behalf_of"], details=details,
    )
    changes.publish("account", card.holder_id)  # the holder's screens; sent after the commit


async def _create_card(holder_id: int, **fields) -> Card:
    """Insert a card and its wallet. A number collision (one in 10^14 per try) draws again."""
    prefix = get_card_settings().number_prefix
    for _attempt in range(5):
        number = new_card_number(prefix)
        if await Card.exists(number=number):
            continue
        card = await Card.create(number=number, holder_id=holder_id, **fields)
        await LedgerAccount.create(code=f"wallet:{card.id}", kind="wallet", card_id=card.id)
        return card
    raise RuntimeError("could not draw an unused card number")


async def issue(principal: Principal) -> Card:
    """Issue the citizen's card (L2 or above, one live card per person)."""
    _require_self(principal)
    _require_level(principal)
    if await live_card(principal.account_id) is not None:
        raise errors.ALREADY_ISSUED()
    try:
        async with transaction():
            card = await _create_card(principal.account_id)
            await _record(card, "issued", principal)
    except IntegrityError:  # a concurrent issue won the one-live-card index
        raise errors.ALREADY_ISSUED() from None
    return card


async def report_loss(principal: Principal) -> Card:
    """Freeze the card at once (挂失). The holder, or a relative whose grant covers it."""
    if principal.kind != "citizen":
        raise FORBIDDEN()
    holder_id = principal.subject_id
    ensure_citizen_owns(principal, holder_id, service_code=LOSS_SERVICE_CODE)
    async with transaction():
        card = await Card.select_for_update(no_key=True).filter(holder_id=holder_id).exclude(state="cancelled").first()
        if card is None:
            raise errors.NO_CARD()
        if card.state == "active":
            await ledger.lock_wallet(card.id)  # waits for a debit in flight, then no more
            card.state = "frozen"
            card.frozen_at = datetime.now(UTC)
            await card.save(update_fields=["state", "frozen_at"])
            await LedgerAccount.filter(card_id=card.id).update(spendable=False)
            await _record(card, "frozen", principal, reason="loss_report")
    return card


async def unfreeze(principal: Principal) -> Card:
    """The holder found the card: active again."""
    _require_self(principal)
    _require_level(principal)
    async with transaction():
        card = await Card.select_for_update(no_key=True).filter(holder_id=principal.account_id).exclude(state="cancelled").first()
        if card is None:
            raise errors.NO_CARD()
        if card.state != "frozen":
            raise errors.NOT_FROZEN()
        await ledger.lock_wallet(card.id)
        card.state = "active"
        card.frozen_at = None
        await card.save(update_fields=["state", "frozen_at"])
        await LedgerAccount.filter(card_id=card.id).update(spendable=True)
        await _record(card, "unfrozen", principal)
    return card


async def replace(principal: Principal) -> Card:
    """Issue a new number, move the whole balance to it, cancel the old card (补卡).

    The old card's physical binding is dropped: a lost physical card must not follow."""
    _require_self(principal)
    _require_level(principal)
    async with transaction():
        old = await Card.select_for_update(no_key=True).filter(holder_id=principal.account_id).exclude(state="cancelled").first()
        if old is None:
            raise errors.NO_CARD()
        old_wallet = await ledger.lock_wallet(old.id)
        old_wallet.spendable = False
        await LedgerAccount.filter(id=old_wallet.id).update(spendable=False)
        old.state = "cancelled"
        old.cancelled_at = datetime.now(UTC)
        await old.save(update_fields=["state", "cancelled_at"])
        new = await _create_card(
            principal.account_id, replaces_id=old.id,
            limit_per_payment=old.limit_per_payment, limit_per_day=old.limit_per_day,
        )
        await Card.filter(id=old.id).update(replaced_by_id=new.id, physical_hash=None, physical_masked=None)
        moved = old_wallet.balance
        if moved:
            new_wallet = await ledger.lock_wallet(new.id)
            await ledger.post(
                "transfer", f"replace:{old.id}", [(old_wallet, -moved), (new_wallet, moved)],
                memo=f"补卡余额转入 {new.number[-4:]}",
            )
        await _record(old, "replaced", principal, new_card_id=new.id, moved=moved)
        await _record(new, "issued", principal, replaces_card_id=old.id, moved=moved)
    return new


async def cancel(principal: Principal) -> Card:
    """Close the card for good (销卡); only with a zero balance, so no money is stranded."""
    _require_self(principal)
    async with transaction():
        card = await Card.select_for_update(no_key=True).filter(holder_id=principal.account_id).exclude(state="cancelled").first()
        if card is None:
            raise errors.NO_CARD()
        wallet = await ledger.lock_wallet(card.id)
        if wallet.balance:
            raise errors.BALANCE_NOT_ZERO(details={"balance": wallet.balance})
        card.state = "cancelled"
        card.cancelled_at = datetime.now(UTC)
        card.physical_hash = card.physical_masked = None
        await card.save(update_fields=["state", "cancelled_at", "physical_hash", "physical_masked"])
        await LedgerAccount.filter(id=wallet.id).update(spendable=False)
        await _record(card, "cancelled", principal)
    return card


def physical_card_hash(number: str) -> str:
    """Keyed hash of a bank card number: finds a duplicate binding without storing the number."""
    key = get_settings().secret_key.get_secret_value().encode()
    return hmac.new(key, b"card-physical:" + number.encode(), hashlib.sha256).hexdigest()


async def bind_physical(principal: Principal, number: str) -> Card:
    """Bind the physical financial IC card (实体金融社保卡). Only the masked number and a keyed
    hash are kept: the full number is never stored."""
    _require_self(principal)
    _require_level(principal)
    number = number.replace(" ", "")
    if not is_valid_bank_card(number):
        raise errors.BAD_PHYSICAL_NUMBER()
    card = await require_live_card(principal.account_id)
    if card.state != "active":
        raise errors.NOT_ACTIVE(details={"state": card.state})
    digest = physical_card_hash(number)
    holder = await Card.get_or_none(physical_hash=digest)
    if holder is not None and holder.id != card.id:
        raise errors.PHYSICAL_TAKEN()
    try:
        async with transaction():
            await Card.filter(id=card.id).update(physical_hash=digest, physical_masked=mask_bank_card(number))
            await _record(card, "physical_bound", principal, physical=mask_bank_card(number))
    except IntegrityError:
        raise errors.PHYSICAL_TAKEN() from None
    return await Card.get(id=card.id)


async def unbind_physical(principal: Principal) -> Card:
    _require_self(principal)
    card = await require_live_card(principal.account_id)
    async with transaction():
        await Card.filter(id=card.id).update(physical_hash=None, physical_masked=None)
        await _record(card, "physical_unbound", principal)
    return await Card.get(id=card.id)


async def set_limits(principal: Principal, per_payment: int | None, per_day: int | None) -> Card:
    """The holder may lower (or restore) the limits; never above the platform's."""
    _require_self(principal)
    settings = get_card_settings()
    for value, ceiling in ((per_payment, settings.limit_per_payment), (per_day, settings.limit_per_day)):
        if value is not None and not (0 < value <= ceiling):
            raise errors.BAD_AMOUNT(details={"max": ceiling})
    card = await require_live_card(principal.account_id)
    async with transaction():
        await Card.filter(id=card.id).update(limit_per_payment=per_payment, limit_per_day=per_day)
        await _record(card, "limits_set", principal, per_payment=per_payment, per_day=per_day)
    return await Card.get(id=card.id)


def limits_of(card: Card) -> tuple[int, int]:
    settings = get_card_settings()
    return (
        card.limit_per_payment or settings.limit_per_payment,
        card.limit_per_day or settings.limit_per_day,
    )


async def current_card_for_credit(card_id: int) -> Card:
    """The card a credit for ``card_id`` lands on: follow replacements to the live card.
    A card cancelled without a successor cannot receive money."""
    card = await Card.get(id=card_id)
    seen = 0
    while card.state == "cancelled" and card.replaced_by_id and seen < 50:
        card = await Card.get(id=card.replaced_by_id)
        seen += 1
    if card.state == "cancelled":
        raise errors.CANCELLED()
    return card
