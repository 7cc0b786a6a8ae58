"""The integration guide cannot drift: its verification sample runs against real tokens, and its
refusal table names every terminal-facing error code the package defines."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from citizen_card import errors as card_errors
from citizen_card import qr
from citizen_card.models import Card

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "citizen-card.md"


def _sample_verify():
    code = re.search(r"```python\n(.*?)```", GUIDE.read_text(), re.S).group(1)
    namespace: dict = {}
    exec(compile(code, str(GUIDE), "exec"), namespace)
    return namespace["verify"]


async def test_guide_sample_verifies_a_real_token_and_refuses_a_forged_one(client, card_holder):
    verify = _sample_verify()
    keys = {k["kid"]: base64.urlsafe_b64decode(k["public_key"] + "==")
            for k in (await client.get("/card/keys")).json()["keys"]}
    token = (await client.post("/card/qr", headers=card_holder.headers)).json()["token"]
    card = await Card.get(holder_id=card_holder.account_id)
    assert verify(token, keys) == (card.number, card.qr_counter)
    raw = bytearray(base64.urlsafe_b64decode(token[5:] + "=="))
    raw[10] ^= 1
    with pytest.raises(Exception):  # noqa: B017 - the sample raises cryptography's InvalidSignature
        verify("ZSC1." + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode(), keys)
    assert qr.TOKEN_LEN == 93


def test_guide_lists_the_terminal_refusals():
    text = GUIDE.read_text()
    codes = [spec.code for spec in vars(card_errors).values() if hasattr(spec, "code")]
    terminal_facing = [c for c in codes if c.startswith(("card.qr.", "card.terminal.")) or c in (
        "card.insufficient_balance", "card.over_payment_limit", "card.over_daily_limit", "card.txn_conflict",
        "card.refund_exceeds_debit", "card.debit_not_found", "card.amount_invalid", "card.not_active")]
    missing = [c for c in terminal_facing if c not in text and not (c.startswith("card.terminal.") and "card.terminal.*" in text)]
    assert not missing
