"""Real-estate registration through the HTTP API on imported data: the owner's properties and
encumbrance status, the property e-certificate, a second-hand transfer where both parties
confirm and the deed tax is paid through payments, refusals for encumbered properties, mortgages."""

from __future__ import annotations

import pytest

from core import tasks
from plugins.real_estate.items import MORTGAGE_CODE, PROOF_TYPE, TRANSFER_CODE
from plugins.real_estate.models import Encumbrance, Owner, Transfer
from plugins.real_estate.tasks import expire_seizures
from tests.plugins.support import enable, feed_rows, id_for, pay_with_card
from tests.support.auth import make_citizen, make_staff

UNIT = "430281001002GB00012F00000001"
SEIZED_UNIT = "430281001002GB00013F00000002"
MORTGAGED_UNIT = "430281001002GB00014F00000003"


@pytest.fixture
async def homes(app, tmp_path):
    seller_id, buyer_id = id_for("19700302", county="430221"), id_for("19920611", male=False)
    seller = await make_citizen(id_number=seller_id, name="李卫东")
    buyer = await make_citizen(id_number=buyer_id, name="陈静")
    prop = {"cert_no": "湘(2015)株洲市不动产权第0000101号", "region_code": "430281001000",
            "address": "湖南省株洲市醴陵市新华路12号3栋2单元1201室", "usage": "residential", "area_m2_x100": "8950",
            "land_use_end": "2085-12-31", "registered_on": "2015-05-18"}
    await feed_rows(tmp_path, "real_estate", "properties", [
        {"unit_no": UNIT, **prop}, {**prop, "unit_no": SEIZED_UNIT, "cert_no": "湘(2016)株洲市不动产权第0000102号"},
        {**prop, "unit_no": MORTGAGED_UNIT, "cert_no": "湘(2017)株洲市不动产权第0000103号"}])
    await feed_rows(tmp_path, "real_estate", "owners", [
        {"unit_no": unit, "id_number": seller_id, "name": "李卫东", "share_bp": "10000"}
        for unit in (UNIT, SEIZED_UNIT, MORTGAGED_UNIT)])
    await feed_rows(tmp_path, "real_estate", "encumbrances", [
        {"ref_no": "(2026)湘0281执123号", "unit_no": SEIZED_UNIT, "kind": "seizure", "holder": "醴陵市人民法院",
         "amount_fen": "", "starts_on": "2026-01-05", "ends_on": "2029-01-04", "status": "active"},
        {"ref_no": "湘(2017)株洲市不动产证明第0000555号", "unit_no": MORTGAGED_UNIT, "kind": "mortgage",
         "holder": "中国建设银行株洲分行", "amount_fen": "50000000", "starts_on": "2017-03-15", "ends_on": "2037-03-14",
         "status": "active"}])
    await enable(TRANSFER_CODE, MORTGAGE_CODE)
    return seller, buyer


async def test_owner_sees_own_properties_and_encumbrances_only(client, homes):
    seller, buyer = homes
    r = await client.get("/plugins/real_estate/me/properties", headers=seller.headers)
    assert r.status_code == 200
    props = {p["unit_no"]: p for p in r.json()["properties"]}
    assert props[UNIT]["encumbered"] is False and props[UNIT]["mortgaged"] is False and props[UNIT]["seized"] is False
    assert props[SEIZED_UNIT]["seized"] is True and props[SEIZED_UNIT]["mortgaged"] is False
    assert props[MORTGAGED_UNIT]["mortgaged"] is True and props[MORTGAGED_UNIT]["seized"] is False
    [loan] = props[MORTGAGED_UNIT]["encumbrances"]
    assert (loan["kind"], loan["holder"], loan["amount_fen"]) == ("mortgage", "中国建设银行株洲分行", 50_000_000)
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
    assert transfer["bundle_case_id"] is None  # on its own: the deed tax is its own order
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
    from core.models import AuditEvent

    looked = await AuditEvent.filter(action="real_estate.property_viewed", target=UNIT)
    assert [e.actor for e in looked] == [f"staff:{clerk.principal.account_id}"]  # each look is in the audit trail
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
            "loan_months": 240, "phone": "13807330002"}
    r = await client.post("/cases", headers=seller.headers, json={"item_code": MORTGAGE_CODE, "form": form,
                                                                  "delivery": {"result": "courier"}})
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    # The paper 不动产登记证明 by courier: chosen for the case, quoted by the sandbox courier.
    address = await client.post("/delivery/addresses", headers=seller.headers, json={
        "name": "李卫东", "phone": "13807330002", "region_code": "430281001000", "detail": "新华路12号3栋2单元1201室"})
    assert address.status_code == 201, address.text
    shipment = await client.post(f"/delivery/cases/{case_id}/shipments", headers=seller.headers, json={
        "kind": "result", "courier": "ems", "address_id": address.json()["id"]})
    assert shipment.status_code == 201, shipment.text
    assert shipment.json()["kind"] == "result" and shipment.json()["fee_fen"] > 0
    await pay_with_card(client, seller, "case", str(case_id), 8_000)
    clerk = await make_staff(department_code="BDC", roles=("clerk", "reviewer", "head"))
    for action in ("accept", "start_review", "approve"):
        assert (await client.post(f"/cases/{case_id}/actions/{action}", headers=clerk.headers, json={})).status_code == 200
    mortgage = await Encumbrance.get(unit_no=UNIT, kind="mortgage")
    assert mortgage.status == "active" and mortgage.amount_fen == 30_000_000 and mortgage.case_no
    assert (mortgage.ends_on - mortgage.starts_on).days in range(365 * 20 - 1, 365 * 20 + 5)
    # The 不动产登记证明 in the mortgagor's wallet, with its real content.
    wallet = (await client.get("/certificates", headers=seller.headers)).json()
    [proof] = [c for c in wallet if c["type_code"] == PROOF_TYPE]
    assert proof["identifier"].startswith("1.2.156.3005.2.BDCDJZM.12430200MB1D00001A.")
    shown = {f["name"]: f["value"] for f in proof["fields"]}
    assert shown["cert_no"] == mortgage.ref_no and shown["right"] == "抵押权"
    assert shown["mortgagee"] == "株洲市住房公积金管理中心" and shown["secured_amount_fen"] == 30_000_000
    assert shown["term"] == f"{mortgage.starts_on.isoformat()} 至 {mortgage.ends_on.isoformat()}"
    assert shown["mortgagor_name"] == "李*东" and shown["mortgagor_id_number"] != seller.id_number
    assert shown["unit_no"] != UNIT and shown["unit_no"][0] == UNIT[0] and "*" in shown["unit_no"]  # masked
    case = (await client.get(f"/cases/{case_id}", headers=seller.headers)).json()
    assert case["result"]["certificate"] == proof["identifier"]
    # The holder shows the unit unmasked (亮证); the verifier sees the full unit number.
    code = await client.post(f"/certificates/{proof['id']}/show", headers=seller.headers,
                             json={"fields": ["cert_no", "unit_no", "mortgagee"], "unmasked": ["unit_no"]})
    assert code.status_code == 200, code.text
    seen = (await client.get("/certificates/verify", params={"code": code.json()["code"]})).json()
    assert {f["name"]: f["value"] for f in seen["fields"]} == {
        "cert_no": mortgage.ref_no, "unit_no": UNIT, "mortgagee": "株洲市住房公积金管理中心"}
    assert not [c for c in (await client.get("/certificates", headers=buyer.headers)).json()
                if c["type_code"] == PROOF_TYPE]
    r = await client.post("/cases", headers=buyer.headers, json={"item_code": TRANSFER_CODE, "form": {
        "property_unit_no": UNIT, "price_fen": 1, "seller_name": "李卫东", "phone": "13807330002"}})
    assert (await client.get(f"/cases/{r.json()['id']}", headers=buyer.headers)).json()["state"] == "not_accepted"
    # Not the owner: refused too.
    r = await client.post("/cases", headers=buyer.headers, json={"item_code": MORTGAGE_CODE, "form": form})
    events = (await client.get(f"/cases/{r.json()['id']}/events", headers=buyer.headers)).json()
    assert "real_estate.not_owner" in str(events)


async def test_home_widget_shows_own_properties_with_encumbrance_alerts(client, homes):
    seller, buyer = homes

    async def widget_of(actor):
        r = await client.get("/bff/app/home", headers=actor.headers)
        assert r.status_code == 200, r.text
        return {w["key"]: w for w in r.json()["widgets"]}.get("real_estate.properties")

    mine = await widget_of(seller)
    assert mine is not None and mine["title"] == "我的不动产"
    rows = {p["unit_no"]: p for p in mine["data"]["properties"]}
    assert set(rows) == {UNIT, SEIZED_UNIT, MORTGAGED_UNIT} and mine["data"]["count"] == 3
    assert (rows[SEIZED_UNIT]["seized"], rows[SEIZED_UNIT]["mortgaged"]) == (True, False)
    assert (rows[MORTGAGED_UNIT]["mortgaged"], rows[MORTGAGED_UNIT]["seized"]) == (True, False)
    assert not rows[UNIT]["mortgaged"] and not rows[UNIT]["seized"]
    assert {a["kind"]: a["count"] for a in mine["data"]["alerts"]} == {"seized": 1, "mortgaged": 1}
    # Another citizen (the buyer, owning nothing) sees no card, and nothing of the seller's.
    assert await widget_of(buyer) is None
    stranger = await make_citizen()
    r = await client.get("/bff/app/home", headers=stranger.headers)
    assert UNIT not in r.text and SEIZED_UNIT not in r.text


async def test_expired_seizures_are_released_by_the_periodic_task(client, homes, tmp_path):
    seller, _buyer = homes
    await feed_rows(tmp_path, "real_estate", "encumbrances", [
        {"ref_no": "(2023)湘0281执45号", "unit_no": UNIT, "kind": "seizure", "holder": "醴陵市人民法院",
         "amount_fen": "", "starts_on": "2023-02-01", "ends_on": "2026-01-31", "status": "active"},
        {"ref_no": "湘(2010)株洲市不动产证明第0000001号", "unit_no": UNIT, "kind": "mortgage",
         "holder": "中国农业银行株洲分行", "amount_fen": "1000000", "starts_on": "2010-01-01", "ends_on": "2020-12-31",
         "status": "active"}])
    r = await client.get("/plugins/real_estate/me/properties", headers=seller.headers)
    assert {p["unit_no"]: p for p in r.json()["properties"]}[UNIT]["seized"] is True
    await tasks.enqueue(expire_seizures)
    await tasks.drain()
    assert (await Encumbrance.get(ref_no="(2023)湘0281执45号")).status == "released"  # lapsed
    assert (await Encumbrance.get(ref_no="(2026)湘0281执123号")).status == "active"  # runs to 2029
    # Only seizures lapse by date: an old mortgage stays until the bank's release is registered.
    assert (await Encumbrance.get(ref_no="湘(2010)株洲市不动产证明第0000001号")).status == "active"
    props = {p["unit_no"]: p for p in (await client.get("/plugins/real_estate/me/properties",
                                                         headers=seller.headers)).json()["properties"]}
    assert props[UNIT]["seized"] is False and props[UNIT]["mortgaged"] is True and props[SEIZED_UNIT]["seized"] is True
