"""The departments of the e2e journeys, declared through the hooks exactly as a department ships
them: the 住房公积金中心 (loan approval, issued as an e-certificate) and the 不动产登记中心
(mortgage registration, a fee, the result posted by courier), joined in the bundle
我要办公积金贷款. Prefill reads the citizen's verified identity through identity's public API —
which writes the access log the citizen can see. A home widget shows the fund balance."""

from __future__ import annotations

from core.hooks import (
    Bundle,
    CertificateField,
    CertificateType,
    DeliveryOptions,
    FormField,
    Material,
    ServiceItem,
    Widget,
    hookimpl,
)

ZHUSHIDA_CONTRACT = "1"

GJJ_BODY = "11430200MB1234567A"
BDC_BODY = "12430200MB7777777A"
LOAN = f"{GJJ_BODY}3000721001000"
MORTGAGE = f"{BDC_BODY}3000121002000"
BUNDLE = "e2e.housing_loan"
GJJ_DEPT, BDC_DEPT = "e2e_gjj", "e2e_bdc"
APPROVAL_TYPE = "ZSDGJJDKSP"
MORTGAGE_FEE = 8000

_person = (
    FormField("applicant_name", "申请人姓名", "Applicant name", "text", required=True, prefill="person.name"),
    FormField("applicant_id_number", "身份证号码", "ID number", "id_number", required=True, prefill="person.id_number"),
    FormField("phone", "联系电话", "Phone", "phone", required=True),
)

LOAN_ITEM = ServiceItem(
    basic_code="000721001000", implementation_code=LOAN, name="住房公积金贷款审批", name_en="Provident fund loan approval",
    item_type="07", department_code=GJJ_DEPT, department_name="株洲市住房公积金中心", category="住房公积金",
    form=(*_person, FormField("loan_amount", "贷款金额（元）", "Loan amount (yuan)", "integer", required=True,
                              min=10000, max=1200000)),
    materials=(Material("income", "收入证明", "Proof of income", required=False, commitment_allowed=True),),
    legal_limit_days=20, promised_limit_days=5, result_type="certificate", result_name="公积金贷款审批决定",
    result_certificate_type=APPROVAL_TYPE, delivery=DeliveryOptions(window=True, electronic=True),
    keywords=("公积金", "贷款", "买房"),
)
MORTGAGE_ITEM = ServiceItem(
    basic_code="000121002000", implementation_code=MORTGAGE, name="不动产抵押登记", name_en="Mortgage registration",
    item_type="01", department_code=BDC_DEPT, department_name="株洲市不动产登记中心", category="不动产",
    form=(*_person, FormField("property_address", "不动产坐落", "Property address", "text", required=True)),
    # The fund centre's approval, which the registration centre accepts as its e-certificate (免提交).
    materials=(Material("loan_approval", "住房公积金贷款审批决定书", "Provident fund loan approval", required=False,
                        certificate_types=(APPROVAL_TYPE,)),),
    legal_limit_days=30, promised_limit_days=5, fee_fen=MORTGAGE_FEE, result_type="document",
    result_name="不动产登记证明", delivery=DeliveryOptions(window=True, courier=True),
)

APPROVAL = CertificateType(
    code=APPROVAL_TYPE, name="住房公积金贷款审批决定书", name_en="Provident fund loan approval", issuer_credit_code=GJJ_BODY,
    issuer_name="株洲市住房公积金中心",
    fields=(CertificateField("applicant_name", "姓名", "Name", mask="name"),
            CertificateField("applicant_id_number", "身份证号码", "ID number", mask="id_number"),
            CertificateField("loan_amount", "贷款金额（元）", "Loan amount (yuan)")),
    public_fields=("applicant_name", "loan_amount"),
)


@hookimpl
def zhushida_services():
    return [LOAN_ITEM, MORTGAGE_ITEM]


@hookimpl
def zhushida_bundles():
    return Bundle(BUNDLE, "我要办公积金贷款", "Get a provident fund loan", items=(LOAN, MORTGAGE), category="一件事",
                  keywords=("公积金贷款",))


@hookimpl
def zhushida_certificate_types():
    return APPROVAL


@hookimpl
def zhushida_form_prefill(account_id, item, keys):
    async def known():
        from core.identity import api as identity

        wanted = {"person.name": "name", "person.id_number": "id_number"}
        fields = [wanted[k] for k in keys if k in wanted]
        if not fields:
            return {}
        data = await identity.read_personal_data(account_id, reader="plugin:e2e_housing", purpose="公积金贷款表单预填",
                                                 fields=fields)
        if data is None:
            return {}
        answer = {"person.name": data.name, "person.id_number": data.id_number}
        return {k: v for k, v in answer.items() if k in keys and v}

    return known()


@hookimpl
def zhushida_home_widgets(user, region, channel):
    return Widget("fund_balance", "公积金余额", "Fund balance", {"balance_fen": 5_230_000, "account": user.subject_id},
                  order=10)
