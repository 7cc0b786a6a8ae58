"""A minimal department plugin for the delivery tests: items declared through the catalogue
hook exactly as a department would, one offering courier delivery and door pickup with the fee
paid by the citizen, one whose department bears the fee."""

from __future__ import annotations

from core.hooks import DeliveryOptions, FormField, ServiceItem, hookimpl

ZHUSHIDA_CONTRACT = "1"

BODY = "11430200MB1234567A"
CITIZEN_PAYS = f"{BODY}3000788888000"
DEPARTMENT_PAYS = f"{BODY}3000788888001"
DEPARTMENT = "dlv_test"

_form = (FormField("phone", "联系电话", "Phone", "phone", required=True),)


def _item(code: str, basic: str, name: str, delivery: DeliveryOptions) -> ServiceItem:
    return ServiceItem(
        basic_code=basic, implementation_code=code, name=name, name_en="Delivery test item", item_type="07",
        department_code=DEPARTMENT, department_name="寄递测试局", form=_form, legal_limit_days=10,
        promised_limit_days=5, result_type="document", result_name="测试批复文书", delivery=delivery,
        consult_phone="0731-22222222", place="株洲市天元区政务服务中心3楼",
    )


ITEMS = [
    _item(CITIZEN_PAYS, "000788888000", "寄递测试事项（市民付邮费）",
          DeliveryOptions(window=True, courier=True, pickup=True)),
    _item(DEPARTMENT_PAYS, "000788888001", "寄递测试事项（部门付邮费）",
          DeliveryOptions(window=True, courier=True, pickup=True, fee_payer="department")),
]


@hookimpl
def zhushida_services():
    return ITEMS
