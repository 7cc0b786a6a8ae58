"""What the citizen sees: transactions newest first (surviving a replacement) and the monthly
statement whose opening + in - out equals the closing balance to the fen."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from tests.citizen_card.helpers import assert_refused, balance, fund


async def _pay(client, holder, terminal, amount: int, txn_id: str) -> dict:
    token = (await client.post("/card/qr", headers=holder.headers)).json()["token"]
    response = await terminal.debit(token, amount, txn_id=txn_id)
    assert response.status_code == 201, response.text
    return response.json()


async def test_transactions_and_monthly_statement(client, card_holder, terminal):
    await fund(card_holder.account_id, 5_000, "ORDER-1")
    await _pay(client, card_holder, terminal, 1_200, "S1")
    await _pay(client, card_holder, terminal, 300, "S2")
    await terminal.refund(300, original_txn_id="S2")
    await client.post("/card/replace", headers=card_holder.headers)  # history follows the person
    await _pay(client, card_holder, terminal, 99, "S3")

    page = (await client.get("/card/transactions?limit=3", headers=card_holder.headers)).json()
    assert [line["kind"] for line in page["items"]] == ["debit", "refund", "debit"]
    assert page["items"][0]["amount"] == -99 and page["items"][0]["merchant"] == "社区超市"
    assert page["items"][0]["title"] == "消费" and page["items"][0]["title_en"] == "Payment"
    rest = (await client.get(f"/card/transactions?before_id={page['next_before_id']}",
                             headers=card_holder.headers)).json()
    assert [line["kind"] for line in rest["items"]] == ["debit", "topup"] and rest["next_before_id"] is None

    month = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    statement = (await client.get(f"/card/statements/{month}", headers=card_holder.headers)).json()
    assert statement["opening_balance"] == 0
    assert statement["money_in"] == 5_300 and statement["money_out"] == 1_599
    assert statement["closing_balance"] == 3_701 == await balance(card_holder.account_id)
    assert statement["by_kind"] == {"topup": 5_000, "debit": -1_599, "refund": 300}
    assert len(statement["lines"]) == 5

    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    next_month = f"{now.year + now.month // 12}-{now.month % 12 + 1:02d}"
    later = (await client.get(f"/card/statements/{next_month}", headers=card_holder.headers)).json()
    assert later["opening_balance"] == later["closing_balance"] == 3_701 and later["lines"] == []

    empty = (await client.get("/card/statements/2020-01", headers=card_holder.headers)).json()
    assert empty["lines"] == [] and empty["closing_balance"] == 0
    for bad in ("2026-13", "2026-1", "last-month", "202601"):
        assert_refused(await client.get(f"/card/statements/{bad}", headers=card_holder.headers), 400, "card.month_invalid")
