"""PII at rest: AES-GCM with associated data, key rotation (first key encrypts, all decrypt),
keyed-hash lookups across a rotation, and masks."""

from __future__ import annotations

import base64
import os

import pytest
from stdnum.cn import uscc

from core.errors import AppError
from core.identity import api as identity
from core.identity.accounts import COL_ID, COL_PHONE, find_by_id_number, find_by_phone
from core.identity.authority import add_population_record, get_authority
from core.identity.crypto import Cipher, get_cipher, use_data_keys
from core.identity.enterprises import add_business_record, claim
from core.identity.models import Account, PopulationRecord
from core.identity.pii import mask_id_number, mask_name, mask_phone
from core.identity.rotation import rotate_keys, stale_rows
from tests.support.auth import make_citizen

CREDIT_CODE = "91430281MA4L7K2P3" + uscc.calc_check_digit("91430281MA4L7K2P30")


def new_key(kid: str) -> str:
    return f"{kid}:{base64.b64encode(os.urandom(32)).decode()}"


def test_ciphertexts_are_bound_to_their_column_and_key():
    cipher = Cipher(new_key("a"))
    sealed = cipher.encrypt("430281199001011239", column=COL_ID)
    assert sealed.startswith("a$") and "1239" not in sealed
    assert cipher.decrypt(sealed, column=COL_ID) == "430281199001011239"
    assert cipher.encrypt("x", column=COL_ID) != cipher.encrypt("x", column=COL_ID)  # random nonce
    with pytest.raises(AppError) as moved:
        cipher.decrypt(sealed, column=COL_PHONE)  # pasted into another column
    assert moved.value.code == "identity.data_key_missing"
    tampered = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    with pytest.raises(AppError):
        cipher.decrypt(tampered, column=COL_ID)
    with pytest.raises(AppError):
        Cipher(new_key("b")).decrypt(sealed, column=COL_ID)  # key not configured
    # Hashes differ by column and by key; equal inputs give equal hashes.
    assert cipher.lookup_hash("1", column=COL_ID) != cipher.lookup_hash("1", column=COL_PHONE)
    assert cipher.lookup_hash("1", column=COL_ID) == cipher.lookup_hash("1", column=COL_ID)


def test_masks():
    assert mask_id_number("43028119900101123X") == "430***********123X"
    assert mask_phone("13812345678") == "138****5678"
    assert (mask_name("张三"), mask_name("张三丰"), mask_name("欧阳小明")) == (
        "张*",
        "张*丰",
        "欧**明",
    )
    assert mask_id_number(None) is None


async def test_rotation_keeps_everything_readable_and_findable(database, settings):
    old = settings.data_keys.get_secret_value()
    before = await make_citizen(name="旧钥")
    await add_population_record("旧钥", before.id_number)
    await add_business_record(CREDIT_CODE, "旧公司", before.id_number)
    k2 = new_key("k2")
    try:
        use_data_keys(f"{k2},{old}")
        assert get_cipher().current_kid == "k2"
        # Old rows: readable and findable by keyed hash under the old key.
        assert (await identity.get_account(before.account_id)).name_masked == "旧*"
        assert (await find_by_phone(before.phone)).id == before.account_id
        assert (await find_by_id_number(before.id_number)).id == before.account_id
        after = await make_citizen(name="新钥")
        assert (await Account.get(id=after.account_id)).id_number_enc.startswith("k2$")
        assert (
            await stale_rows() == 3
        )  # the old account, its population record, the business record
        done = await rotate_keys()
        assert done["identity_account"] == 1 and done["identity_population_record"] == 1
        assert done["identity_business_record"] == 1
        assert await stale_rows() == 0
        assert await rotate_keys() == {
            "identity_account": 0,
            "identity_population_record": 0,
            "identity_business_record": 0,
        }
        # The old key can now be dropped.
        use_data_keys(k2)
        row = await Account.get(id=before.account_id)
        assert row.phone_enc.startswith("k2$") and row.phone_hash == get_cipher().lookup_hash(
            before.phone, column=COL_PHONE
        )
        assert (
            await identity.read_personal_data(
                before.account_id, reader=before.principal, purpose="本人"
            )
        ).id_number == before.id_number
        assert (await find_by_id_number(before.id_number)).id == before.account_id
        assert (await get_authority().verify("旧钥", before.id_number)).outcome == "match"
        assert (await PopulationRecord.all().first()).name_enc.startswith("k2$")
        enterprise = await claim(before.principal, CREDIT_CODE)
        assert enterprise.legal_rep_id == before.account_id
    finally:
        use_data_keys(None)
