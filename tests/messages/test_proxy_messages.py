"""亲友代办: when a relative applies for a citizen, both hear about the case's progress."""

from __future__ import annotations

from core import tasks
from core.cases import api as cases
from core.catalogue.enablement import set_enablement
from core.certificates import api as certificates
from core.messages.models import Message
from tests.certificates import demo_plugin
from tests.certificates.conftest import cert_types  # noqa: F401 (fixture)
from tests.certificates.test_case_journey import COUNTY, journey  # noqa: F401 (fixture)
from tests.support.auth import grant_proxy, make_citizen, make_operator, make_staff


async def test_the_relative_who_applied_is_told_too(client, journey):  # noqa: F811
    operator = await make_operator()
    await set_enablement(operator.principal, journey.ITEM_CODE, COUNTY, "*", True)
    grandma = await make_citizen(region_code=COUNTY, name="王秀英")
    son = await make_citizen(region_code=COUNTY, name="李明")
    stranger = await make_citizen(region_code=COUNTY)
    acting = await grant_proxy(grandma, son)
    title = await certificates.issue(demo_plugin.PROPERTY, grandma.account_id,
                                     {"holder_name": "王秀英", "id_number": grandma.id_number, "location": "醴陵市 2 号"})
    case = await cases.submit(acting.principal, journey.ITEM_CODE, region_code=COUNTY,
                              form={"applicant_name": "王秀英", "location": "醴陵市 2 号", "creditor": "某银行"},
                              materials={"title": {"certificate_id": str(title.id)}})
    clerk = await make_staff(department_code=journey.DEPARTMENT, roles=("clerk",), region_code=COUNTY)
    await cases.transition(case.id, "accept", clerk.principal)
    await tasks.drain()
    for person in (grandma, son):
        kinds = await Message.filter(account_id=person.account_id, kind__startswith="case.").values_list("kind", flat=True)
        assert sorted(kinds) == ["case.accepted", "case.submitted"], person.name
    assert not await Message.filter(account_id=stranger.account_id).exists()
    # The son reads his own inbox (not his mother's) while acting for her.
    inbox = (await client.get("/messages", headers=acting.headers)).json()["items"]
    assert {m["kind"] for m in inbox} == {"case.accepted", "case.submitted"}
    assert not any(m["kind"] == "certificate.issued" for m in inbox)  # her certificate news is hers
