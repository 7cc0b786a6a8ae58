"""The home screen is kept per session and is current again right after every kind of change:
card (top-up, debit, refund, freeze, replace), messages (new, read), cases (new, correction,
resubmit), catalogue, a department feed, relatives' grants, sign-in state (log out, log out
everywhere, refresh, home region). Both backends; on the services backend also as seen by a
second app process that hears of the change over Redis."""

from __future__ import annotations

import asyncio
import csv
import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from citizen_card import funding
from citizen_card.models import Card
from core import db
from core.messages import api as messages
from core.messages.kinds import all_kinds
from core.messages.models import Message
from tests.citizen_card.helpers import make_terminal
from tests.conftest import BACKEND
from tests.miniapp_bff.conftest import enable, eventually
from tests.miniapp_bff.fixture_plugins.demo_services import LOAN, TRANSFER
from tests.support.auth import Actor, grant_proxy, make_citizen, make_staff

COUNTY = "430281000000"  # 醴陵市
OTHER_COUNTY = "430223000000"  # 攸县


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def home(client: httpx.AsyncClient, headers: dict[str, str], channel: str = "app") -> dict:
    response = await client.get(f"/bff/{channel}/home", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


async def apply_for_loan(client: httpx.AsyncClient, actor: Actor) -> dict:
    from core.cases.uploads import store_upload

    upload = await store_upload(actor.account_id, LOAN, "id_card", "id.pdf", "application/pdf", b"%PDF-1.4\n id\n")
    body = {"item_code": LOAN, "form": {"person.name": actor.name}, "materials": {"id_card": {"upload_id": upload.id}}}
    return ok(await client.post("/bff/app/apply", headers=actor.headers, json=body), 201)["case"]


async def written_behind_the_cache(account_id: int) -> None:
    """A message row written straight into the table, with no change published."""
    await Message.create(account_id=account_id, kind=all_kinds()[0].code, title="直写", body="直写")


async def test_the_kept_answer_is_reused_until_a_change_is_published(bff):
    alice = await make_citizen(region_code=COUNTY)
    first = await bff.get("/bff/app/home", headers=alice.headers)
    again = await bff.get("/bff/app/home", headers=alice.headers)
    assert first.headers["etag"] == again.headers["etag"] and first.content == again.content
    assert again.headers["x-request-id"] and again.headers["cache-control"] == "private, no-cache"
    not_modified = await bff.get("/bff/app/home", headers={**alice.headers, "If-None-Match": first.headers["etag"]})
    assert not_modified.status_code == 304 and not_modified.content == b"" and not_modified.headers["x-request-id"]
    # Kept, not re-read: a row written behind the cache's back is not on it ...
    await written_behind_the_cache(alice.account_id)
    assert (await home(bff, alice.headers))["messages"]["unread"] == 0
    # ... until something about alice is published (here: a message through the messages API).
    await messages.notify(alice.account_id, all_kinds()[0].code, params={"case_no": "X1"}, deliver=False)
    assert (await home(bff, alice.headers))["messages"]["unread"] == 2
    # Each language and display mode is its own answer.
    english = await home(bff, {**alice.headers, "Accept-Language": "en"})
    elder = await home(bff, {**alice.headers, "X-Zhushida-Mode": "elder"})
    assert english["lang"] == "en" and elder["mode"] == "elder" and elder["messages"]["latest"] == []


async def test_card_changes_are_on_the_next_answer(bff):
    alice = await make_citizen(region_code=COUNTY)
    assert (await home(bff, alice.headers))["card"] == {"has_card": False}
    ok(await bff.post("/card", headers=alice.headers), 201)
    card = (await home(bff, alice.headers))["card"]
    assert card["has_card"] and card["balance_fen"] == 0 and card["state"] == "active"
    card_id = (await Card.get(holder_id=alice.account_id)).id

    # A top-up is credited inside the payment's transaction: told only once that commits.
    async with db.transaction():
        await funding.credit_topup(card_id, 5000, "T-home-1")
    assert (await home(bff, alice.headers))["card"]["balance_fen"] == 5000

    terminal = await make_terminal(bff)
    token = ok(await bff.post("/card/qr", headers=alice.headers))["token"]
    paid = ok(await terminal.debit(token, 1200, txn_id="home-debit-1"), 201)
    assert (await home(bff, alice.headers))["card"]["balance_fen"] == 3800
    ok(await terminal.refund(200, txn_id="home-refund-1", original_txn_id=paid["txn_id"]), 201)
    assert (await home(bff, alice.headers))["card"]["balance_fen"] == 4000

    ok(await bff.post("/card/loss", headers=alice.headers))
    assert (await home(bff, alice.headers))["card"]["state"] == "frozen"
    ok(await bff.post("/card/unfreeze", headers=alice.headers))
    assert (await home(bff, alice.headers))["card"]["state"] == "active"
    old_last4 = (await home(bff, alice.headers))["card"]["last4"]
    new = ok(await bff.post("/card/replace", headers=alice.headers), 201)
    card = (await home(bff, alice.headers))["card"]
    assert card["last4"] == new["number"][-4:] != old_last4 and card["balance_fen"] == 4000


async def test_messages_cases_catalogue_and_feeds_are_on_the_next_answer(bff, tmp_path):
    await enable(LOAN)
    alice = await make_citizen(region_code=COUNTY)
    start = await home(bff, alice.headers)
    assert start["messages"]["unread"] == 0 and start["cases"] == {"count": 0, "cases": [], "open": 0}
    assert [e["code"] for g in start["services"]["groups"] for e in g["entries"]] == [LOAN]

    # Messages: new, then read through the BFF.
    await messages.notify(alice.account_id, all_kinds()[0].code, params={"case_no": "X1"}, deliver=False)
    assert (await home(bff, alice.headers))["messages"]["unread"] == 1
    ok(await bff.post("/bff/app/messages/read", headers=alice.headers, json={}))
    assert (await home(bff, alice.headers))["messages"]["unread"] == 0

    # Cases: a new application, a correction asked by the department, the fix sent.
    case = await apply_for_loan(bff, alice)
    after_apply = await home(bff, alice.headers)
    assert after_apply["cases"]["open"] == 1 and after_apply["cases"]["count"] == 0
    assert [e["code"] for e in after_apply["services"]["frequent"]] == [LOAN]  # used lately: first
    clerk = await make_staff(department_code="GJJ", roles=("clerk",))
    ok(await bff.post(f"/cases/{case['id']}/actions/request_correction", headers=clerk.headers, json={
        "data": {"items": [{"target": "field", "key": "person.name", "reason": "姓名与证件不符"}]}}))
    waiting = (await home(bff, alice.headers))["cases"]
    assert waiting["count"] == 1 and waiting["cases"][0]["id"] == case["id"]
    ok(await bff.post(f"/bff/app/cases/{case['id']}/resubmit", headers=alice.headers,
                      json={"form": {"person.name": "张三"}}))
    assert (await home(bff, alice.headers))["cases"]["count"] == 0

    # Catalogue: an operator switches a service on.
    await enable(TRANSFER)
    codes = [e["code"] for g in (await home(bff, alice.headers))["services"]["groups"] for e in g["entries"]]
    assert TRANSFER in codes

    # A department feed: the social-security office sends alice's insurance record.
    ss_card = "social_security.social_security.status"  # plugin name + the widget's own key
    assert ss_card not in [w["key"] for w in (await home(bff, alice.headers))["widgets"]]
    await import_person(tmp_path, alice)
    widgets = {w["key"]: w for w in (await home(bff, alice.headers))["widgets"]}
    assert widgets[ss_card]["data"]["status"] == "active"


async def import_person(tmp_path: Path, person: Actor) -> None:
    from core.feeds.importer import import_feed
    from core.feeds.registry import get_feed

    spec = get_feed("social_security", "persons")
    path = tmp_path / "persons.csv"
    values = {"id_number": person.id_number, "name": person.name, "region_code": COUNTY,
              "insured_since": "2015-03-01", "status": "active"}
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow([f.name for f in spec.fields])
        writer.writerow([values.get(f.name, "") for f in spec.fields])
    report = await import_feed(spec, path)
    assert report.rejected == 0 and report.inserted == 1


async def test_sign_in_changes_are_on_the_next_request(bff):
    alice = await make_citizen(region_code=COUNTY)
    assert (await home(bff, alice.headers))["region_code"] == COUNTY
    ok(await bff.put("/identity/me/home-region", headers=alice.headers, json={"region_code": OTHER_COUNTY}))
    assert (await home(bff, alice.headers))["region_code"] == OTHER_COUNTY

    # Refresh: the new access token works, the old one (resolved and kept before) does not.
    pair = ok(await bff.post("/identity/token/refresh", json={"refresh_token": alice.tokens.refresh_token}))
    assert (await bff.get("/bff/app/home", headers=alice.headers)).status_code == 401
    fresh = bearer(pair["access_token"])
    assert (await home(bff, fresh))["region_code"] == OTHER_COUNTY

    # Log out this session; log out everywhere.
    ok(await bff.post("/identity/logout", headers=fresh))
    assert (await bff.get("/bff/app/home", headers=fresh)).status_code == 401
    bob = await make_citizen(region_code=COUNTY)
    phone, pad = bob.headers, bearer((await _second_session(bob)).access_token)
    await home(bff, phone)
    await home(bff, pad)
    ok(await bff.post("/identity/logout-all", headers=phone))
    for headers in (phone, pad):
        assert (await bff.get("/bff/app/home", headers=headers)).status_code == 401


async def _second_session(actor: Actor):
    from core.identity import sessions

    return await sessions.open_session(actor.principal)


async def test_acting_for_a_relative_follows_the_grantors_changes_and_the_grant(bff):
    await enable(LOAN)
    mother = await make_citizen(region_code=OTHER_COUNTY, name="李母")
    son = await make_citizen(region_code=COUNTY, name="李子")
    acting = await grant_proxy(mother, son)
    as_son = await home(bff, acting.headers)
    assert as_son["acting_for"] == mother.account_id and as_son["region_code"] == OTHER_COUNTY
    assert as_son["cases"]["open"] == 0
    # The mother applies on her own phone: the son's screen for her shows it.
    await apply_for_loan(bff, mother)
    assert (await home(bff, acting.headers))["cases"]["open"] == 1
    # She revokes the grant: the acting token stops at once.
    ok(await bff.post(f"/identity/proxies/{acting.principal.proxy_grant_id}/revoke", headers=mother.headers))
    refused = await bff.get("/bff/app/home", headers=acting.headers)
    assert refused.status_code == 401 and refused.json()["code"] == "auth.required"


# ---- another app process, over Redis ------------------------------------------------------------


@pytest.fixture(scope="module")
async def second_process(app):
    """The platform app in a second process (uvicorn), on the same database and Redis."""
    if BACKEND != "services":
        pytest.skip("another process hears of changes over Redis")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "core.app:app_factory", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        cwd=Path(__file__).resolve().parents[2], env=dict(os.environ), stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url, timeout=10) as other:
            for _ in range(600):
                if server.poll() is not None:
                    raise RuntimeError(f"second app process exited: {server.stderr.read().decode()[-2000:]}")
                try:
                    await other.get("/healthz")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            yield other
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()


async def test_another_process_drops_its_kept_answer_and_resolution_at_once(client, second_process):
    other = second_process
    alice = await make_citizen(region_code=COUNTY)
    ok(await client.post("/card", headers=alice.headers), 201)
    card_id = (await Card.get(holder_id=alice.account_id)).id
    await funding.credit_topup(card_id, 5000, "T-other-1")
    kept = await home(other, alice.headers)
    assert kept == await home(other, alice.headers) and kept["card"]["balance_fen"] == 5000

    async def other_sees(check) -> bool:
        return check(await home(other, alice.headers))

    # Changes made in this process reach the other one's kept answer.
    await written_behind_the_cache(alice.account_id)
    assert (await home(other, alice.headers))["messages"]["unread"] == 0  # kept there too
    await messages.notify(alice.account_id, all_kinds()[0].code, params={"case_no": "X2"}, deliver=False)
    await eventually(lambda: other_sees(lambda h: h["messages"]["unread"] == 2))
    terminal = await make_terminal(client)
    token = ok(await client.post("/card/qr", headers=alice.headers))["token"]
    ok(await terminal.debit(token, 1500, txn_id="other-debit-1"), 201)
    await eventually(lambda: other_sees(lambda h: h["card"]["balance_fen"] == 3500))
    ok(await client.post("/card/loss", headers=alice.headers))
    await eventually(lambda: other_sees(lambda h: h["card"]["state"] == "frozen"))

    # Sign-in state: a token resolved and kept there stops working there.
    async def refused_there(headers) -> bool:
        return (await other.get("/bff/app/home", headers=headers)).status_code == 401

    ok(await client.post("/identity/logout", headers=alice.headers))
    await eventually(lambda: refused_there(alice.headers))
    bob = await make_citizen(region_code=COUNTY)
    await home(other, bob.headers)
    ok(await client.post("/identity/logout-all", headers=bob.headers))
    await eventually(lambda: refused_there(bob.headers))
    mother, son = await make_citizen(region_code=COUNTY), await make_citizen(region_code=COUNTY)
    acting = await grant_proxy(mother, son)
    await home(other, acting.headers)
    ok(await client.post(f"/identity/proxies/{acting.principal.proxy_grant_id}/revoke", headers=mother.headers))
    await eventually(lambda: refused_there(acting.headers))
