"""Builders for the department plugins' tests: enable items, import a feed row for a citizen."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from core.feeds.importer import import_feed
from core.feeds.registry import get_feed
from core.feeds.synthetic import write_feed

CITY = "430200000000"
HOME = "430281000000"  # 醴陵市, make_citizen's default home region


def this_month() -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)).strftime("%Y%m")


async def enable(*codes: str, region: str = CITY) -> None:
    from core.catalogue.enablement import set_enablement
    from tests.support.auth import make_operator

    operator = await make_operator()
    for code in codes:
        await set_enablement(operator.principal, code, region, "*", True)


async def feed_rows(tmp_path: Path, plugin: str, feed: str, rows: list[dict[str, Any]]) -> None:
    spec = get_feed(plugin, feed)
    path = tmp_path / f"{plugin}-{feed}-{len(list(tmp_path.iterdir()))}.csv"
    write_feed(path, spec.field_names, iter(rows))
    report = await import_feed(spec, path)
    assert report.rejected == 0, report.rejections


def id_for(birth: str, male: bool = True, county: str = "430281") -> str:
    from stdnum.cn import ric

    seq = "013" if male else "024"
    body = f"{county}{birth}{seq}"
    return body + ric.calc_check_digit(body + "0")


async def pay_with_card(client, payer, purpose_kind: str, purpose_ref: str, amount_hint: int) -> dict:
    """Pay one purpose from the citizen-card wallet (card opened and topped up as needed)."""
    from tests.citizen_card.helpers import fund

    if (await client.post("/card", headers=payer.headers)).status_code not in (200, 201, 409):
        raise AssertionError("cannot open a citizen card")
    await fund(payer.account_id, amount_hint)
    r = await client.post("/payments/orders", headers=payer.headers,
                          json={"purpose_kind": purpose_kind, "purpose_ref": purpose_ref,
                                "client_key": f"{purpose_kind}-{purpose_ref}-pay"})
    assert r.status_code == 201, r.text
    order = r.json()
    r = await client.post(f"/payments/orders/{order['order_no']}/pay", headers=payer.headers,
                          json={"channel": "card_wallet", "method": "wallet"})
    assert r.status_code == 200 and r.json()["params"]["paid"] is True, r.text
    return order
