"""The double-entry ledger of the card wallets.

Every movement is a :class:`Journal` whose :class:`Entry` legs sum to zero. Wallet accounts keep a
running balance, changed only here, only while the caller holds the wallet's row lock
(``select_for_update`` inside a transaction), and never below zero (a database rule backs this).
Merchant and system accounts keep none: their balance is the sum of their entries, so thousands of
terminals posting to one merchant do not queue on one row.

Accounts: ``wallet:<card id>``, ``merchant:<merchant id>``, ``system:topup_clearing`` (money
received by the payment platform for top-ups), ``system:fees`` (fees paid with the wallet).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from tortoise import connections
from tortoise.exceptions import IntegrityError

from citizen_card import errors
from citizen_card.db_rules import HOT_PATH_FOREIGN_KEYS
from citizen_card.models import Entry, Journal, LedgerAccount
from core import changes
from core.settings import get_settings

TOPUP_CLEARING = "system:topup_clearing"
FEES = "system:fees"


def local_today(now: datetime | None = None) -> date:
    """Today in the city's time zone (daily limits reset at local midnight)."""
    tz = ZoneInfo(get_settings().timezone)
    return (now.astimezone(tz) if now else datetime.now(tz)).date()


async def system_account(code: str) -> LedgerAccount:
    account = await LedgerAccount.get_or_none(code=code)
    if account is not None:
        return account
    try:
        return await LedgerAccount.create(code=code, kind="system")
    except IntegrityError:  # created by a concurrent caller
        return await LedgerAccount.get(code=code)


async def merchant_account(merchant_id: int) -> LedgerAccount:
    return await LedgerAccount.get(merchant_id=merchant_id)


async def lock_wallet(card_id: int) -> LedgerAccount:
    """The card's wallet, row-locked until the surrounding transaction ends (PostgreSQL)."""
    return await LedgerAccount.select_for_update().get(card_id=card_id)


async def find_journal(kind: str, reference: str) -> Journal | None:
    return await Journal.get_or_none(kind=kind, reference=reference)


async def post(
    kind: str, reference: str, legs: Sequence[tuple[LedgerAccount, int]], memo: str = ""
) -> Journal:
    """Write one journal with its legs. Call inside a transaction, with every wallet leg locked.

    A wallet leg that would take the balance below zero refuses with ``card.insufficient_balance``;
    the caller's transaction then rolls back, so nothing is half-written.
    """
    if sum(amount for _account, amount in legs) != 0 or any(amount == 0 for _a, amount in legs):
        raise ValueError(f"unbalanced or empty legs for {kind} {reference}: {legs}")
    balances: list[int | None] = []
    for account, amount in legs:
        if account.kind == "wallet":
            new_balance = account.balance + amount
            if new_balance < 0:
                raise errors.INSUFFICIENT(details={"balance": account.balance, "amount": -amount})
            account.balance = new_balance
            balances.append(new_balance)
        else:
            balances.append(None)
    journal = await Journal.create(kind=kind, reference=reference, memo=memo[:128])
    await Entry.bulk_create(
        [
            Entry(journal_id=journal.id, account_id=account.id, amount=amount, balance_after=after)
            for (account, amount), after in zip(legs, balances, strict=True)
        ]
    )
    for account, _amount in legs:
        if account.kind == "wallet":
            await LedgerAccount.filter(id=account.id).update(
                balance=account.balance, spent_day=account.spent_day, spent_today=account.spent_today
            )
            changes.publish("card", account.card_id)  # told to caches once the transaction commits
    return journal


async def balance_of(account: LedgerAccount) -> int:
    if account.kind == "wallet":
        return account.balance
    rows = await connections.get("default").execute_query_dict(
        'SELECT COALESCE(SUM("amount"), 0) AS total FROM "card_entry" WHERE "account_id" = $1'
        if is_postgres()
        else 'SELECT COALESCE(SUM("amount"), 0) AS total FROM "card_entry" WHERE "account_id" = ?',
        [account.id],
    )
    return int(rows[0]["total"])


def is_postgres() -> bool:
    return connections.get("default").capabilities.dialect == "postgres"


async def ledger_problems() -> list[str]:
    """Everything wrong with the ledger, as sentences (empty when it balances to the fen).

    Checks: every entry and debit names rows that exist (on PostgreSQL no foreign key does it, see
    db_rules.HOT_PATH_FOREIGN_KEYS), every journal has legs that sum to zero, the whole ledger sums
    to zero, every wallet's running balance equals the sum of its entries, is not negative, and
    matches the balance recorded on its latest entry.
    """
    conn = connections.get("default")
    problems: list[str] = []
    for table, _name, column, referenced in HOT_PATH_FOREIGN_KEYS:
        for row in await conn.execute_query_dict(
            f'SELECT x."id" AS id, x."{column}" AS missing FROM "{table}" x '
            f'WHERE NOT EXISTS (SELECT 1 FROM "{referenced}" r WHERE r."id" = x."{column}")'
        ):
            problems.append(f"{table} {row['id']}: {column} {row['missing']} names no row of {referenced}")
    for row in await conn.execute_query_dict(
        'SELECT j."id" AS id, COUNT(e."id") AS legs, COALESCE(SUM(e."amount"), 0) AS total '
        'FROM "card_journal" j LEFT JOIN "card_entry" e ON e."journal_id" = j."id" '
        'GROUP BY j."id" HAVING COALESCE(SUM(e."amount"), 0) <> 0 OR COUNT(e."id") < 2'
    ):
        problems.append(f"journal {row['id']}: {row['legs']} legs summing to {row['total']}")
    total = await conn.execute_query_dict('SELECT COALESCE(SUM("amount"), 0) AS total FROM "card_entry"')
    if int(total[0]["total"]) != 0:
        problems.append(f"ledger sums to {total[0]['total']}, not 0")
    for row in await conn.execute_query_dict(
        'SELECT a."id" AS id, a."balance" AS balance, COALESCE(SUM(e."amount"), 0) AS total '
        'FROM "card_account" a LEFT JOIN "card_entry" e ON e."account_id" = a."id" '
        "WHERE a.\"kind\" = 'wallet' GROUP BY a.\"id\", a.\"balance\" "
        'HAVING a."balance" <> COALESCE(SUM(e."amount"), 0) OR a."balance" < 0'
    ):
        problems.append(f"wallet {row['id']}: balance {row['balance']} but entries sum to {row['total']}")
    for row in await conn.execute_query_dict(
        'SELECT a."id" AS id, a."balance" AS balance, e."balance_after" AS after '
        'FROM "card_account" a JOIN "card_entry" e ON e."id" = '
        '(SELECT MAX(x."id") FROM "card_entry" x WHERE x."account_id" = a."id") '
        "WHERE a.\"kind\" = 'wallet' AND a.\"balance\" <> e.\"balance_after\""
    ):
        problems.append(f"wallet {row['id']}: balance {row['balance']} but latest entry says {row['after']}")
    for row in await conn.execute_query_dict(
        'SELECT a."id" AS id FROM "card_account" a JOIN "card_card" c ON c."id" = a."card_id" '
        "WHERE a.\"spendable\" <> (c.\"state\" = 'active')"
    ):
        problems.append(f"wallet {row['id']}: spendable flag disagrees with its card's state")
    return problems
