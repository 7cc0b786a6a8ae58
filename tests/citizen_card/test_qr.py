"""Dynamic QR tokens: format, offline verification with the published keys, refusals, images."""

from __future__ import annotations

import base64
import time

import pytest

from citizen_card import qr
from citizen_card.numbers import is_valid_card_number, new_card_number
from core.errors import AppError


def test_card_numbers_carry_a_luhn_check_digit():
    number = new_card_number("8643")
    assert len(number) == 19 and number.startswith("8643") and is_valid_card_number(number)
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    assert not is_valid_card_number(wrong)
    # Luhn catches every adjacent transposition except 09 <-> 90 (a known blind spot).
    for i in range(4, 17):
        a, b = number[i], number[i + 1]
        if a != b and {a, b} != {"0", "9"}:
            swapped = number[:i] + b + a + number[i + 2 :]
            assert not is_valid_card_number(swapped), swapped


async def _published_keys(client) -> dict[str, bytes]:
    response = await client.get("/card/keys")  # public: no credentials
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=300"
    keys = response.json()["keys"]
    assert keys and all(k["alg"] == "Ed25519" for k in keys)
    return {k["kid"]: base64.urlsafe_b64decode(k["public_key"] + "==") for k in keys}


async def test_token_verifies_offline_with_fetched_keys(client, card_holder):
    keys = await _published_keys(client)
    response = await client.post("/card/qr", headers=card_holder.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    token = body["token"]
    assert token.startswith("ZSC1.") and len(token) == 129
    # From here on no network: the terminal has only the keys and a clock.
    claims = qr.verify_offline(token, keys)
    assert claims.kid == body["kid"] and claims.counter == body["counter"]
    assert 55 <= claims.expires_at - time.time() <= 61
    second = (await client.post("/card/qr", headers=card_holder.headers)).json()
    assert second["counter"] == body["counter"] + 1 and second["token"] != token


async def _token(client, holder) -> str:
    return (await client.post("/card/qr", headers=holder.headers)).json()["token"]


async def test_expired_token_refused_offline(client, card_holder):
    keys = await _published_keys(client)
    token = await _token(client, card_holder)
    with pytest.raises(AppError) as caught:
        qr.verify_offline(token, keys, now=time.time() + 61)
    assert caught.value.code == "card.qr.expired"


async def test_tampered_token_refused_offline(client, card_holder):
    keys = await _published_keys(client)
    token = await _token(client, card_holder)
    raw = bytearray(base64.urlsafe_b64decode(token[5:] + "=="))
    raw[20] ^= 0x01  # flip a bit of the counter
    tampered = "ZSC1." + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    with pytest.raises(AppError) as caught:
        qr.verify_offline(tampered, keys)
    assert caught.value.code == "card.qr.bad_signature"
    for junk in ("", "ZSC1.", "ZSC1.!!!!", "XYZ." + token[5:], token[:-4], token + "AAAA"):
        with pytest.raises(AppError) as caught:
            qr.verify_offline(junk, keys)
        assert caught.value.code == "card.qr.malformed", junk


async def test_unknown_key_refused_and_rotation_keeps_old_tokens_valid(client, card_holder, settings):
    old_token = await _token(client, card_holder)
    with pytest.raises(AppError) as caught:
        qr.verify_offline(old_token, {})
    assert caught.value.code == "card.qr.unknown_key"
    old_kid = qr.load_keyring().signing_kid
    new_kid = qr.rotate_local_key(settings.var_dir)
    try:
        keys = await _published_keys(client)
        assert {old_kid, new_kid} <= set(keys)
        new_token = await _token(client, card_holder)
        assert qr.verify_offline(new_token, keys).kid == new_kid
        assert qr.verify_offline(old_token, keys).kid == old_kid
    finally:
        qr.load_keyring.cache_clear()


async def test_qr_image_rendered(client, card_holder):
    svg = (await client.post("/card/qr?image=svg", headers=card_holder.headers)).json()["image"]
    assert svg.startswith("data:image/svg+xml;base64,")
    assert b"<svg" in base64.b64decode(svg.split(",", 1)[1])
    png = (await client.post("/card/qr?image=png", headers=card_holder.headers)).json()["image"]
    assert base64.b64decode(png.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    bad = await client.post("/card/qr?image=gif", headers=card_holder.headers)
    assert bad.status_code == 400


async def test_frozen_card_gets_no_token(client, card_holder):
    assert (await client.post("/card/loss", headers=card_holder.headers)).status_code == 200
    response = await client.post("/card/qr", headers=card_holder.headers)
    assert response.status_code == 409 and response.json()["code"] == "card.not_active"


async def test_public_api_for_the_bff(client, card_holder):
    from citizen_card import api

    summary = await api.card_summary(card_holder.account_id)
    assert summary["state"] == "active" and summary["balance"] == 0 and "****" in summary["number"]
    issued = await api.payment_qr(card_holder.account_id, image="svg")
    assert issued["token"].startswith("ZSC1.") and issued["image"].startswith("data:image/svg+xml;base64,")
    assert await api.card_summary(10**9) is None
    from citizen_card import plugin

    plugin.zhushida_startup(app=None)  # keys load at start-up (production without keys stops here)


def test_production_refuses_to_sign_without_configured_keys(settings):
    from pydantic import SecretStr

    from citizen_card.config import CardSettings
    from core.settings import ConfigurationError

    production = settings.model_copy(update={"env": "production"})
    with pytest.raises(ConfigurationError):
        qr.keyring_from(CardSettings(qr_signing_keys=None), production)
    seeds = ",".join(base64.b64encode(bytes([n]) * 32).decode() for n in (1, 2))
    ring = qr.keyring_from(CardSettings(qr_signing_keys=SecretStr(seeds)), production)
    assert len(ring.public) == 2 and ring.signing_kid == list(ring.public)[0]
    for bad in ("not-base64!", base64.b64encode(b"short").decode()):
        with pytest.raises(ConfigurationError):
            qr.keyring_from(CardSettings(qr_signing_keys=SecretStr(bad)), production)
