"""Paying at a terminal: offline-verified QR, signed requests, idempotency, refunds, and every
refusal of the issue's bad-input list leaving the money exactly where it was."""

from __future__ import annotations

import base64
import time

import pytest

from citizen_card import qr
from citizen_card.models import Debit, Entry, Journal, LedgerAccount, Refund
from tests.citizen_card.helpers import assert_refused, balance, fund, make_terminal
from tests.support.auth import make_citizen


async def _token(client, holder) -> str:
    response = await client.post("/card/qr", headers=holder.headers)
    assert response.status_code == 200, response.text
    return response.json()["token"]


@pytest.fixture
async def payer(client, card_holder):
    await fund(card_holder.account_id, 10_000)
    return card_holder


async def _money_snapshot() -> tuple[int, int, int]:
    return await Journal.all().count(), await Entry.all().count(), await Debit.all().count()


async def test_pay_with_offline_verified_qr(client, payer, terminal):
    keys = {k["kid"]: base64.urlsafe_b64decode(k["public_key"] + "==")
            for k in (await client.get("/card/keys")).json()["keys"]}
    token = await _token(client, payer)
    claims = qr.verify_offline(token, keys)  # the terminal's own check, no network
    response = await terminal.debit(token, 1_250, txn_id="POS-0001")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["amount"] == 1_250 and body["status"] == "succeeded" and body["replayed"] is False
    assert body["card"].endswith(claims.card_number[-4:]) and "****" in body["card"]
    assert await balance(payer.account_id) == 8_750
    merchant = await LedgerAccount.get(merchant_id=terminal.merchant_id)
    assert sum(await Entry.filter(account_id=merchant.id).values_list("amount", flat=True)) == 1_250
    looked_up = await terminal.request("GET", "/card/terminal/debits/POS-0001")
    assert looked_up.status_code == 200 and looked_up.json()["debit_id"] == body["debit_id"]


async def test_retry_with_same_txn_id_answers_the_original(client, payer, terminal):
    token = await _token(client, payer)
    first = await terminal.debit(token, 500, txn_id="POS-7")
    retry = await terminal.debit(token, 500, txn_id="POS-7")
    assert retry.status_code == 200 and retry.json()["replayed"] is True
    assert retry.json()["debit_id"] == first.json()["debit_id"]
    assert await balance(payer.account_id) == 9_500


async def test_same_txn_id_with_different_amount_refused(client, payer, terminal):
    token = await _token(client, payer)
    await terminal.debit(token, 500, txn_id="POS-8")
    before = await _money_snapshot()
    assert_refused(await terminal.debit(token, 600, txn_id="POS-8"), 409, "card.txn_conflict")
    assert_refused(await terminal.debit(await _token(client, payer), 500, txn_id="POS-8"), 409, "card.txn_conflict")
    assert await _money_snapshot() == before and await balance(payer.account_id) == 9_500


async def test_replayed_token_refused(client, payer, terminal):
    token = await _token(client, payer)
    assert (await terminal.debit(token, 100)).status_code == 201
    before = await _money_snapshot()
    assert_refused(await terminal.debit(token, 100), 409, "card.qr.replayed")
    other_shop = await make_terminal(client, "公交集团", "91430200MA4L16XK26")
    assert_refused(await other_shop.debit(token, 100), 409, "card.qr.replayed")
    assert await _money_snapshot() == before and await balance(payer.account_id) == 9_900


async def test_expired_and_tampered_tokens_refused(client, payer, terminal):
    card = await qr.Card.get(holder_id=payer.account_id)
    stale = await qr.issue_token(card, now=time.time() - 120)
    before = await _money_snapshot()
    assert_refused(await terminal.debit(stale.token, 100), 400, "card.qr.expired")
    raw = bytearray(base64.urlsafe_b64decode((await _token(client, payer))[5:] + "=="))
    raw[40] ^= 0xFF  # inside the signature
    tampered = "ZSC1." + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    assert_refused(await terminal.debit(tampered, 100), 400, "card.qr.bad_signature")
    assert_refused(await terminal.debit("not a token", 100), 400, "card.qr.malformed")
    assert await _money_snapshot() == before and await balance(payer.account_id) == 10_000


async def test_frozen_card_refused_even_with_a_token_from_before(client, payer, terminal):
    token = await _token(client, payer)
    await client.post("/card/loss", headers=payer.headers)
    assert_refused(await terminal.debit(token, 100), 409, "card.not_active")
    assert await balance(payer.account_id) == 10_000


async def test_old_card_token_refused_after_replacement(client, payer, terminal):
    token = await _token(client, payer)
    await client.post("/card/replace", headers=payer.headers)
    assert_refused(await terminal.debit(token, 100), 409, "card.not_active")
    fresh = await _token(client, payer)
    assert (await terminal.debit(fresh, 100)).status_code == 201
    assert await balance(payer.account_id) == 9_900


async def test_insufficient_balance_and_limits(client, payer, terminal):
    before = await _money_snapshot()
    assert_refused(await terminal.debit(await _token(client, payer), 10_001), 402, "card.insufficient_balance")
    await fund(payer.account_id, 400_000)
    assert_refused(await terminal.debit(await _token(client, payer), 50_001), 422, "card.over_payment_limit")
    for _ in range(4):
        assert (await terminal.debit(await _token(client, payer), 50_000)).status_code == 201
    assert_refused(await terminal.debit(await _token(client, payer), 1), 422, "card.over_daily_limit")
    assert await Debit.all().count() == before[2] + 4
    assert await balance(payer.account_id) == 210_000
    for bad in (0, -5, 2**63, 10**13):
        assert_refused(await terminal.debit(await _token(client, payer), bad), 400, "card.amount_invalid")
    assert_refused(await terminal.debit(await _token(client, payer), 2**70), 400, "card.amount_invalid")
    assert_refused(await terminal.refund(10**13, debit_id=1), 400, "card.amount_invalid")
    lowered = await client.put("/card/limits", json={"per_payment": 100}, headers=payer.headers)
    assert lowered.status_code == 200


async def test_bad_signature_stale_timestamp_reused_nonce(client, payer, terminal):
    token = await _token(client, payer)
    body = {"txn_id": "X1", "amount": 100, "qr_token": token}
    assert_refused(await terminal.request("POST", "/card/terminal/debits", body, secret="forged-secret"),
                   401, "card.terminal.unauthenticated")
    assert_refused(await terminal.request("POST", "/card/terminal/debits", body, ts=int(time.time()) - 301),
                   401, "card.terminal.stale_timestamp")
    assert_refused(await terminal.request("POST", "/card/terminal/debits", body, ts=int(time.time()) + 301),
                   401, "card.terminal.stale_timestamp")
    nonce = "n0nce-0123456789abcdef"
    assert (await terminal.request("POST", "/card/terminal/debits", body, nonce=nonce)).status_code == 201
    assert_refused(await terminal.request("POST", "/card/terminal/debits", body, nonce=nonce),
                   401, "card.terminal.nonce_reused")
    # The body is covered: a signature over another body does not fit.
    raw = b'{"txn_id": "X2", "amount": 9999, "qr_token": "' + token.encode() + b'"}'
    from citizen_card.terminals import sign_for

    header = sign_for(terminal.key_id, terminal.secret, "POST", "/card/terminal/debits", b"{}")
    response = await client.post("/card/terminal/debits", content=raw,
                                 headers={"Authorization": header, "Content-Type": "application/json"})
    assert_refused(response, 401, "card.terminal.unauthenticated")
    assert_refused(await client.post("/card/terminal/debits", json=body,
                                     headers={"Authorization": "ZSC-HMAC-SHA256 key_id=x"}),
                   401, "card.terminal.unauthenticated")
    # A citizen token cannot take payments.
    assert_refused(await client.post("/card/terminal/debits", json=body, headers=payer.headers), 403, "auth.forbidden")
    assert await balance(payer.account_id) == 9_900


async def test_disabled_terminal_refused(client, payer, terminal):
    from citizen_card.models import Terminal

    await Terminal.filter(id=terminal.terminal_id).update(state="disabled")
    assert_refused(await terminal.debit(await _token(client, payer), 100), 403, "card.terminal.disabled")


async def test_refunds_partial_then_too_much(client, payer, terminal):
    token = await _token(client, payer)
    paid = (await terminal.debit(token, 3_000, txn_id="SALE-1")).json()
    first = await terminal.refund(1_000, txn_id="R-1", original_txn_id="SALE-1")
    assert first.status_code == 201, first.text
    assert first.json()["debit_refunded_total"] == 1_000
    again = await terminal.refund(1_000, txn_id="R-1", original_txn_id="SALE-1")
    assert again.status_code == 200 and again.json()["replayed"] is True
    assert_refused(await terminal.refund(1_500, txn_id="R-1", original_txn_id="SALE-1"), 409, "card.txn_conflict")
    assert_refused(await terminal.refund(2_001, txn_id="R-2", debit_id=paid["debit_id"]), 422, "card.refund_exceeds_debit")
    assert (await terminal.refund(2_000, txn_id="R-3", debit_id=paid["debit_id"])).status_code == 201
    assert await balance(payer.account_id) == 10_000
    assert await Refund.all().count() == 2
    other_shop = await make_terminal(client, "药店", "91430200MA4L16XK26")
    assert_refused(await other_shop.refund(1, debit_id=paid["debit_id"]), 404, "card.debit_not_found")
    assert_refused(await terminal.refund(1, debit_id=2**70), 404, "card.debit_not_found")
    assert_refused(await terminal.refund(1), 404, "card.debit_not_found")
    page = await client.get(f"/card/transactions?before_id={2**70}", headers=payer.headers)
    assert page.status_code == 200 and len(page.json()["items"]) == 4


async def test_refund_after_replacement_reaches_the_new_card(client, payer, terminal):
    paid = (await terminal.debit(await _token(client, payer), 2_000)).json()
    await client.post("/card/replace", headers=payer.headers)
    assert (await terminal.refund(2_000, debit_id=paid["debit_id"])).status_code == 201
    assert await balance(payer.account_id) == 10_000


async def test_debit_of_someone_elses_card_only_with_their_token(client, payer, terminal):
    stranger = await make_citizen(level=2)
    await client.post("/card", headers=stranger.headers)
    assert_refused(await client.post("/card/qr", headers=(await make_citizen(level=2)).headers), 404, "card.not_found")
    token = await _token(client, stranger)
    assert_refused(await terminal.debit(token, 100), 402, "card.insufficient_balance")
    assert await balance(payer.account_id) == 10_000


async def _seen_then_changed(client, payer, terminal, **change) -> tuple[int, int, int]:
    """Pay once (the app now keeps its copy of the terminal), then change the terminal or its
    merchant behind that copy - as an operator working through another app process would."""
    from citizen_card.models import Merchant, Terminal

    assert (await terminal.debit(await _token(client, payer), 100, txn_id="SEEN-1")).status_code == 201
    if "merchant_state" in change:
        await Merchant.filter(id=terminal.merchant_id).update(state=change["merchant_state"])
    else:
        await Terminal.filter(id=terminal.terminal_id).update(**change)
    return await _money_snapshot()


@pytest.mark.parametrize("change", [{"state": "disabled"}, {"merchant_state": "disabled"}])
async def test_disable_seen_at_once_by_every_terminal_route(client, payer, terminal, change):
    before = await _seen_then_changed(client, payer, terminal, **change)
    assert_refused(await terminal.debit(await _token(client, payer), 100), 403, "card.terminal.disabled")
    # A retry of the debit that succeeded, a look-up and a refund are refused as well.
    assert_refused(await terminal.debit(await _token(client, payer), 100, txn_id="SEEN-1"), 403,
                   "card.terminal.disabled")
    assert_refused(await terminal.request("GET", "/card/terminal/debits/SEEN-1"), 403, "card.terminal.disabled")
    assert_refused(await terminal.refund(100, original_txn_id="SEEN-1"), 403, "card.terminal.disabled")
    assert_refused(await terminal.debit("ZSC1.not-a-token", 100), 403, "card.terminal.disabled")
    assert await _money_snapshot() == before and await balance(payer.account_id) == 9_900


async def test_enabled_again_pays_again(client, payer, terminal):
    await _seen_then_changed(client, payer, terminal, state="disabled")
    assert_refused(await terminal.debit(await _token(client, payer), 100), 403, "card.terminal.disabled")
    from citizen_card.models import Terminal

    await Terminal.filter(id=terminal.terminal_id).update(state="active")
    assert (await terminal.debit(await _token(client, payer), 100)).status_code == 201
    assert await balance(payer.account_id) == 9_800


async def test_rotated_secret_seen_at_once(client, payer, terminal):
    from citizen_card.terminals import terminal_secret

    before = await _seen_then_changed(client, payer, terminal, secret_version=2)
    # The old secret still fits the app's copy, but the debit statement / the check refuses it.
    assert_refused(await terminal.debit(await _token(client, payer), 100), 401, "card.terminal.unauthenticated")
    assert_refused(await terminal.request("GET", "/card/terminal/debits/SEEN-1"), 401, "card.terminal.unauthenticated")
    assert await _money_snapshot() == before
    terminal.secret = terminal_secret(terminal.key_id, 2)
    assert (await terminal.debit(await _token(client, payer), 100)).status_code == 201
    assert (await terminal.request("GET", "/card/terminal/debits/SEEN-1")).status_code == 200
    assert await balance(payer.account_id) == 9_800
