"""好差评: one rating per case, bad ratings rectified on a working-day deadline with a follow-up
visit, appeals reviewed by operators, defaults for unrated cases, statistics by region."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

import pytest

from core.cases import clock
from core.cases.records import CaseEvent
from core.evaluations import api, config
from core.evaluations.models import Evaluation, Rectification
from core.messages.models import Message
from tests.support.auth import make_citizen, make_operator, make_staff

LILING = "430281000000"  # 醴陵市
YOUXIAN = "430223000000"  # 攸县
_ids = itertools.count(1000)


async def finish_case(host, citizen, *, effect="close", department="RSJ", region=LILING, item="4302810000001",
                      item_name="城乡居民养老保险参保登记", at=None, case_id=None) -> int:
    """The case engine closed one of ``citizen``'s cases: the event every plugin receives."""
    case_id = case_id or next(_ids)
    event = CaseEvent(
        event_id=next(_ids), case_id=case_id, case_no=f"ZS-{case_id}", item_code=item, basic_code="000720001000",
        item_name=item_name, kind=effect, effect=effect, from_state="delivered", to_state="closed",
        status_code="11", applicant_id=citizen.account_id, region_code=region, department_code=department,
        channel="app", actor_kind="staff", actor_id=1, on_behalf_of=None, at=at or clock.now(),
    )
    await host.broadcast("zhushida_case_event", event=event)
    return case_id


async def test_one_rating_per_case_with_stable_refusals(client, host):
    alice, bob = await make_citizen(), await make_citizen()
    case_id = await finish_case(host, alice)
    r = await client.post("/evaluations", headers=alice.headers, json={"case_id": case_id, "level": 1, "comment": "很快"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["level_name"] == "非常满意" and body["channel"] == "app" and body["rectification"] is None
    r = await client.post("/evaluations", headers=alice.headers, json={"case_id": case_id, "level": 2})
    assert r.status_code == 409 and r.json()["code"] == "evaluations.already_rated"
    assert await Evaluation.filter(case_id=case_id).count() == 1

    other = await finish_case(host, alice)
    for payload, code in (({"level": 0}, "evaluations.level_invalid"), ({"level": 6}, "evaluations.level_invalid"),
                          ({"level": "2"}, "evaluations.level_invalid"), ({"level": True}, "evaluations.level_invalid"),
                          ({"level": 4}, "evaluations.reason_required"),
                          ({"level": 2, "channel": "fax"}, "evaluations.channel_invalid")):
        r = await client.post("/evaluations", headers=alice.headers, json={"case_id": other, **payload})
        assert r.status_code == 400 and r.json()["code"] == code, (payload, r.text)
    # Someone else's case does not exist for Bob; an unknown case neither.
    r = await client.post("/evaluations", headers=bob.headers, json={"case_id": other, "level": 1})
    assert r.status_code == 404
    r = await client.post("/evaluations", headers=alice.headers, json={"case_id": 999999, "level": 1})
    assert r.status_code == 404
    assert (await client.post("/evaluations", json={"case_id": other, "level": 1})).status_code == 401
    # A finished case not rated yet shows the levels to choose from.
    r = await client.get(f"/evaluations/cases/{other}", headers=alice.headers)
    assert r.json() == {"rated": False, "case_id": other, "levels": {"1": "非常满意", "2": "满意", "3": "基本满意",
                                                                       "4": "不满意", "5": "非常不满意"}}
    mine = (await client.get("/evaluations/mine", headers=alice.headers)).json()
    assert [e["case_id"] for e in mine] == [case_id]


async def test_bad_rating_opens_a_rectification_closed_by_a_follow_up_visit(client, host):
    alice = await make_citizen()
    clerk = await make_staff(department_code="RSJ", roles=("clerk",), region_code=LILING)
    stranger = await make_staff(department_code="GJJ", roles=("head",), region_code=LILING)
    # Rated on 2026-09-30, the eve of the National Day holiday: 5 working days later is 10-15
    # (10-01..10-08 are holidays, 10-10 is a swapped working Saturday — per chinese-calendar).
    with clock.frozen(datetime(2026, 9, 30, 2, 0, tzinfo=UTC)):
        case_id = await finish_case(host, alice)
        r = await client.post("/evaluations", headers=alice.headers,
                              json={"case_id": case_id, "level": 5, "comment": "窗口人员态度差", "tags": ["态度"]})
    assert r.status_code == 201, r.text
    rect = r.json()["rectification"]
    from core.cases.calendar import WorkCalendar

    expected = WorkCalendar().add_workdays(date(2026, 9, 30), config.evaluations_settings().rectification_workdays)
    assert rect["status"] == "open" and rect["deadline"] == expected.isoformat() and expected > date(2026, 10, 8)
    [opened] = await Message.filter(account_id=alice.account_id, kind="evaluation.rectification_opened")
    assert expected.isoformat() in opened.body

    # The department sees it; another department does not.
    listed = (await client.get("/staff/rectifications", params={"status": "open"}, headers=clerk.headers)).json()
    assert [x["id"] for x in listed] == [rect["id"]]
    assert (await client.get("/staff/rectifications", headers=stranger.headers)).json() == []
    url = f"/staff/rectifications/{rect['id']}"
    assert (await client.post(f"{url}/resolve", headers=stranger.headers,
                              json={"outcome": "rectified", "measures": "x"})).status_code == 404
    assert (await client.post(f"{url}/resolve", headers=alice.headers,
                              json={"outcome": "rectified", "measures": "x"})).status_code == 403
    r = await client.post(f"{url}/follow-up", headers=clerk.headers, json={"method": "phone", "satisfied": True})
    assert r.status_code == 409 and r.json()["code"] == "evaluations.rectification_state"
    r = await client.post(f"{url}/resolve", headers=clerk.headers, json={"outcome": "ignored", "measures": ""})
    assert r.status_code == 400 and r.json()["code"] == "evaluations.outcome_invalid"
    with clock.frozen(datetime(2026, 10, 20, 2, 0, tzinfo=UTC)):
        overdue = (await client.get("/staff/rectifications", params={"overdue": True}, headers=clerk.headers)).json()
        assert [x["id"] for x in overdue] == [rect["id"]]
    r = await client.post(f"{url}/resolve", headers=clerk.headers,
                          json={"outcome": "rectified", "measures": "已对窗口人员批评教育并调整岗位"})
    assert r.status_code == 200 and r.json()["status"] == "resolved"
    r = await client.post(f"{url}/follow-up", headers=clerk.headers, json={"method": "fax", "satisfied": True})
    assert r.status_code == 400 and r.json()["code"] == "evaluations.visit_invalid"
    r = await client.post(f"{url}/follow-up", headers=clerk.headers,
                          json={"method": "phone", "satisfied": True, "notes": "群众表示满意"})
    assert r.status_code == 200 and r.json()["status"] == "closed" and r.json()["visit"]["method"] == "phone"
    assert await Message.filter(account_id=alice.account_id, kind="evaluation.rectification_closed").count() == 1
    seen = (await client.get(f"/evaluations/cases/{case_id}", headers=alice.headers)).json()
    assert seen["rectification"]["status"] == "closed" and seen["rectification"]["visited"] is True


async def test_department_appeal_reviewed_by_an_operator(client, host):
    alice = await make_citizen()
    clerk = await make_staff(department_code="RSJ", roles=("clerk",), region_code=LILING)
    head = await make_staff(department_code="RSJ", roles=("head",), region_code=LILING)
    far_operator = await make_operator(region_code=YOUXIAN)
    operator = await make_operator(region_code="430200000000")
    bad_case, good_case = await finish_case(host, alice), await finish_case(host, alice)
    bad = (await client.post("/evaluations", headers=alice.headers,
                             json={"case_id": bad_case, "level": 4, "comment": "重复辱骂工作人员"})).json()
    good = (await client.post("/evaluations", headers=alice.headers, json={"case_id": good_case, "level": 2})).json()

    appeal_url = f"/staff/evaluations/{bad['id']}/appeal"
    assert (await client.post(appeal_url, headers=clerk.headers, json={"reason": "x"})).status_code == 403
    r = await client.post(f"/staff/evaluations/{good['id']}/appeal", headers=head.headers, json={"reason": "x"})
    assert r.status_code == 409 and r.json()["code"] == "evaluations.appeal_not_allowed"
    r = await client.post(appeal_url, headers=head.headers, json={"reason": "评价内容与办件无关，属恶意差评"})
    assert r.status_code == 201, r.text
    appeal_id = r.json()["id"]
    r = await client.post(appeal_url, headers=head.headers, json={"reason": "again"})
    assert r.status_code == 409 and r.json()["code"] == "evaluations.appeal_exists"

    assert (await client.get("/operator/evaluations/appeals", headers=far_operator.headers)).json() == []
    pending = (await client.get("/operator/evaluations/appeals", headers=operator.headers)).json()
    assert [a["id"] for a in pending] == [appeal_id] and pending[0]["evaluation"]["level"] == 4
    review = f"/operator/evaluations/appeals/{appeal_id}/review"
    assert (await client.post(review, headers=far_operator.headers,
                              json={"decision": "upheld", "comment": "x"})).status_code == 404
    assert (await client.post(review, headers=head.headers, json={"decision": "upheld", "comment": "x"})).status_code == 403
    r = await client.post(review, headers=operator.headers, json={"decision": "maybe", "comment": ""})
    assert r.status_code == 400 and r.json()["code"] == "evaluations.decision_invalid"
    r = await client.post(review, headers=operator.headers, json={"decision": "upheld", "comment": "经核实属恶意评价"})
    assert r.status_code == 200 and r.json()["status"] == "upheld"
    r = await client.post(review, headers=operator.headers, json={"decision": "rejected", "comment": "x"})
    assert r.status_code == 409 and r.json()["code"] == "evaluations.appeal_decided"
    assert (await Evaluation.get(id=bad["id"])).status.value == "invalidated"
    assert (await Rectification.get(evaluation_id=bad["id"])).status.value == "withdrawn"
    stats = (await client.get("/operator/evaluations/stats", headers=operator.headers)).json()
    assert [(g["total"], g["bad"]) for g in stats["groups"]] == [(1, 0)]  # the invalidated rating is out


@pytest.fixture
def default_rules(monkeypatch):
    monkeypatch.setenv("ZHUSHIDA_EVALUATIONS_DEFAULT_LEVEL", "3")
    monkeypatch.setenv("ZHUSHIDA_EVALUATIONS_DEFAULT_AFTER", "7")
    monkeypatch.setenv("ZHUSHIDA_EVALUATIONS_DEFAULT_AFTER_UNIT", "days")
    config.evaluations_settings.cache_clear()
    yield config.evaluations_settings()
    config.evaluations_settings.cache_clear()


async def test_unrated_finished_cases_take_the_configured_default(client, host, default_rules):
    alice = await make_citizen()
    closed_at = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
    with clock.frozen(closed_at):
        unrated = await finish_case(host, alice)
        rated = await finish_case(host, alice)
        refused = await finish_case(host, alice, effect="refuse")
        open_case = await finish_case(host, alice, effect="approve")  # decided, not closed: no default
        r = await client.post("/evaluations", headers=alice.headers, json={"case_id": rated, "level": 1})
        assert r.status_code == 201
    with clock.frozen(datetime(2026, 11, 9, 2, 59, tzinfo=UTC)):  # 7 days minus a minute
        assert await api.apply_defaults() == 0
    with clock.frozen(datetime(2026, 11, 9, 3, 0, tzinfo=UTC)):
        assert await api.apply_defaults() == 2
        assert await api.apply_defaults() == 0  # idempotent
    defaults = {e.case_id: e for e in await Evaluation.filter(source="default")}
    assert set(defaults) == {unrated, refused}
    assert {e.level for e in defaults.values()} == {3} and {e.channel for e in defaults.values()} == {"system"}
    assert await Rectification.all().count() == 0
    r = await client.post("/evaluations", headers=alice.headers, json={"case_id": unrated, "level": 5, "comment": "差"})
    assert r.status_code == 409 and r.json()["code"] == "evaluations.already_rated"
    assert not await Evaluation.exists(case_id=open_case)


async def test_default_delay_counts_working_days(host, database):
    citizen = await make_citizen()
    # Closed Friday 2026-10-30 local: 5 working days later is Friday 2026-11-06, same time.
    closed_at = datetime(2026, 10, 30, 8, 0, tzinfo=UTC)
    with clock.frozen(closed_at):
        case_id = await finish_case(host, citizen)
    from core.evaluations.models import RateableCase

    row = await RateableCase.get(case_id=case_id)
    assert row.default_due_at == datetime(2026, 11, 6, 8, 0, tzinfo=UTC)


async def test_ratings_collected_at_the_window_and_statistics_by_region(client, host):
    alice, bob = await make_citizen(), await make_citizen(region_code=YOUXIAN)
    liling_clerk = await make_staff(department_code="RSJ", roles=("clerk",), region_code=LILING)
    gjj_clerk = await make_staff(department_code="GJJ", roles=("clerk",), region_code=LILING)
    liling_op, city_op = await make_operator(region_code=LILING), await make_operator(region_code="430200000000")

    a1 = await finish_case(host, alice, item="ITEM-A", item_name="参保登记")
    a2 = await finish_case(host, alice, item="ITEM-A", item_name="参保登记")
    a3 = await finish_case(host, alice, item="ITEM-B", item_name="公积金提取", department="GJJ")
    b1 = await finish_case(host, bob, item="ITEM-A", item_name="参保登记", region=YOUXIAN)
    await client.post("/evaluations", headers=alice.headers, json={"case_id": a1, "level": 1})
    await client.post("/evaluations", headers=alice.headers, json={"case_id": a2, "level": 4, "comment": "等太久"})
    await client.post("/evaluations", headers=bob.headers, json={"case_id": b1, "level": 2})
    # Alice rated a3 on the window's rating pad; GJJ staff enter it (RSJ staff may not).
    r = await client.post("/staff/evaluations", headers=liling_clerk.headers,
                          json={"case_id": a3, "level": 3, "channel": "window"})
    assert r.status_code == 404
    r = await client.post("/staff/evaluations", headers=gjj_clerk.headers, json={"case_id": a3, "level": 3, "channel": "app"})
    assert r.status_code == 400 and r.json()["code"] == "evaluations.channel_invalid"
    r = await client.post("/staff/evaluations", headers=gjj_clerk.headers, json={"case_id": a3, "level": 3, "channel": "window"})
    assert r.status_code == 201 and r.json()["source"] == "staff_recorded"

    by_item = (await client.get("/operator/evaluations/stats", params={"by": "item"}, headers=liling_op.headers)).json()
    groups = {g["key"]: g for g in by_item["groups"]}
    assert set(groups) == {"ITEM-A", "ITEM-B"}  # 攸县's rating is outside 醴陵's scope
    assert groups["ITEM-A"]["total"] == 2 and groups["ITEM-A"]["bad"] == 1
    assert groups["ITEM-A"]["levels"] == {"1": 1, "2": 0, "3": 0, "4": 1, "5": 0}
    assert groups["ITEM-A"]["satisfaction_rate"] == 0.5 and groups["ITEM-A"]["rectifications"]["open"] == 1
    city = (await client.get("/operator/evaluations/stats", params={"by": "department"}, headers=city_op.headers)).json()
    by_dept = {g["key"]: g for g in city["groups"]}
    assert by_dept["RSJ"]["total"] == 3 and by_dept["GJJ"]["total"] == 1 and by_dept["RSJ"]["name"] != "RSJ"
    narrowed = (await client.get("/operator/evaluations/stats", params={"region_code": YOUXIAN}, headers=city_op.headers)).json()
    assert [g["total"] for g in narrowed["groups"]] == [1]
    r = await client.get("/operator/evaluations/stats", params={"region_code": YOUXIAN}, headers=liling_op.headers)
    assert r.status_code == 404
    for params in ({"by": "colour"}, {"since": "yesterday"}):
        r = await client.get("/operator/evaluations/stats", params=params, headers=city_op.headers)
        assert r.status_code == 400 and r.json()["code"] == "evaluations.stats_invalid"
    mine = (await client.get("/operator/evaluations/stats", headers=gjj_clerk.headers)).json()
    assert [g["key"] for g in mine["groups"]] == ["ITEM-B"]  # staff: their own department only
    assert (await client.get("/operator/evaluations/stats", headers=alice.headers)).status_code == 403
