"""电子监察 with a frozen clock: near-due and overdue warnings, visible to heads and operators;
容缺 cases terminated after their deadline."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core.cases import api as cases
from core.cases import clock, supervision
from core.cases.models import SupervisionWarning
from core.errors import AppError
from tests.cases.conftest import COUNTY
from tests.cases.demo_plugin import GJJ_CODE
from tests.cases.helpers import citizen_with_data, enable, gjj_form, upload
from tests.support.auth import make_operator, make_staff

pytestmark = pytest.mark.usefixtures("database", "demo")


def shanghai_morning(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 1, 30, tzinfo=UTC)  # 09:30 Asia/Shanghai


async def _accepted_case(demo, *, tolerant: bool = False):
    await enable(GJJ_CODE)
    alice = await citizen_with_data(demo)
    materials = {"contract": {"upload_id": await upload(alice.account_id, "contract")},
                 "id_card": {"paper": True}}
    if not tolerant:
        materials["marriage"] = {"paper": True}
    clerk = await make_staff(department_code="demo_gjj", roles=("clerk",))
    with clock.frozen(shanghai_morning(date(2026, 11, 2))):  # Monday
        case = await cases.submit(alice.principal, GJJ_CODE, region_code=COUNTY, form=gjj_form(), materials=materials)
        action = "accept_tolerant" if tolerant else "accept"
        case = await cases.transition(case.id, action, clerk.principal, data={"deadline_days": 2} if tolerant else None)
    return case


async def test_near_due_then_overdue_with_frozen_clock(demo):
    case = await _accepted_case(demo)
    assert case.due_date == date(2026, 11, 9)
    with clock.frozen(shanghai_morning(date(2026, 11, 4))):
        assert await supervision.sweep() == {"near_due": 0, "overdue": 0, "accept_overdue": 0, "terminated": 0}
    with clock.frozen(shanghai_morning(date(2026, 11, 6))):  # Friday: due on the next working day
        assert (await supervision.sweep())["near_due"] == 1
        assert (await supervision.sweep())["near_due"] == 0  # once per level
    with clock.frozen(shanghai_morning(date(2026, 11, 10))):
        counts = await supervision.supervise()  # the periodic task itself
        assert counts["overdue"] == 1
    assert [w.level for w in await SupervisionWarning.all().order_by("id")] == ["near_due", "overdue"]
    assert [e.data.get("level") for e in demo.EVENTS if e.kind == "warning"] == ["near_due", "overdue"]

    head = await make_staff(department_code="demo_gjj", roles=("head",))
    operator = await make_operator(region_code=COUNTY)
    clerk = await make_staff(department_code="demo_gjj", roles=("clerk",))
    other_head = await make_staff(department_code="demo_bdc", roles=("head",))
    assert {w["level"] for w in await supervision.list_warnings(head.principal)} == {"near_due", "overdue"}
    assert len(await supervision.list_warnings(operator.principal, level="overdue")) == 1
    assert await supervision.list_warnings(other_head.principal) == []
    with pytest.raises(AppError):
        await supervision.list_warnings(clerk.principal)
    with clock.frozen(shanghai_morning(date(2026, 11, 10))):
        overview = await supervision.stats(operator.principal)
    assert overview["departments"] == [{"department_code": "demo_gjj", "open": 1, "overdue": 1, "near_due": 0,
                                        "decided": 0, "decided_on_time": 0, "on_time_rate": None}]
    with pytest.raises(AppError):
        await supervision.stats(clerk.principal)
    warning_id = (await supervision.list_warnings(head.principal, level="overdue"))[0]["id"]
    await supervision.acknowledge(head.principal, warning_id)
    assert [w["level"] for w in await supervision.list_warnings(head.principal)] == ["near_due"]


async def test_suspended_case_raises_nothing(demo):
    case = await _accepted_case(demo)
    head = await make_staff(department_code="demo_gjj", roles=("reviewer", "head"))
    with clock.frozen(shanghai_morning(date(2026, 11, 3))):
        await cases.transition(case.id, "suspend", head.principal, comment="听证")
    with clock.frozen(shanghai_morning(date(2026, 11, 20))):
        assert await supervision.sweep() == {"near_due": 0, "overdue": 0, "accept_overdue": 0, "terminated": 0}


async def test_tolerance_deadline_terminates(demo):
    case = await _accepted_case(demo, tolerant=True)
    assert case.missing_deadline == date(2026, 11, 4)
    with clock.frozen(shanghai_morning(date(2026, 11, 5))):
        counts = await supervision.sweep()
    assert counts["terminated"] == 1
    case = await cases.get_case(case.id)
    assert case.state == "terminated"
    assert (await cases.events(case.id))[-1]["actor_kind"] == "system"


async def test_workday_override_for_unknown_year():
    from core.cases.calendar import WorkCalendar
    from core.cases.models import WorkdayOverride

    cal = await WorkCalendar.load()
    assert not cal.is_workday(date(2026, 10, 1)) and cal.is_workday(date(2026, 10, 10)) is not None
    assert cal.is_workday(date(2099, 1, 1))  # unknown year: a Thursday counts until ruled on
    await WorkdayOverride.create(day=date(2099, 1, 1), workday=False, note="元旦")
    cal = await WorkCalendar.load()
    assert not cal.is_workday(date(2099, 1, 1))
    assert cal.add_workdays(date(2098, 12, 31), 1) == date(2099, 1, 2)


async def test_accept_overdue_after_five_working_days(demo):
    await enable(GJJ_CODE)
    alice = await citizen_with_data(demo)
    with clock.frozen(shanghai_morning(date(2026, 11, 2))):
        case = await cases.submit(alice.principal, GJJ_CODE, region_code=COUNTY, form=gjj_form(), materials={
            "contract": {"upload_id": await upload(alice.account_id, "contract")}, "id_card": {"paper": True},
            "marriage": {"paper": True}})
    with clock.frozen(shanghai_morning(date(2026, 11, 9))):  # the 5th working day: still in time
        assert (await supervision.sweep())["accept_overdue"] == 0
    with clock.frozen(shanghai_morning(date(2026, 11, 10))):
        assert (await supervision.sweep())["accept_overdue"] == 1
    warning = await SupervisionWarning.get(case_id=case.id)
    assert warning.level == "accept_overdue" and warning.due_date == date(2026, 11, 9)
