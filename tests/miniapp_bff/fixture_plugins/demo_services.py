"""A department plugin for the BFF tests: two items, one bundle, and a well-behaved widget."""

from __future__ import annotations

import asyncio

from core.hooks import Bundle, FormField, Material, ServiceItem, Widget, hookimpl

ZHUSHIDA_CONTRACT = "1"

BODY = "11430200MB1234567A"  # a valid unified social credit code (check character included)
LOAN_BASIC = "432000101000"
TRANSFER_BASIC = "432000102000"
LOAN = f"{BODY}3{LOAN_BASIC}"
TRANSFER = f"{BODY}3{TRANSFER_BASIC}"
BUNDLE = "demo.loan_bundle"


def _item(basic: str, name: str, name_en: str, **extra) -> ServiceItem:
    return ServiceItem(
        basic_code=basic, implementation_code=f"{BODY}3{basic}", name=name, name_en=name_en, item_type="20",
        department_code="GJJ", department_name="住房公积金中心", category="住房公积金",
        form=(FormField("person.name", "姓名", "Name", required=True, prefill="person.name"),),
        materials=(Material("id_card", "居民身份证", "Resident ID card"),),
        promised_limit_days=5, legal_limit_days=20, **extra,
    )


ITEMS = [
    _item(LOAN_BASIC, "公积金贷款申请", "Provident fund loan application", keywords=("贷款", "买房")),
    _item(TRANSFER_BASIC, "公积金转移接续", "Provident fund transfer", channels=("app", "web")),
]


@hookimpl
def zhushida_services():
    return ITEMS


@hookimpl
def zhushida_bundles():
    return Bundle(BUNDLE, "我要办公积金贷款", "Get a provident fund loan", items=(LOAN, TRANSFER), category="一件事")


@hookimpl
def zhushida_home_widgets(user, region, channel):
    async def balance():
        await asyncio.sleep(0)
        return Widget("balance", "公积金余额", "Fund balance", {"fen": 1234500, "for": user.subject_id}, order=10)

    return balance()
