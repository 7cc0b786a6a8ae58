"""The fund centre's service items (事项) with their national elements, forms and workflow, and the
proof-of-deposits certificate type."""

from __future__ import annotations

import dataclasses

from core.hooks import (
    Bundle,
    CertificateField,
    CertificateType,
    DeliveryOptions,
    FieldOption,
    FormField,
    Material,
    ServiceItem,
    When,
)

BODY = "12430200MB1B000015"  # 株洲市住房公积金管理中心 (unified social credit code, check char valid)
DEPARTMENT = ("GJJ", "株洲市住房公积金管理中心")
WITHDRAW_BASIC = "000721001000"  # 07 行政确认: 住房公积金提取
LOAN_BASIC = "000721002000"  # 住房公积金个人住房贷款
DEPOSIT_PROOF_BASIC = "002021003000"  # 20 公共服务: 住房公积金缴存证明
WITHDRAW_CODE = f"{BODY}3{WITHDRAW_BASIC}"
LOAN_CODE = f"{BODY}3{LOAN_BASIC}"
DEPOSIT_PROOF_CODE = f"{BODY}3{DEPOSIT_PROOF_BASIC}"
CERT_TYPE = "GJJJCZM"  # 住房公积金缴存证明
PHONE_HELP = "中心工作人员将通过此号码联系您"


def ruled_workflow():
    """The standard workflow, where the system may also refuse acceptance (不予受理) when the
    fund centre's rules are not met — checked on submission, whichever channel it came from."""
    from core.catalogue.api import standard_workflow

    wf = standard_workflow()
    actions = tuple(dataclasses.replace(a, actors=(*a.actors, "system")) if a.name == "reject" else a
                    for a in wf.actions)
    return dataclasses.replace(wf, name="provident_fund.ruled", actions=actions)


PERSON = (
    FormField("applicant_name", "申请人姓名", "Applicant name", "text", required=True, prefill="person.name", max_length=30),
    FormField("applicant_id_number", "身份证号码", "ID number", "id_number", required=True, prefill="person.id_number"),
    FormField("phone", "联系电话", "Phone", "phone", required=True, prefill="person.phone", help=PHONE_HELP),
)

# Which of the citizen's accounts (prefilled: the one in normal deposit); another's is not found.
FUND_ACCOUNT = FormField("fund_account_no", "公积金账号", "Provident fund account", "text", pattern=r"^\d{8,20}$",
                         prefill="provident_fund.account_no", help="默认为正常缴存的账户",
                         help_en="defaults to the account in normal deposit")

WITHDRAW = ServiceItem(
    basic_code=WITHDRAW_BASIC, implementation_code=WITHDRAW_CODE,
    name="住房公积金提取", name_en="Housing provident fund withdrawal", item_type="07",
    department_code=DEPARTMENT[0], department_name=DEPARTMENT[1], category="住房公积金", situation="租房/购房/离退休提取",
    basis="《住房公积金管理条例》第二十四条", conditions="缴存职工租赁或购买自住住房、离休退休",
    materials=(Material("contract", "租房合同或购房合同", "Rent or purchase contract", required=False,
                        commitment_allowed=True, mime_types=("application/pdf", "image/jpeg", "image/png")),),
    form=(*PERSON,
          FormField("withdraw_purpose", "提取原因", "Purpose", "select", required=True,
                    options=(FieldOption("rent", "租房", "rent"), FieldOption("purchase", "购房", "purchase"),
                             FieldOption("retirement", "离退休", "retirement"))),
          FormField("withdraw_amount_fen", "提取金额（分）", "Amount (fen)", "money", required=True, min=1, max=10**11),
          FormField("price_fen", "购房总价（分）", "Purchase price (fen)", "money", required=True, min=1, max=10**12,
                    when=When("withdraw_purpose", "eq", "purchase")),
          FormField("bank_account", "收款银行账号", "Bank account", "text", required=True, pattern=r"^\d{12,30}$")),
    legal_limit_days=5, promised_limit_days=3, case_type="promised", trips=0, online_depth=4, min_level=2,
    result_type="approval", result_name="住房公积金提取审批结果", delivery=DeliveryOptions(window=True, electronic=True),
    workflow=ruled_workflow(), consult_phone="12329", keywords=("公积金", "提取", "租房", "购房", "退休"),
)

LOAN = ServiceItem(
    basic_code=LOAN_BASIC, implementation_code=LOAN_CODE,
    name="住房公积金个人住房贷款", name_en="Provident fund housing loan", item_type="07",
    department_code=DEPARTMENT[0], department_name=DEPARTMENT[1], category="住房公积金", situation="首套住房贷款",
    basis="《住房公积金管理条例》第二十六条", conditions="连续正常缴存，贷款额度不超过账户余额15倍且不超过60万元",
    materials=(Material("income", "收入证明", "Proof of income", required=False, commitment_allowed=True),),
    form=(*PERSON, FUND_ACCOUNT,
          FormField("employer_name", "工作单位", "Employer", "text", max_length=128, prefill="provident_fund.employer"),
          FormField("loan_amount_fen", "贷款金额（分）", "Loan amount (fen)", "money", required=True, min=1_000_000,
                    max=60_000_000),
          FormField("loan_months", "贷款期限（月）", "Term (months)", "integer", required=True, min=12, max=360),
          FormField("repayment_method", "还款方式", "Repayment method", "select", required=True,
                    options=(FieldOption("equal_instalment", "等额本息", "equal instalments"),
                             FieldOption("equal_principal", "等额本金", "equal principal"))),
          FormField("property_unit_no", "不动产单元号", "Real-estate unit number", "text", required=True,
                    pattern=r"^\d{12}[GJZ][ABSXCDWY]\d{5}[FLQW]\d{8}$", prefill="property.unit_no")),
    legal_limit_days=15, promised_limit_days=5, case_type="promised", trips=0, online_depth=4, min_level=2,
    result_type="approval", result_name="住房公积金贷款审批决定", delivery=DeliveryOptions(window=True, electronic=True),
    workflow=ruled_workflow(), consult_phone="12329", keywords=("公积金", "贷款", "买房"),
)

DEPOSIT_PROOF = ServiceItem(
    basic_code=DEPOSIT_PROOF_BASIC, implementation_code=DEPOSIT_PROOF_CODE,
    name="住房公积金缴存证明开具", name_en="Proof of provident fund deposits", item_type="20",
    department_code=DEPARTMENT[0], department_name=DEPARTMENT[1], category="住房公积金", situation="个人缴存证明",
    basis="《住房公积金管理条例》", conditions="在株洲市缴存住房公积金的职工",
    form=(*PERSON[:2], FUND_ACCOUNT,
          FormField("proof_use", "证明用途", "Use", "select", required=True,
                    options=(FieldOption("loan", "贷款", "loan"), FieldOption("housing", "购房", "home purchase"),
                             FieldOption("residence", "落户", "residence registration"),
                             FieldOption("other", "其他", "other")))),
    legal_limit_days=1, promised_limit_days=0, case_type="instant", trips=0, online_depth=4, min_level=2,
    result_type="document", result_name="住房公积金缴存证明（电子证照）", delivery=DeliveryOptions(window=False, electronic=True),
    consult_phone="12329", keywords=("公积金", "缴存证明", "证明"),
)

ITEMS = [WITHDRAW, LOAN, DEPOSIT_PROOF]

DEPOSIT_CERTIFICATE = CertificateType(
    code=CERT_TYPE, name="住房公积金缴存证明", name_en="Proof of provident fund deposits", issuer_credit_code=BODY,
    issuer_name=DEPARTMENT[1], validity_days=90,
    fields=(CertificateField("name", "姓名", "Name", mask="name"),
            CertificateField("id_number", "公民身份号码", "ID number", mask="id_number"),
            # shown as the platform shows every long number: first 3 and last 4 characters
            CertificateField("account_no", "个人公积金账号", "Account number", mask="id_number"),
            CertificateField("employer", "缴存单位", "Employer"),
            CertificateField("status", "缴存状态", "Deposit status"),
            CertificateField("opened_on", "开户日期", "Opened on"),
            CertificateField("deposit_base", "缴存基数（元）", "Deposit base (yuan)"),
            CertificateField("deposit_rates", "缴存比例", "Deposit rates"),
            CertificateField("monthly_deposit", "月缴存额（元）", "Monthly deposit (yuan)"),
            CertificateField("deposit_from", "缴存起始年月", "Deposits recorded from", required=False),
            CertificateField("paid_up_to", "缴至年月", "Paid up to", required=False),
            CertificateField("deposit_months", "缴存月数", "Months deposited"),
            CertificateField("balance", "账户余额（元）", "Balance (yuan)")),
    public_fields=("name", "employer", "status", "monthly_deposit", "paid_up_to"),
)

# The registration centre's mortgage item, named by its implementation code only (plugins never
# import each other; the catalogue resolves the code).
MORTGAGE_REGISTRATION_CODE = "12430200MB1D00001A3000731002000"

FUND_LOAN_BUNDLE = Bundle("zhuzhou.provident_fund_loan", "我要办公积金贷款", "Get a provident fund loan",
                          items=(LOAN_CODE, MORTGAGE_REGISTRATION_CODE), category="一件事",
                          keywords=("公积金贷款", "抵押登记", "买房"))
