"""The platform's resident ID rule (core.identity.resident_id): any GB/T 2260 code ever listed,
whatever the birth year, and the same rule through real-name verification, forms and feeds."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from stdnum.cn import ric

from core.catalogue import forms
from core.catalogue.records import FormField
from core.feeds import pii as feed_pii
from core.feeds import synthetic as syn
from core.feeds.importer import import_feed
from core.feeds.registry import get_feed
from core.identity import resident_id
from core.identity.authority import add_population_record
from core.identity.models import Account
from core.identity.pii import normalize_id_number
from core.identity.verification import id_number_of
from tests.support.auth import make_citizen


def with_check(body17: str) -> str:
    return body17 + resident_id.check_character(body17)


# 醴陵市 has had code 430281 since 1989; a Liling resident born in 1970 carries it all the same.
LILING_1970 = with_check("43028119700101001")


def reason(value: str) -> tuple[str, str | None] | None:
    try:
        resident_id.validate(value)
    except resident_id.InvalidResidentId as exc:
        return exc.reason, exc.part
    return None


def shanghai_today():
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def test_liling_resident_born_before_the_code_existed_is_accepted():
    assert LILING_1970 == "430281197001010018"
    assert not ric.is_valid(LILING_1970)  # python-stdnum's birth-year window refuses a real person
    assert resident_id.validate(LILING_1970) == LILING_1970 and resident_id.is_valid(LILING_1970)
    assert resident_id.problem(LILING_1970) is None


@pytest.mark.parametrize("body", ["43022119900101001",   # 株洲县 [-2018]: retired, in force at birth
                                  "43022219500101001",   # 醴陵县 [1983-1985]: retired, born before it
                                  "11011019800101001"])  # 燕山区 [-1986]
def test_retired_codes_are_accepted(body):
    assert resident_id.validate(with_check(body)) == with_check(body)


@pytest.mark.parametrize("code", ["439999", "000000", "990000", "430299"])
def test_codes_never_listed_are_refused(code):
    assert reason(with_check(f"{code}19900101001")) == ("InvalidComponent", "address_code")


def test_each_kind_of_bad_number_has_its_reason():
    good = LILING_1970
    wrong_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    tomorrow = (shanghai_today() + timedelta(days=1)).strftime("%Y%m%d")
    assert reason(wrong_check) == ("InvalidChecksum", None)
    assert reason(good[:-1] + "?") == ("InvalidChecksum", None)
    assert reason(good[:17]) == ("InvalidLength", None)
    assert reason(good + "1") == ("InvalidLength", None)
    assert reason("43028119700101A01X") == ("InvalidFormat", None)
    assert reason(with_check("43028119900230001")) == ("InvalidComponent", "birth_date")  # 30 February
    assert reason(with_check("43028119901301001")) == ("InvalidComponent", "birth_date")  # month 13
    assert reason(with_check(f"430281{tomorrow}001")) == ("InvalidComponent", "birth_date")
    assert reason(with_check("43028118991231001")) == ("InvalidComponent", "birth_date")
    assert reason(with_check("43028119000101001")) is None
    assert reason(with_check(f"430281{shanghai_today():%Y%m%d}001")) is None
    assert resident_id.problem(wrong_check) == "InvalidChecksum"


def test_input_forms_python_stdnum_cleaned_up_are_normalised_alike():
    full_width = LILING_1970.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    assert resident_id.validate(full_width) == LILING_1970
    assert resident_id.validate(f"\u3000{LILING_1970}\u00a0") == LILING_1970
    x_id = with_check("43028119900101005")
    assert x_id.endswith("X") and resident_id.validate(x_id.lower()) == x_id
    # Separators inside the number are not removed, as in python-stdnum: refused, not guessed at.
    hyphenated = f"{LILING_1970[:6]}-{LILING_1970[6:14]}-{LILING_1970[14:]}"
    assert reason(hyphenated) == ("InvalidLength", None) and not ric.is_valid(hyphenated)
    assert reason(f"{LILING_1970[:6]}\u2014{LILING_1970[7:]}") == ("InvalidFormat", None)  # em dash → "-"
    assert normalize_id_number(f" {full_width} ") == LILING_1970


def test_departs_from_python_stdnum_only_in_the_birth_year_window():
    """Length, format and check character give python-stdnum's reasons; whatever it accepts (born
    1900 to today) we accept; and what we accept that it refuses differs only by the birth year."""
    rng = random.Random(5)
    today = f"{shanghai_today():%Y%m%d}"
    codes = ["110101", "110103", "430202", "430212", "430221", "430281", "439999", "000000"]
    for _ in range(3000):
        body = f"{rng.choice(codes)}{rng.randint(1890, 2030)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        body += f"{rng.randint(0, 999):03d}"
        value = with_check(body) if rng.random() < 0.8 else body + rng.choice("0123456789X")
        ours, theirs = resident_id.problem(value), _stdnum_reason(value)
        if theirs in ("InvalidChecksum", "InvalidLength", "InvalidFormat"):
            assert ours == theirs, value
        elif theirs is None and "19000101" <= value[6:14] <= today:
            assert ours is None, value
        elif ours is None:  # stdnum refused the code for this birth year: another year it accepts
            assert theirs == "InvalidComponent" and any(
                ric.is_valid(with_check(f"{value[:6]}{year}0101001")) for year in range(1950, 2026)), value


def _stdnum_reason(value: str) -> str | None:
    try:
        ric.validate(value)
    except Exception as exc:  # stdnum raises KeyError for a province without that county (439999)
        return exc.__class__.__name__
    return None


def test_address_codes_are_looked_up_once():
    resident_id._listed.cache_clear()
    for _ in range(3):
        assert resident_id.address_code_listed("430281") and not resident_id.address_code_listed("439999")
    info = resident_id._listed.cache_info()
    assert (info.misses, info.hits) == (2, 4)
    assert not resident_id.address_code_listed("43028") and not resident_id.address_code_listed("４３０２８１")


async def test_real_name_verification_accepts_a_liling_resident_born_in_1970(client):
    await add_population_record("李醴陵", LILING_1970, region_code="430281000000")
    me = await make_citizen(level=1)
    r = await client.post("/identity/verify/id", json={"name": "李醴陵", "id_number": LILING_1970},
                          headers=me.headers)
    assert r.status_code == 200, r.text
    assert r.json()["account"]["level"] == 2
    assert id_number_of(await Account.get(id=me.account_id)) == LILING_1970
    refused = await make_citizen(level=1)
    r = await client.post("/identity/verify/id", json={"name": "李醴陵", "id_number": with_check("43999919700101001")},
                          headers=refused.headers)
    assert r.status_code == 400 and r.json()["code"] == "identity.id_number_invalid", r.text
    assert r.json()["details"]["reason"] == "InvalidComponent" and r.json()["details"]["part"] == "address_code"


def test_form_field_of_type_id_number():
    fields = (FormField("applicant_id_number", "身份证号码", "ID number", "id_number", required=True),)
    cleaned, errors = forms.validate(fields, {"applicant_id_number": f" {LILING_1970} "})
    assert errors == [] and cleaned == {"applicant_id_number": LILING_1970}
    cleaned, errors = forms.validate(fields, {"applicant_id_number": LILING_1970[:-1] + "0"})
    assert cleaned == {} and [e.code for e in errors] == ["id_number"]


async def test_feed_row_with_the_liling_1970_id_is_imported(database, tmp_path):
    from plugins.social_security.models import InsuredPerson

    spec = get_feed("social_security", "persons")
    row = {**next(iter(spec.generate(1, 3))), "id_number": LILING_1970}
    bad = {**row, "id_number": with_check("00000019700101001")}
    path = tmp_path / "persons.csv"
    syn.write_feed(path, spec.field_names, iter([row, bad]))
    report = await import_feed(spec, path)
    assert (report.read, report.accepted, report.rejected) == (2, 1, 1)
    assert "InvalidComponent" in dict(report.rejections)[3]
    person = await InsuredPerson.get(person_key=feed_pii.person_key(LILING_1970))
    assert str(person.birth_date) == "1970-01-01"
