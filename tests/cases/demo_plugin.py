"""A department plugin the way in-tree and third-party plugins declare services: two items of two
departments, a bundle of both, prefill, reusable certificates, and a listener on case events.

Registered by the ``demo_plugin`` fixture (tests/cases/conftest.py) as plugin ``demo_dept``.
"""

from __future__ import annotations

from core.hooks import (
    Bundle,
    CertificateRef,
    DeliveryOptions,
    FieldOption,
    FormField,
    Material,
    ServiceItem,
    When,
    hookimpl,
)

ZHUSHIDA_CONTRACT = "1"

GJJ_BODY = "11430200MB1234567A"  # implementing body's unified social credit code (valid check char)
BDC_BODY = "12430200MB7777777A"
GJJ_BASIC = "000712345000"  # 00 national, 07 行政确认, main 12345, sub 000
BDC_BASIC = "000154321001"  # 01 行政许可
GJJ_CODE = f"{GJJ_BODY}3{GJJ_BASIC}"
BDC_CODE = f"{BDC_BODY}3{BDC_BASIC}"
IDCARD_TYPE = "demo.idcard"

# What the plugin "holds" for citizens: prefill data and certificates, keyed by account id.
PEOPLE: dict[int, dict[str, str]] = {}
CERTIFICATES: dict[int, list[CertificateRef]] = {}
EVENTS: list = []

common_fields = (
    FormField("applicant_name", "申请人姓名", "Applicant name", "text", required=True, prefill="person.name", max_length=32),
    FormField("applicant_id_number", "身份证号码", "ID number", "id_number", required=True, prefill="person.id_number"),
    FormField("phone", "联系电话", "Phone", "phone", required=True),
)

GJJ = ServiceItem(
    basic_code=GJJ_BASIC,
    implementation_code=GJJ_CODE,
    name="住房公积金提取（演示）",
    name_en="Housing provident fund withdrawal (demo)",
    item_type="07",
    department_code="demo_gjj",
    department_name="演示公积金中心",
    category="住房公积金",
    situation="购房提取",
    basis="《住房公积金管理条例》第二十四条",
    conditions="缴存职工购买自住住房",
    materials=(
        Material("id_card", "居民身份证", "Resident ID card", form="both", certificate_types=(IDCARD_TYPE,)),
        Material("contract", "购房合同", "Purchase contract", mime_types=("application/pdf",), max_bytes=200_000),
        Material("marriage", "婚姻关系证明", "Proof of marriage", form="both", tolerable=True),
        Material("income", "收入证明", "Proof of income", required=False, commitment_allowed=True),
    ),
    form=(
        *common_fields,
        FormField("amount", "提取金额（分）", "Amount (fen)", "money", required=True, min=100, max=100_000_000),
        FormField("reason", "提取原因", "Reason", "select", required=True,
                  options=(FieldOption("buy", "购房", "purchase"), FieldOption("other", "其他", "other"))),
        FormField("other_reason", "其他原因说明", "Other reason", "textarea", required=True,
                  when=When("reason", "eq", "other")),
    ),
    legal_limit_days=20,
    promised_limit_days=5,
    case_type="promised",
    trips=0,
    online_depth=4,
    min_level=2,
    result_type="approval",
    result_name="提取审批结果",
    delivery=DeliveryOptions(window=True, courier=True, pickup=True),
    keywords=("公积金", "提取"),
)

BDC = ServiceItem(
    basic_code=BDC_BASIC,
    implementation_code=BDC_CODE,
    name="不动产转移登记（演示）",
    name_en="Real estate transfer registration (demo)",
    item_type="01",
    department_code="demo_bdc",
    department_name="演示不动产登记中心",
    category="不动产登记",
    basis="《不动产登记暂行条例》",
    conditions="买卖双方签订合同",
    materials=(Material("id_card", "居民身份证", "Resident ID card", certificate_types=(IDCARD_TYPE,)),),
    form=(
        *common_fields,
        FormField("property_address", "不动产坐落", "Property address", "text", required=True, max_length=100),
    ),
    legal_limit_days=30,
    promised_limit_days=10,
    fee_fen=8000,
    fee_basis="不动产登记费 80 元",
    result_type="certificate",
    result_certificate_type="demo.bdc_cert",
    delivery=DeliveryOptions(window=True, electronic=True),
    keywords=("房产", "过户"),
)

INSTANT = ServiceItem(
    basic_code="002054321000",
    implementation_code=f"{GJJ_BODY}3002054321000",
    name="公积金缴存证明（演示）",
    name_en="Provident fund deposit certificate (demo)",
    item_type="20",
    department_code="demo_gjj",
    department_name="演示公积金中心",
    category="住房公积金",
    form=(common_fields[0],),
    case_type="instant",
    min_level=1,
    result_type="document",
    delivery=DeliveryOptions(window=False, electronic=True),
)

BUY_HOUSE = Bundle(
    code="demo.buy_house",
    name="我要买二手房（演示）",
    name_en="Buying a second-hand home (demo)",
    items=(BDC_CODE, GJJ_CODE),
    category="一件事",
    keywords=("二手房",),
)


@hookimpl
def zhushida_services():
    return [GJJ, BDC, INSTANT]


@hookimpl
def zhushida_bundles():
    return BUY_HOUSE


@hookimpl
def zhushida_form_prefill(account_id, item, keys):
    async def answer():
        person = PEOPLE.get(account_id, {})
        return {k: v for k, v in person.items() if k in keys}

    return answer()


@hookimpl
def zhushida_material_certificates(account_id, item, material):
    return [c for c in CERTIFICATES.get(account_id, []) if c.type_code in material.certificate_types]


@hookimpl
def zhushida_case_event(event):
    EVENTS.append(event)
