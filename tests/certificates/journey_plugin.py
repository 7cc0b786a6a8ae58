"""A real-estate department plugin for the certificate journey: one item (不动产抵押登记) whose
title material is replaced by the applicant's 不动产权证书 and whose result is an e-certificate
(不动产登记证明) issued on approval."""

from core.hooks import (
    CertificateField,
    CertificateType,
    DeliveryOptions,
    FormField,
    Material,
    ServiceItem,
    hookimpl,
)
from tests.certificates.demo_plugin import ISSUER, PROPERTY

ZHUSHIDA_CONTRACT = "1"

PROOF = "11100000000013338W012"  # 不动产登记证明
BODY = "11430000006122244L"
BASIC = "000154321099"
ITEM_CODE = f"{BODY}3{BASIC}"
DEPARTMENT = "journey_bdc"

MORTGAGE = ServiceItem(
    basic_code=BASIC,
    implementation_code=ITEM_CODE,
    name="不动产抵押登记（演示）",
    name_en="Real estate mortgage registration (demo)",
    item_type="01",
    department_code=DEPARTMENT,
    department_name="演示不动产登记中心",
    materials=(Material("title", "不动产权证书", "Title certificate", certificate_types=(PROPERTY,)),),
    form=(
        FormField("applicant_name", "申请人", "Applicant", "text", required=True, max_length=32),
        FormField("location", "不动产坐落", "Location", "text", required=True, max_length=100),
        FormField("creditor", "抵押权人", "Creditor", "text", required=True, max_length=64),
    ),
    legal_limit_days=30,
    promised_limit_days=5,
    result_type="certificate",
    result_certificate_type=PROOF,
    delivery=DeliveryOptions(window=True, electronic=True),
)


@hookimpl
def zhushida_services():
    return [MORTGAGE]


@hookimpl
def zhushida_certificate_types():
    return CertificateType(
        code=PROOF, name="不动产登记证明", name_en="Real estate registration proof",
        issuer_credit_code=ISSUER, issuer_name="株洲市不动产登记中心",
        fields=[
            CertificateField("holder_name", "义务人", "Obligor", mask="name", from_form="applicant_name"),
            CertificateField("location", "坐落", "Location"),
            CertificateField("creditor", "权利人（抵押权人）", "Mortgagee"),
        ],
        public_fields=["location", "creditor"],
    )
