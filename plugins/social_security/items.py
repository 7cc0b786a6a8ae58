"""The social security bureau's service items, the contact-change workflow and the
proof-of-insurance certificate type."""

from __future__ import annotations

import dataclasses

from core.hooks import (
    CertificateField,
    CertificateType,
    DeliveryOptions,
    FieldOption,
    FormField,
    ServiceItem,
    WorkflowAction,
)

BODY = "11430200MB1E000010"  # 株洲市人力资源和社会保障局
DEPARTMENT = ("RSJ", "株洲市人力资源和社会保障局")
PROOF_BASIC = "002041001000"  # 20 公共服务: 社会保险参保缴费记录查询（参保证明）
CONTACT_BASIC = "002041002000"  # 参保人员基本信息变更（联系方式）
PROOF_CODE = f"{BODY}3{PROOF_BASIC}"
CONTACT_CODE = f"{BODY}3{CONTACT_BASIC}"
CERT_TYPE = "SBCBZM"  # 社会保险参保证明

APPLY_CHANGE = "apply_change"


def contact_change_workflow():
    """The standard workflow where the decision *is* the clerk's staff step 办理变更: whoever
    applies the verified change to the insured record approves the case (clerk or head of the
    bureau, in the case's region). The system may refuse acceptance of an applicant the bureau
    has no record of (checked on submission)."""
    from core.catalogue.api import standard_workflow

    wf = standard_workflow()
    apply_change = WorkflowAction(APPLY_CHANGE, "办理变更", "apply the verified change", ("accepted", "in_review"),
                                  "approved", ("clerk", "head"), "approve")
    actions = []
    for a in wf.actions:
        if a.name == "approve":
            actions.append(apply_change)
        elif a.name == "reject":
            actions.append(dataclasses.replace(a, actors=(*a.actors, "system")))
        else:
            actions.append(a)
    return dataclasses.replace(wf, name="social_security.contact_change", actions=tuple(actions))


PERSON = (
    FormField("applicant_name", "申请人姓名", "Applicant name", "text", required=True, prefill="person.name", max_length=30),
    FormField("applicant_id_number", "身份证号码", "ID number", "id_number", required=True, prefill="person.id_number"),
)

PROOF = ServiceItem(
    basic_code=PROOF_BASIC, implementation_code=PROOF_CODE,
    name="社会保险参保证明开具", name_en="Proof of social insurance", item_type="20",
    department_code=DEPARTMENT[0], department_name=DEPARTMENT[1], category="社会保障", situation="个人参保证明",
    basis="《社会保险法》第七十四条", conditions="在株洲市参加社会保险的人员",
    form=(*PERSON, FormField("proof_use", "证明用途", "Use", "select", required=True,
                             options=(FieldOption("housing", "购房", "home purchase"),
                                      FieldOption("residence", "落户", "residence registration"),
                                      FieldOption("school", "子女入学", "school enrolment"),
                                      FieldOption("other", "其他", "other")))),
    legal_limit_days=1, promised_limit_days=0, case_type="instant", trips=0, online_depth=4, min_level=2,
    result_type="document", result_name="社会保险参保证明（电子证照）", delivery=DeliveryOptions(window=False, electronic=True),
    consult_phone="12333", keywords=("社保", "参保证明", "缴费证明"),
)

CONTACT = ServiceItem(
    basic_code=CONTACT_BASIC, implementation_code=CONTACT_CODE,
    name="参保人员联系方式变更", name_en="Change of contact details (social insurance)", item_type="20",
    department_code=DEPARTMENT[0], department_name=DEPARTMENT[1], category="社会保障", situation="信息变更",
    basis="《社会保险个人权益记录管理办法》第十二条", conditions="本人申请变更",
    form=(*PERSON,
          FormField("current_phone", "原联系电话", "Phone on record", "phone", prefill="social_security.phone",
                    help="社保登记的联系电话", help_en="the phone the bureau has on record"),
          FormField("new_phone", "新联系电话", "New phone", "phone", required=True)),
    legal_limit_days=5, promised_limit_days=2, case_type="promised", trips=0, online_depth=4, min_level=2,
    result_type="none", delivery=DeliveryOptions(window=False, electronic=True), consult_phone="12333",
    workflow=contact_change_workflow(), keywords=("社保", "变更", "手机号"),
)

PROOF_CERTIFICATE = CertificateType(
    code=CERT_TYPE, name="社会保险参保证明", name_en="Proof of social insurance", issuer_credit_code=BODY,
    issuer_name=DEPARTMENT[1], validity_days=90,
    fields=(CertificateField("name", "姓名", "Name", mask="name"),
            CertificateField("id_number", "公民身份号码", "ID number", mask="id_number"),
            CertificateField("status", "参保状态", "Status"),
            CertificateField("insured_since", "首次参保日期", "Insured since"),
            CertificateField("insurances", "参保险种及缴费月数", "Insurances and months paid", required=False),
            CertificateField("pension_months", "养老保险缴费月数", "Pension contribution months"),
            CertificateField("last_period", "最近缴费年月", "Last paid month", required=False),
            CertificateField("employer", "参保单位", "Employer", required=False)),
    public_fields=("name", "status", "pension_months"),
)

ITEMS = [PROOF, CONTACT]
