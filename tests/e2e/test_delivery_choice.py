"""Choosing how the result reaches me (送达方式) through the BFF, per channel: window, electronic or
courier to a saved or a new address, for one's own case or an authorised relative's; everything
a phone can send wrong here is refused with a localised error and changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.cases.models import Case, CaseEventLog
from delivery.models import Address, Shipment
from tests.e2e.conftest import TOWNSHIP
from tests.e2e.housing_loan_plugin import LOAN, MORTGAGE
from tests.e2e.test_citizen_journeys import (
    bearer,
    enable_for_county,
    new_person,
    ok,
    pay_wechat,
    sign_in,
)

NEW_ADDRESS = {"name": "刘建国", "phone": "13912345678", "region_code": TOWNSHIP, "detail": "来龙门街道建设路88号"}


async def apply_mortgage(http, channel: str, headers: dict, number: str) -> int:
    return ok(await http.post(f"/bff/{channel}/apply", headers=headers, json={
        "item_code": MORTGAGE, "form": {"phone": number, "property_address": "醴陵市瓷城大道8号"}}), 201)["case"]["id"]


async def snapshot(case_id: int) -> tuple:
    case = await Case.get(id=case_id)
    return (case.version, case.delivery, await CaseEventLog.filter(case_id=case_id).count(),
            await Shipment.filter(case_id=case_id).count(), await Address.all().count())


def refused(response, status: int, code: str, lang: str = "zh") -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code, body
    assert body["message"] == (body["message_en"] if lang == "en" else body["message"]) and body["message"]
    if lang == "zh":
        assert not body["message"].isascii()


@pytest.mark.parametrize("channel", ["miniapp", "app"])
async def test_choose_delivery_for_my_case(http, sandbox, phone, channel):
    name, id_number, number = new_person()
    me = await sign_in(http, phone, channel, name, id_number, number)
    stranger = await sign_in(http, phone, channel, *new_person("19910101"))
    await enable_for_county(http)
    case_id = await apply_mortgage(http, channel, me, number)
    screen = ok(await http.get(f"/bff/{channel}/cases/{case_id}", headers=me))
    assert screen["delivery"]["result"] == "window" and screen["delivery_methods"] == ["window", "courier"]
    path = f"/bff/{channel}/cases/{case_id}/delivery"

    # Wrong choices: refused in Chinese or English, nothing written.
    before = await snapshot(case_id)
    for lang in ("zh", "en"):
        lang_header = {"Accept-Language": lang}
        refused(await http.post(path, json={"method": "electronic"}, headers={**me, **lang_header}),
                422, "cases.delivery_invalid", lang)  # the item does not offer it
        refused(await http.post(path, json={"method": "drone"}, headers={**me, **lang_header}),
                422, "bff.delivery_method_unknown", lang)
        refused(await http.post(path, json={"method": "courier", "courier": "sf"}, headers={**me, **lang_header}),
                422, "bff.delivery_courier_details", lang)  # no address
        refused(await http.post(path, json={"method": "courier", "address": NEW_ADDRESS}, headers={**me, **lang_header}),
                422, "bff.delivery_courier_details", lang)  # no courier
        refused(await http.post(path, json={"method": "courier", "courier": "sf", "address": NEW_ADDRESS},
                                headers={**stranger, **lang_header}), 404, "not_found", lang)  # not their case
    bad_address = {**NEW_ADDRESS, "region_code": "110101000000"}  # not a region of the platform
    refused(await http.post(path, json={"method": "courier", "courier": "sf", "address": bad_address}, headers=me),
            400, "delivery.address_invalid")
    # A good new address but a courier nobody offers: the address is not left in the book.
    r = await http.post(path, json={"method": "courier", "courier": "pigeon", "address": NEW_ADDRESS}, headers=me)
    assert 400 <= r.status_code < 500 and r.json()["code"].startswith("delivery."), r.text
    assert await snapshot(case_id) == before

    # Courier to a new address: the parcel is booked, the address saved, the fee payable.
    chosen = ok(await http.post(path, json={"method": "courier", "courier": "sf", "address": NEW_ADDRESS}, headers=me))
    assert chosen["delivery"]["result"] == "courier" and chosen["shipment"]["courier"] == "sf"
    assert chosen["shipment"]["citizen"]["detail"] != NEW_ADDRESS["detail"]  # masked
    assert chosen["timeline"][-1]["kind"] == "delivery_chosen" and chosen["timeline"][-1]["label"] == "已选择送达方式"
    book = ok(await http.get("/delivery/addresses", headers=me))
    assert len(book) == 1
    if chosen["shipment"]["pay"]:
        assert chosen["shipment"]["pay"] == {"kind": "delivery_fee", "ref": chosen["shipment"]["no"]}
        await pay_wechat(http, sandbox, channel, me, "delivery_fee", chosen["shipment"]["no"])
    # A second courier choice (a double tap without a key) is refused; the new address is not kept.
    again = await http.post(path, json={"method": "courier", "courier": "sf", "address": NEW_ADDRESS}, headers=me)
    refused(again, 409, "delivery.already_chosen")
    assert len(ok(await http.get("/delivery/addresses", headers=me))) == 1

    # Back to the window: the open parcel is cancelled, the choice recorded; choosing it twice is a no-op.
    window = ok(await http.post(path, json={"method": "window"}, headers={**me, "Accept-Language": "en"}))
    assert window["delivery"]["result"] == "window" and window["shipment"] is None
    assert window["timeline"][-1]["label"] == "Delivery method chosen"
    parcels = ok(await http.get(f"/delivery/cases/{case_id}/shipments", headers=me))
    assert [p["state"] for p in parcels] == ["cancelled"]
    events = await CaseEventLog.filter(case_id=case_id).count()
    ok(await http.post(path, json={"method": "window"}, headers=me))
    assert await CaseEventLog.filter(case_id=case_id).count() == events
    # The saved address, by id this time.
    by_id = ok(await http.post(path, json={"method": "courier", "courier": "sf", "address_id": book[0]["id"]},
                               headers=me))
    assert by_id["delivery"]["result"] == "courier" and by_id["shipment"]["open"] is True
    # Once the courier has the parcel, switching back to the window is refused and changes nothing.
    await Shipment.filter(no=by_id["shipment"]["no"]).update(state="picked_up")
    before = await snapshot(case_id)
    refused(await http.post(path, json={"method": "window"}, headers=me), 409, "delivery.not_cancellable")
    assert await snapshot(case_id) == before
    await Shipment.filter(no=by_id["shipment"]["no"]).update(state=by_id["shipment"]["state"])
    # A case past choosing (here: closed by staff meanwhile) refuses the switch before the parcel
    # is touched - it is not cancelled for a choice that cannot be recorded.
    state = (await Case.get(id=case_id)).state
    await Case.filter(id=case_id).update(state="closed")
    before = await snapshot(case_id)
    refused(await http.post(path, json={"method": "window"}, headers=me), 409, "cases.action_not_allowed")
    assert await snapshot(case_id) == before
    assert (await Shipment.get(no=by_id["shipment"]["no"])).state == by_id["shipment"]["state"]
    await Case.filter(id=case_id).update(state=state)

    # An item delivered electronically; and a finished case cannot change its delivery.
    loan = ok(await http.post(f"/bff/{channel}/apply", headers=me, json={
        "item_code": LOAN, "form": {"phone": number, "loan_amount": 300_000}}), 201)["case"]["id"]
    electronic = ok(await http.post(f"/bff/{channel}/cases/{loan}/delivery", json={"method": "electronic"}, headers=me))
    assert electronic["delivery"]["result"] == "electronic"
    ok(await http.post(f"/bff/{channel}/cases/{loan}/withdraw", json={}, headers=me))
    before = await snapshot(loan)
    refused(await http.post(f"/bff/{channel}/cases/{loan}/delivery", json={"method": "window"}, headers=me),
            409, "cases.action_not_allowed")
    assert await snapshot(loan) == before


async def test_a_relative_chooses_courier_for_the_mothers_case(http, phone):
    mother_name, mother_id, mother_phone = new_person("19500303", born_in="430221000000")
    mother = await sign_in(http, phone, "miniapp", mother_name, mother_id, mother_phone)
    son_name, son_id, son_phone = new_person("19900808")
    son = await sign_in(http, phone, "app", son_name, son_id, son_phone)
    await enable_for_county(http)
    case_id = await apply_mortgage(http, "miniapp", mother, mother_phone)
    # The son on his own may not touch it.
    r = await http.post(f"/bff/app/cases/{case_id}/delivery", json={"method": "courier", "courier": "sf",
                                                                    "address": NEW_ADDRESS}, headers=son)
    refused(r, 404, "not_found")
    expires = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    grant = ok(await http.post("/identity/proxies", headers=mother, json={
        "grantee_phone": son_phone, "expires_at": expires, "relation": "child"}), 201)
    ok(await http.post(f"/identity/proxies/{grant['id']}/accept", headers=son, json={}))
    acting = bearer(ok(await http.post("/bff/app/act-for", headers=son, json={"grant_id": grant["id"]}))["access_token"])
    chosen = ok(await http.post(f"/bff/app/cases/{case_id}/delivery", headers=acting, json={
        "method": "courier", "courier": "sf", "address": {**NEW_ADDRESS, "name": mother_name}}))
    assert chosen["delivery"]["result"] == "courier" and chosen["timeline"][-1]["on_behalf"] is True
    # The address is the mother's (posted to her), in her book, not the son's.
    assert len(ok(await http.get("/delivery/addresses", headers=mother))) == 1
    assert ok(await http.get("/delivery/addresses", headers=son)) == []
