"""The registration centre's service items, the property certificate type and the bundle
我要买卖二手房 (transfer registration + the buyer's provident-fund withdrawal for the purchase)."""

from __future__ import annotations

import dataclasses

from core.hooks import (
    Bundle,
    CertificateField,
    CertificateType,
    DeliveryOptions,
    FormField,
    Material,
    ServiceItem,
)

BODY = "12430200MB1D00001A"  # 株洲市不动产登记中心
DEPARTMENT = ("BDC", "株洲市不动产登记中心")
TRANSFER_BASIC = "000731001000"  # 07 行政确认: 国有建设用地使用权及房屋所有权转移登记
MORTGAGE_BASIC = "000731002000"  # 抵押权首次登记
TRANSFER_CODE = f"{BODY}3{TRANSFER_BASIC}"
MORTGAGE_CODE = f"{BODY}3{MORTGAGE_BASIC}"
# The fund centre's withdrawal item, named by its implementation code only (plugins never import
# each other; the catalogue resolves the code).
FUND_WITHDRAWAL_CODE = "12430200MB1B0000153000721001000"
CERT_TYPE = "BDCQZS"  # 不动产权证书
PROOF_TYPE = "BDCDJZM"  # 不动产登记证明 (the mortgage registration's result)
REGISTRATION_FEE_FEN = 8_000  # 住宅登记费 80 元/件
UNIT_PATTERN = r"^\d{12}[GJZ][ABSXCDWY]\d{5}[FLQW]\d{8}$"


def ruled_workflow():
    """The standard workflow, where the system may also refuse acceptance (不予受理): an
    encumbered property, a seller who is not the owner — checked on submission from any channel."""
    from core.catalogue.api import standard_workflow

    wf = standard_workflow()
    actions = tuple(dataclasses.replace(a, actors=(*a.actors, "system")) if a.name == "reject" else a
                    for a in wf.actions)
    return dataclasses.replace(wf, name="real_estate.ruled", actions=actions)


PERSON = (
    FormField("applicant_name", "申请人姓名", "Applicant name", "text", required=True, prefill="person.name", max_length=30),
    FormField("applicant_id_number", "身份证号码", "ID number", "id_number", required=True, prefill="person.id_number"),
    FormField("phone", "联系电话", "Phone", "phone", required=True, prefill="person.phone"),
)
UNIT = FormField("property_unit_no", "不动产单元号", "Real-estate unit number", "text", required=True,
                 pattern=UNIT_PATTERN, prefill="property.unit_no")

TRANSFER = ServiceItem(
    basic_code=TRANSFER_BASIC, implementation_code=TRANSFER_CODE,
    name="二手房转移登记", name_en="Second-hand home transfer registration", item_type="07",
    department_code=DEPARTMENT[0], department_name=DEPARTMENT[1], category="不动产登记", situation="存量房买卖",
    basis="《不动产登记暂行条例》第十四条", conditions="买卖双方确认交易，房屋无抵押、无查封，契税已缴纳",
    materials=(Material("contract", "存量房买卖合同", "Sale contract", required=False, commitment_allowed=True),),
    form=(*PERSON, dataclasses.replace(UNIT, prefill=""),
          FormField("price_fen", "成交价格（分）", "Price (fen)", "money", required=True, min=1, max=10**12),
          FormField("seller_name", "出卖人姓名", "Seller's name", "text", required=True, max_length=30)),
    legal_limit_days=30, promised_limit_days=5, fee_fen=REGISTRATION_FEE_FEN, fee_basis="发改价格规〔2016〕2559号",
    trips=0, online_depth=4, min_level=2, result_type="certificate", result_name="不动产权证书（电子证照）",
    result_certificate_type=CERT_TYPE, delivery=DeliveryOptions(window=True, electronic=True, courier=True),
    workflow=ruled_workflow(), keywords=("二手房", "过户", "不动产"),
)

MORTGAGE = ServiceItem(
    basic_code=MORTGAGE_BASIC, implementation_code=MORTGAGE_CODE,
    name="不动产抵押权登记", name_en="Mortgage registration", item_type="07",
    department_code=DEPARTMENT[0], department_name=DEPARTMENT[1], category="不动产登记", situation="抵押权首次登记",
    basis="《不动产登记暂行条例》第十四条", conditions="抵押人为不动产权利人，不动产未被查封",
    form=(*PERSON, UNIT,
          FormField("mortgagee", "抵押权人", "Mortgagee", "text", required=True, max_length=64),
          FormField("loan_amount_fen", "被担保主债权数额（分）", "Secured amount (fen)", "money", required=True,
                    min=1, max=10**12),
          # The same key as the fund centre's loan term, so that 我要办公积金贷款 asks it once.
          FormField("loan_months", "债务履行期限（月）", "Term (months)", "integer", required=True, min=1, max=360)),
    legal_limit_days=30, promised_limit_days=3, fee_fen=REGISTRATION_FEE_FEN, fee_basis="发改价格规〔2016〕2559号",
    trips=0, online_depth=4, min_level=2, result_type="certificate", result_name="不动产登记证明（电子证照）",
    result_certificate_type=PROOF_TYPE, delivery=DeliveryOptions(window=True, electronic=True, courier=True),
    workflow=ruled_workflow(), keywords=("抵押", "不动产"),
)

PROPERTY_CERTIFICATE = CertificateType(
    code=CERT_TYPE, name="不动产权证书", name_en="Real-estate title certificate", issuer_credit_code=BODY,
    issuer_name=DEPARTMENT[1],
    fields=(CertificateField("holder_name", "权利人", "Holder", mask="name"),
            CertificateField("holder_id_number", "证件号码", "ID number", mask="id_number"),
            CertificateField("cert_no", "证书号", "Certificate number"),
            CertificateField("unit_no", "不动产单元号", "Unit number"),
            CertificateField("address", "坐落", "Address"),
            CertificateField("usage", "用途", "Usage"),
            CertificateField("area_m2", "面积（平方米）", "Area (m²)"),
            CertificateField("share", "共有情况", "Share")),
    public_fields=("cert_no", "unit_no", "address"),
)

# 不动产登记证明 of a mortgage, held by the mortgagor (the applicant); the unit and address are
# partly masked outside the holder's own choice to show them (亮证 with ``unmasked``).
REGISTRATION_PROOF = CertificateType(
    code=PROOF_TYPE, name="不动产登记证明", name_en="Certificate of real-estate registration",
    issuer_credit_code=BODY, issuer_name=DEPARTMENT[1],
    fields=(CertificateField("cert_no", "证明号", "Certificate number"),
            CertificateField("right", "证明权利或事项", "Right registered"),
            CertificateField("mortgagee", "权利人（抵押权人）", "Mortgagee"),
            CertificateField("mortgagor_name", "义务人（抵押人）", "Mortgagor", mask="name"),
            CertificateField("mortgagor_id_number", "义务人证件号码", "Mortgagor's ID number", mask="id_number"),
            CertificateField("unit_no", "不动产单元号", "Unit number", mask="partial"),
            CertificateField("address", "坐落", "Address", mask="partial"),
            CertificateField("secured_amount_fen", "被担保主债权数额（分）", "Secured amount (fen)"),
            CertificateField("term", "债务履行期限", "Term"),
            CertificateField("registered_on", "登记日期", "Registered on")),
    public_fields=("cert_no", "right", "mortgagee", "registered_on"),
)

SECOND_HAND_HOME = Bundle("zhuzhou.buy_second_hand_home", "我要买卖二手房", "Buy or sell a second-hand home",
                          items=(TRANSFER_CODE, FUND_WITHDRAWAL_CODE), category="一件事",
                          keywords=("二手房", "买房", "过户", "公积金"))

ITEMS = [TRANSFER, MORTGAGE]
