"""The platform's own answers to ``zhushida_form_prefill`` (免填写): the applicant's verified name,
phone, resident ID number and home region, read through the identity package's public API — so
the read is written to the citizen's access log like any other use of their data."""

from __future__ import annotations

from typing import Any

PERSON_KEYS = {"person.name": "name", "person.phone": "phone", "person.id_number": "id_number"}
# From real-name verification: a field filled from these is the applicant's own name and ID number,
# which the form cannot change (the phone is a contact and may differ).
VERIFIED_KEYS = frozenset({"person.name", "person.id_number"})


async def person_prefill(account_id: int, item: Any, keys: list[str]) -> dict[str, Any]:
    wanted = [k for k in keys if k in PERSON_KEYS or k == "person.home_region"]
    if not wanted:
        return {}
    from core.identity.api import read_personal_data

    data = await read_personal_data(account_id, reader="plugin:core.cases", purpose=f"免填写 {item.name}"[:128],
                                    fields=[PERSON_KEYS[k] for k in wanted if k in PERSON_KEYS])
    if data is None:
        return {}
    values = {k: getattr(data, PERSON_KEYS[k]) for k in wanted if k in PERSON_KEYS}
    if "person.home_region" in wanted:
        values["person.home_region"] = data.home_region_code
    return {k: v for k, v in values.items() if v}
