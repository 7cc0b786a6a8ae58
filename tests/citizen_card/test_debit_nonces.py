"""The debit route records its request nonce itself (in the debit statement on PostgreSQL, through
the nonce store on SQLite). Whatever answer a signed debit request got - paid, refused for the
balance, refused before the statement, refused for the terminal - the very same request sent again
is a replay, and nothing it could now be worth is paid. The card ledger is append-only."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from tortoise import connections
from tortoise.exceptions import IntegrityError

from citizen_card import debits, qr
from citizen_card.db_rules import APPEND_ONLY_TABLES
from citizen_card.ledger import ledger_problems
from citizen_card.models import Card, Debit, DebitNonce, Journal, Terminal
from core.tasks import run_now
from tests.citizen_card.helpers import assert_refused, balance, fund
from tests.conftest import BACKEND

NONCE = "replay-0123456789abcdef"


async def _token(client, holder) -> str:
    response = await client.post("/card/qr", headers=holder.headers)
    assert response.status_code == 200, response.text
    return response.json()["token"]


def _signed_twice(terminal, body):
    """Send the same request (same timestamp, nonce and body) again: a replay."""
    ts = int(time.time())

    async def send():
        return await terminal.request("POST", "/card/terminal/debits", body, ts=ts, nonce=NONCE)

    return send


async def test_a_request_refused_for_the_balance_is_not_paid_when_replayed_after_a_top_up(client, card_holder, terminal):
    send = _signed_twice(terminal, {"txn_id": "R-1", "amount": 3_000, "qr_token": await _token(client, card_holder)})
    assert_refused(await send(), 402, "card.insufficient_balance")
    await fund(card_holder.account_id, 10_000)
    assert_refused(await send(), 401, "card.terminal.nonce_reused")
    assert await balance(card_holder.account_id) == 10_000 and await Debit.all().count() == 0
    # The terminal asks again, signing anew: that is a new request, and it pays.
    again = await terminal.debit((await _token(client, card_holder)), 3_000, txn_id="R-1")
    assert again.status_code == 201, again.text
    assert await balance(card_holder.account_id) == 7_000


async def test_a_request_refused_before_the_statement_stays_refused(client, card_holder, terminal):
    await fund(card_holder.account_id, 10_000)
    card = await Card.get(holder_id=card_holder.account_id)
    stale = await qr.issue_token(card, now=time.time() - 120)
    send = _signed_twice(terminal, {"txn_id": "E-1", "amount": 100, "qr_token": stale.token})
    assert_refused(await send(), 400, "card.qr.expired")
    assert_refused(await send(), 401, "card.terminal.nonce_reused")
    assert await balance(card_holder.account_id) == 10_000


async def test_a_disabled_terminals_request_is_not_paid_once_it_is_enabled_again(client, card_holder, terminal):
    await fund(card_holder.account_id, 10_000)
    send = _signed_twice(terminal, {"txn_id": "D-1", "amount": 100, "qr_token": await _token(client, card_holder)})
    await Terminal.filter(id=terminal.terminal_id).update(state="disabled")
    assert_refused(await send(), 403, "card.terminal.disabled")
    await Terminal.filter(id=terminal.terminal_id).update(state="active")
    assert_refused(await send(), 401, "card.terminal.nonce_reused")
    assert await balance(card_holder.account_id) == 10_000 and await Debit.all().count() == 0


async def test_a_retry_answered_from_the_first_debit_is_itself_a_request_once(client, card_holder, terminal):
    await fund(card_holder.account_id, 10_000)
    token = await _token(client, card_holder)
    assert (await terminal.debit(token, 500, txn_id="T-1")).status_code == 201
    # A retry under a new nonce gets the original answer (the statement rolled back on the used
    # txn id; the retry's nonce is recorded all the same) - and sent twice, the second is a replay.
    send = _signed_twice(terminal, {"txn_id": "T-1", "amount": 500, "qr_token": token})
    retried = await send()
    assert retried.status_code == 200 and retried.json()["replayed"] is True
    assert_refused(await send(), 401, "card.terminal.nonce_reused")
    assert await balance(card_holder.account_id) == 9_500


async def test_where_the_nonce_is_kept(client, card_holder, terminal):
    await fund(card_holder.account_id, 10_000)
    send = _signed_twice(terminal, {"txn_id": "K-1", "amount": 100, "qr_token": await _token(client, card_holder)})
    assert (await send()).status_code == 201
    kept = await DebitNonce.all().values_list("key", flat=True)
    if BACKEND == "services":  # in the debit statement itself, no Redis command per payment
        assert kept == [f"{terminal.terminal_id}:{NONCE}"]
    else:  # the nonce store, as every other terminal route
        assert kept == []


async def test_old_nonces_are_purged_by_the_periodic_task(database, host, settings):
    periodic = {p.name: p for _plugin, p in host.collect("zhushida_periodic_tasks", settings=settings)}
    assert periodic["card.purge_debit_nonces"].every_seconds == 60
    now = datetime.now(UTC)
    window = timedelta(seconds=2 * qr.get_card_settings().signature_max_skew_seconds + 1)
    await DebitNonce.create(key="1:old-nonce-0123456789", seen_at=now - window - timedelta(seconds=5))
    await DebitNonce.create(key="1:new-nonce-0123456789", seen_at=now - window + timedelta(seconds=30))
    assert await run_now("card.purge_debit_nonces") == 1
    assert await DebitNonce.all().values_list("key", flat=True) == ["1:new-nonce-0123456789"]
    assert await debits.purge_debit_nonces(now=now + timedelta(seconds=60)) == 1


async def test_the_ledger_is_append_only(client, card_holder, terminal):
    await fund(card_holder.account_id, 10_000)
    assert (await terminal.debit(await _token(client, card_holder), 100)).status_code == 201
    if BACKEND == "services":
        for table in APPEND_ONLY_TABLES:
            with pytest.raises(IntegrityError, match="append-only"):
                await connections.get("default").execute_query(f'DELETE FROM "{table}"')
    else:  # SQLite keeps the foreign keys: a row the ledger names cannot go
        with pytest.raises(IntegrityError):
            await Journal.all().delete()
        with pytest.raises(IntegrityError):
            await Card.all().delete()
    assert await balance(card_holder.account_id) == 9_900 and await Debit.all().count() == 1


@pytest.mark.skipif(BACKEND != "services", reason="SQLite keeps the foreign keys (see db_rules)")
async def test_a_debit_naming_a_missing_card_is_reported(client, card_holder, terminal):
    await fund(card_holder.account_id, 10_000)
    assert (await terminal.debit(await _token(client, card_holder), 100)).status_code == 201
    conn = connections.get("default")
    await conn.execute_query('UPDATE "card_debit" SET "card_id" = 987654321')
    assert any("card_debit" in p and "987654321" in p and "card_card" in p for p in await ledger_problems())
    await conn.execute_query('UPDATE "card_debit" SET "card_id" = $1',
                             [(await Card.get(holder_id=card_holder.account_id)).id])
    assert await ledger_problems() == []
