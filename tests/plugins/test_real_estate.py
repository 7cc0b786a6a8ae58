"""Real-estate registration through the HTTP API on imported data: the owner's properties and
encumbrance status, the property e-certificate, a second-hand transfer where both parties
confirm and the deed tax is paid through payments, refusals for encumbered properties, mortgages."""

from __future__ import annotations

import pytest

from core import tasks
from plugins.real_estate.items import MORTGAGE_CODE, TRANSFER_CODE
from plugins.real_estate.models import Encumbrance, Owner, Transfer
from tests.plugins.support import enable, feed_rows, id_for, pay_with_card
from tests.support.auth import make_citizen, make_staff

UNIT = "430281001002GB00012F00000001"
SEIZED_UNIT = "430281001002GB00013F00000002"


@pytest.fixture
async def homes(app, tmp_path):
    seller_id, buyer_id = id_for("19700302", county="430221"), id_for("19920611", male=False)
    seller = await make_citizen(id_number=seller_id, name="李卫东")
    buyer = await make_citizen(id_number=buyer_id, name="陈静")
    prop = {"cert_no": "湘(2015)株洲市不动产权第0000101号", "region_code": "430281001000",
            "address": "湖南省株洲市醴陵市新华路12号3栋2单元1201室", "usage": "residential", "area_m2_x100": "8950",
            "land_use_end": "2085-12-31", "registered_on": "2015-05-18"}
    await feed_rows(tmp_path, "real_estate", "properties", [{"unit_no": UNIT, **prop},
                                                             {**prop, "unit_no": SEIZED_UNIT, "cert_no": "湘(2016)株洲市不动产权第0000102号"}])
    await feed_rows(tmp_path, "real_estate", "owners", [
        {"unit_no": UNIT, "id_number": seller_id, "name": "李卫东", "share_bp": "10000"},
        {"unit_no": SEIZED_UNIT, "id_number": seller_id, "name": "李卫东", "share_bp": "10000"}])
    await feed_rows(tmp_path, "real_estate", "encumbrances", [
        {"ref_no": "(2026)湘0281执123号", "unit_no": SEIZED_UNIT, "kind": "seizure", "holder": "醴陵市人民法院",
         "amount_fen": "", "starts_on": "2026-01-05", "ends_on": "2029-01-04", "status": "active"}])
    await enable(TRANSFER_CODE, MORTGAGE_CODE)
    return seller, buyer


async def test_owner_sees_own_properties_and_encumbrances_only(client, homes):
    seller, buyer = homes
    r = await client.get("/plugins/real_estate/me/properties", headers=seller.headers)
    assert r.status_code == 200
    props = {p["unit_no"]: p for p in r.json()["properties"]}
    assert props[UNIT]["encumbered"] is False and props[SEIZED_UNIT]["seized"] is True
    assert props[UNIT]["owners"] == [{"name": "李*东", "id_number": props[UNIT]["owners"][0]["id_number"], "share_bp": 10000}]
    assert (await client.get("/plugins/real_estate/me/properties", headers=buyer.headers)).json() == {"properties": []}
    r = await client.post(f"/plugins/real_estate/me/properties/{UNIT}/certificate", headers=seller.headers)
    assert r.status_code == 201 and r.json()["identifier"].startswith("1.2.156.3005.2.BDCQZS.")
    again = await client.post(f"/plugins/real_estate/me/properties/{UNIT}/certificate", headers=seller.headers)
    assert again.json()["issued"] is False and again.json()["certificate_id"] == r.json()["certificate_id"]
    assert (await client.post(f"/plugins/real_estate/me/properties/{UNIT}/certificate",
                              headers=buyer.headers)).status_code == 404


async def test_transfer_needs_both_parties_and_the_deed_tax(client, homes):
    seller, buyer = homes
    form = {"property_unit_no": UNIT, "price_fen": 68_000_000, "seller_name": "李卫东", "phone": "13807330002"}
    r = await client.post("/cases", headers=buyer.headers, json={"item_code": TRANSFER_CODE, "form": form})
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    [transfer] = (await client.get("/plugins/real_estate/transfers", headers=buyer.headers)).json()["transfers"]
    assert transfer["deed_tax_rate_bp"] == 100 and transfer["deed_tax_fen"] == 680_000  # 1 %: 89.50 m²
    assert transfer["buyer_confirmed"] and not transfer["seller_confirmed"]
    clerk = await make_staff(department_code="BDC", roles=("clerk", "reviewer", "head"))
    r = await client.post(f"/cases/{case_id}/actions/accept", headers=clerk.headers, json={})
    assert r.status_code == 409 and r.json()["code"] == "cases.held", r.text
    r = await client.post("/payments/orders", headers=buyer.headers,
                          json={"purpose_kind": "deed_tax", "purpose_ref": str(transfer["id"]), "client_key": "deed-tax-early"})
    assert r.status_code == 409 and r.json()["code"] == "real_estate.not_confirmed", r.text
    stranger = await make_citizen()
    assert (await client.post(f"/plugins/real_estate/transfers/{transfer['id']}/confirm",
                              headers=stranger.headers)).status_code == 404
    r = await client.post(f"/plugins/real_estate/transfers/{transfer['id']}/confirm", headers=seller.headers)
    assert r.status_code == 201 and r.json()["seller_confirmed"] is True, r.text
    await pay_with_card(client, buyer, "case", str(case_id), 8_000)
    order = await pay_with_card(client, buyer, "deed_tax", str(transfer["id"]), 680_000)
    assert order["amount_fen"] == 680_000
    await tasks.drain()
    for action in ("accept", "start_review", "approve"):
        r = await client.post(f"/cases/{case_id}/actions/{action}", headers=clerk.headers, json={})
        assert r.status_code == 200, (action, r.text)
    done = await Transfer.get(id=transfer["id"])
    assert done.status == "registered" and done.payment_order_no == order["order_no"] and done.new_cert_no
    owners = await Owner.filter(unit_no=UNIT)
    assert [o.name_masked for o in owners] == ["陈*"]
    props = (await client.get("/plugins/real_estate/me/properties", headers=buyer.headers)).json()["properties"]
    assert props[0]["cert_no"] == done.new_cert_no
    wallet = (await client.get("/certificates", headers=buyer.headers)).json()
    assert "BDCQZS" in str(wallet)
    register = await client.get(f"/plugins/real_estate/staff/properties/{UNIT}", headers=clerk.headers)
    assert register.status_code == 200 and register.json()["transfers"][0]["status"] == "registered"
    fund_clerk = await make_staff(department_code="GJJ", roles=("clerk",))
    assert (await client.get(f"/plugins/real_estate/staff/properties/{UNIT}", headers=fund_clerk.headers)).status_code == 403
    assert (await client.get(f"/plugins/real_estate/staff/properties/{UNIT}", headers=buyer.headers)).status_code == 403


async def test_encumbered_property_is_refused_with_a_stable_code(client, homes):
    seller, buyer = homes
    form = {"property_unit_no": SEIZED_UNIT, "price_fen": 50_000_000, "seller_name": "李卫东", "phone": "13807330002"}
    r = await client.post("/cases", headers=buyer.headers, json={"item_code": TRANSFER_CODE, "form": form})
    assert r.status_code == 201
    case = (await client.get(f"/cases/{r.json()['id']}", headers=buyer.headers)).json()
    assert case["state"] == "not_accepted"
    events = (await client.get(f"/cases/{case['id']}/events", headers=buyer.headers)).json()
    assert "real_estate.encumbered" in str(events)
    assert await Transfer.all().count() == 0  # nothing recorded for a refused application


async def test_mortgage_registration_then_the_property_cannot_be_sold(client, homes):
    seller, buyer = homes
    form = {"property_unit_no": UNIT, "mortgagee": "株洲市住房公积金管理中心", "loan_amount_fen": 30_000_000,
            "phone": "13807330002"}
    r = await client.post("/cases", headers=seller.headers, json={"item_code": MORTGAGE_CODE, "form": form})
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    await pay_with_card(client, seller, "case", str(case_id), 8_000)
    clerk = await make_staff(department_code="BDC", roles=("clerk", "reviewer", "head"))
    for action in ("accept", "start_review", "approve"):
        assert (await client.post(f"/cases/{case_id}/actions/{action}", headers=clerk.headers, json={})).status_code == 200
    mortgage = await Encumbrance.get(unit_no=UNIT, kind="mortgage")
    assert mortgage.status == "active" and mortgage.amount_fen == 30_000_000 and mortgage.case_no
    r = await client.post("/cases", headers=buyer.headers, json={"item_code": TRANSFER_CODE, "form": {
        "property_unit_no": UNIT, "price_fen": 1, "seller_name": "李卫东", "phone": "13807330002"}})
    assert (await client.get(f"/cases/{r.json()['id']}", headers=buyer.headers)).json()["state"] == "not_accepted"
    # Not the owner: refused too.
    r = await client.post("/cases", headers=buyer.headers, json={"item_code": MORTGAGE_CODE, "form": form})
    events = (await client.get(f"/cases/{r.json()['id']}/events", headers=buyer.headers)).json()
    assert "real_estate.not_owner" in str(events)
