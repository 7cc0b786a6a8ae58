"""The card's life over HTTP: issue, one live card, loss report (also by a relative), unfreeze,
replacement keeping the balance, cancellation, physical card binding."""

from __future__ import annotations

import pytest
from tortoise.exceptions import IntegrityError

from citizen_card.models import Card, CardEvent, LedgerAccount
from citizen_card.numbers import is_valid_card_number
from tests.citizen_card.helpers import assert_refused, balance, fund
from tests.support.auth import grant_proxy, make_citizen, make_operator


async def test_issue_card_at_level_two(client, citizen):
    response = await client.post("/card", headers=citizen.headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["state"] == "active" and body["balance"] == 0
    assert "****" in body["number"] and len(body["last4"]) == 4
    card = await Card.get(holder_id=citizen.account_id)
    assert is_valid_card_number(card.number) and body["number"].endswith(card.number[-4:])
    assert (await client.get("/card", headers=citizen.headers)).json()["id"] == card.id
    assert await CardEvent.filter(card_id=card.id, action="issued").count() == 1


async def test_level_one_and_staff_refused(client):
    weak = await make_citizen(level=1)
    assert_refused(await client.post("/card", headers=weak.headers), 403, "identity.level_too_low")
    operator = await make_operator()
    assert_refused(await client.post("/card", headers=operator.headers), 403, "auth.forbidden")
    assert_refused(await client.post("/card"), 401, "auth.required")
    assert await Card.all().count() == 0


async def test_one_live_card_per_person(client, card_holder):
    assert_refused(await client.post("/card", headers=card_holder.headers), 409, "card.already_issued")
    # The database refuses it too, whatever the code above does.
    with pytest.raises(IntegrityError):
        await Card.create(number="8643000000000000000", holder_id=card_holder.account_id)
    assert await Card.filter(holder_id=card_holder.account_id).count() == 1


async def test_balance_can_never_go_negative_in_the_database(client, card_holder):
    card = await Card.get(holder_id=card_holder.account_id)
    with pytest.raises(IntegrityError):
        await LedgerAccount.filter(card_id=card.id).update(balance=-1)
    with pytest.raises(IntegrityError):
        await Card.filter(id=card.id).update(state="lost")


async def test_loss_report_freezes_at_once_and_unfreeze(client, card_holder):
    response = await client.post("/card/loss", headers=card_holder.headers)
    assert response.status_code == 200 and response.json()["state"] == "frozen"
    again = await client.post("/card/loss", headers=card_holder.headers)  # harmless twice
    assert again.status_code == 200 and again.json()["state"] == "frozen"
    assert (await client.get("/card", headers=card_holder.headers)).json()["state"] == "frozen"
    assert (await client.post("/card/unfreeze", headers=card_holder.headers)).json()["state"] == "active"
    assert_refused(await client.post("/card/unfreeze", headers=card_holder.headers), 409, "card.not_frozen")


async def test_relative_with_proxy_grant_reports_loss_but_nothing_else(client, card_holder):
    son = await make_citizen(level=2, name="张小三")
    acting = await grant_proxy(card_holder, son)
    response = await client.post("/card/loss", headers=acting.headers)
    assert response.status_code == 200, response.text
    card = await Card.get(holder_id=card_holder.account_id)
    assert card.state == "frozen"
    event = await CardEvent.get(card_id=card.id, action="frozen")
    assert event.actor_id == son.account_id and event.on_behalf_of == card_holder.account_id
    events = (await client.get("/card/events", headers=card_holder.headers)).json()
    assert [(e["action"], e["by"]) for e in events] == [("frozen", "proxy"), ("issued", "self")]
    assert events[0]["title"] == "挂失冻结"
    assert_refused(await client.get("/card/events", headers=acting.headers), 403, "auth.forbidden")
    assert_refused(await client.post("/card/replace", headers=acting.headers), 403, "card.proxy_not_allowed")
    assert_refused(await client.post("/card/unfreeze", headers=acting.headers), 403, "card.proxy_not_allowed")
    assert_refused(await client.post("/card/qr", headers=acting.headers), 403, "auth.forbidden")
    assert_refused(await client.get("/card/transactions", headers=acting.headers), 403, "auth.forbidden")
    # The son has no card of his own: his own session finds none.
    assert_refused(await client.post("/card/loss", headers=son.headers), 404, "card.not_found")


async def test_proxy_grant_not_covering_the_card_is_refused(client, card_holder):
    daughter = await make_citizen(level=2, name="张小四")
    acting = await grant_proxy(card_holder, daughter, scope=["430000-SB-001"])
    assert_refused(await client.post("/card/loss", headers=acting.headers), 403, "auth.forbidden")
    covered = await grant_proxy(card_holder, await make_citizen(level=2), scope=["citizen_card.report_loss"])
    assert (await client.post("/card/loss", headers=covered.headers)).status_code == 200


async def test_replace_issues_new_number_and_keeps_the_balance(client, card_holder):
    await fund(card_holder.account_id, 12_345)
    old = await Card.get(holder_id=card_holder.account_id)
    await client.post("/card/loss", headers=card_holder.headers)
    response = await client.post("/card/replace", headers=card_holder.headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["state"] == "active" and body["balance"] == 12_345
    new = await Card.get(id=body["id"])
    old = await Card.get(id=old.id)
    assert new.number != old.number and is_valid_card_number(new.number)
    assert old.state == "cancelled" and old.replaced_by_id == new.id and new.replaces_id == old.id
    assert (await LedgerAccount.get(card_id=old.id)).balance == 0
    assert await balance(card_holder.account_id) == 12_345


async def test_cancel_needs_zero_balance(client, card_holder):
    await fund(card_holder.account_id, 100)
    assert_refused(await client.post("/card/cancel", headers=card_holder.headers), 409, "card.balance_not_zero")
    other = await make_citizen(level=2)
    await client.post("/card", headers=other.headers)
    response = await client.post("/card/cancel", headers=other.headers)
    assert response.status_code == 200 and response.json()["state"] == "cancelled"
    assert_refused(await client.get("/card", headers=other.headers), 404, "card.not_found")
    assert (await client.post("/card", headers=other.headers)).status_code == 201  # may start again


async def test_bind_physical_card_keeps_no_full_number(client, card_holder):
    number = "6217002430009876542"  # Luhn-valid test PAN
    response = await client.put("/card/physical", json={"number": number}, headers=card_holder.headers)
    assert response.status_code == 200, response.text
    assert response.json()["physical_card"] == "621700*********6542"
    card = await Card.get(holder_id=card_holder.account_id)
    assert number not in (card.physical_masked, card.physical_hash)
    other = await make_citizen(level=2)
    await client.post("/card", headers=other.headers)
    assert_refused(await client.put("/card/physical", json={"number": number}, headers=other.headers),
                   409, "card.physical_number_taken")
    assert_refused(await client.put("/card/physical", json={"number": "6217002430009876543"}, headers=other.headers),
                   400, "card.physical_number_invalid")
    assert_refused(await client.put("/card/physical", json={"number": number, "x": 1}, headers=other.headers),
                   400, "request.invalid")
    unbound = await client.delete("/card/physical", headers=card_holder.headers)
    assert unbound.json()["physical_card"] is None


async def test_operator_registers_merchant_and_terminal(client):
    operator = await make_operator()
    r = await client.post("/card/admin/merchants", headers=operator.headers,
                          json={"name": "社区食堂", "credit_code": "91430200MA4L16XK26"})
    assert r.status_code == 201, r.text
    t = await client.post(f"/card/admin/merchants/{r.json()['id']}/terminals", headers=operator.headers,
                          json={"name": "窗口 1"})
    assert t.status_code == 201 and t.json()["secret"] and t.json()["scheme"] == "ZSC-HMAC-SHA256"
    rotated = await client.post(f"/card/admin/terminals/{t.json()['terminal_id']}/rotate-secret", headers=operator.headers)
    assert rotated.json()["secret"] != t.json()["secret"]
    disabled = await client.post(f"/card/admin/terminals/{t.json()['terminal_id']}/state", headers=operator.headers,
                                 json={"state": "disabled"})
    assert disabled.json()["state"] == "disabled"
    assert_refused(await client.post("/card/admin/merchants", headers=operator.headers,
                                     json={"name": "x", "credit_code": "91430200MA4L16XK2X"}), 400,
                   "card.merchant.credit_code_invalid")
    assert_refused(await client.post(f"/card/admin/merchants/{2**70}/terminals", headers=operator.headers,
                                     json={"name": "x"}), 404, "not_found")
    assert_refused(await client.post("/card/admin/terminals/999/state", headers=operator.headers,
                                     json={"state": "gone"}), 400, "request.invalid")
    citizen = await make_citizen(level=2)
    assert_refused(await client.post("/card/admin/merchants", headers=citizen.headers,
                                     json={"name": "x", "credit_code": "91430200MA4L16XK26"}), 403, "auth.forbidden")


async def test_limits_can_only_be_lowered(client, card_holder):
    response = await client.put("/card/limits", json={"per_payment": 1000}, headers=card_holder.headers)
    assert response.json()["limits"]["per_payment"] == 1000
    assert_refused(await client.put("/card/limits", json={"per_day": 10**9}, headers=card_holder.headers),
                   400, "card.amount_invalid")
