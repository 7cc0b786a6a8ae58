"""A department plugin with more services and widgets than the elder mode (长辈版) shows, so the
elder home can be compared with the standard one."""

from __future__ import annotations

from core.hooks import FormField, ServiceItem, Widget, hookimpl
from miniapp_bff.catalogue import ELDER_ENTRIES
from miniapp_bff.widgets import ELDER_WIDGETS

ZHUSHIDA_CONTRACT = "1"

BODY = "11430200MB1234567A"
CATEGORIES = ("社会保障", "医疗卫生", "户籍办理")


def _item(n: int) -> ServiceItem:
    basic = f"432000{300 + n:03d}000"
    return ServiceItem(
        basic_code=basic, implementation_code=f"{BODY}3{basic}", name=f"便民服务{n:02d}", name_en=f"Service {n:02d}",
        item_type="20", department_code="GJJ", department_name="住房公积金中心", category=CATEGORIES[n % len(CATEGORIES)],
        form=(FormField("person.name", "姓名", "Name", required=True, prefill="person.name"),),
        promised_limit_days=5, legal_limit_days=20,
    )


ITEMS = [_item(n) for n in range(ELDER_ENTRIES + 3)]
CODES = [item.code for item in ITEMS]


@hookimpl
def zhushida_services():
    return ITEMS


@hookimpl
def zhushida_home_widgets(user, region, channel):
    return [Widget(f"card_{n}", f"卡片{n}", f"Card {n}", {"n": n}, order=20 + n) for n in range(ELDER_WIDGETS + 1)]
