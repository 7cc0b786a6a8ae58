"""What a department plugin declares about a service item (事项), as typed, frozen records.

A plugin returns :class:`ServiceItem` records from ``zhushida_services()`` and :class:`Bundle`
records from ``zhushida_bundles()``. The elements follow GB/T 39046 / 39554.1 (see
``docs/catalogue.md``): the same item keeps the same basic code (基本编码) and the same elements in
every region (同一事项、同一标准、同一编码); regions only switch it on or off.

Everything here is plain data, importable without a database, so plugins can build their
declarations at import time and the conformance kit can check them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

# National item type codes (行政权力/公共服务 类型). Citizens apply for 01/05/07/08/09/10/20.
ITEM_TYPES: dict[str, tuple[str, str]] = {
    "01": ("行政许可", "administrative licence"),
    "02": ("行政处罚", "administrative penalty"),
    "03": ("行政强制", "administrative enforcement"),
    "04": ("行政征收", "administrative levy"),
    "05": ("行政给付", "administrative benefit"),
    "06": ("行政检查", "administrative inspection"),
    "07": ("行政确认", "administrative confirmation"),
    "08": ("行政奖励", "administrative award"),
    "09": ("行政裁决", "administrative adjudication"),
    "10": ("其他行政权力", "other administrative power"),
    "20": ("公共服务", "public service"),
}
APPLICABLE_ITEM_TYPES = frozenset({"01", "05", "07", "08", "09", "10", "20"})

# 行使层级 (level code, the 19th character of the 31-char implementation code).
LEVEL_CODES: dict[str, str] = {
    "1": "国家级", "2": "省级", "3": "市级", "4": "县级", "5": "乡级", "6": "村级",
}

# 办理形式: 1 window, 2 PC, 3 mobile, 4 courier.
HANDLING_FORMS = ("1", "2", "3", "4")

CHANNELS = ("app", "miniapp", "web", "window", "terminal")

FieldType = Literal[
    "text", "textarea", "integer", "number", "money", "date", "boolean", "select", "multiselect",
    "phone", "id_number", "credit_code", "email", "region",
]
FIELD_TYPES: tuple[str, ...] = FieldType.__args__  # type: ignore[attr-defined]
# Values of these types are personal data: masked in responses, encrypted at rest.
SENSITIVE_FIELD_TYPES = frozenset({"phone", "id_number"})


@dataclass(frozen=True, slots=True)
class FieldOption:
    value: str
    label: str
    label_en: str = ""


@dataclass(frozen=True, slots=True)
class When:
    """A field is asked (and required) only when another field's value matches.

    ``op``: ``eq`` / ``ne`` (value equals / differs), ``in`` (value is one of ``value``, a tuple),
    ``truthy`` (the other field is filled and not false).
    """

    field: str
    op: Literal["eq", "ne", "in", "truthy"] = "eq"
    value: Any = None


@dataclass(frozen=True, slots=True)
class FormField:
    """One question of an item's form. Clients render it; the server validates it.

    ``prefill`` names a datum the platform already holds (e.g. ``person.name``,
    ``person.id_number``, ``household.address``): plugins answer ``zhushida_form_prefill`` for it
    and the citizen is not asked again (免填写). In a bundle, fields with the same ``key`` are
    asked once, so use the shared vocabulary of ``docs/catalogue.md`` for common data.
    """

    key: str
    label: str
    label_en: str = ""
    type: FieldType = "text"
    required: bool = False
    options: tuple[FieldOption, ...] = ()
    min: float | None = None
    max: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    when: When | None = None
    prefill: str | None = None
    help: str = ""
    help_en: str = ""


@dataclass(frozen=True, slots=True)
class Material:
    """One material (申请材料) with the per-material elements of the national standard.

    ``certificate_types``: e-certificate type codes any of which replaces the upload (免提交).
    ``tolerable``: may be missing at acceptance under 容缺受理 (supplied by a deadline).
    ``commitment_allowed``: the applicant may sign a commitment instead (告知承诺制).
    """

    key: str
    name: str
    name_en: str = ""
    required: bool = True
    form: Literal["electronic", "paper", "both"] = "electronic"
    source: str = "申请人自备"  # 来源渠道
    copies: int = 1
    mime_types: tuple[str, ...] = ("application/pdf", "image/jpeg", "image/png")
    max_bytes: int = 10 * 1024 * 1024
    certificate_types: tuple[str, ...] = ()
    tolerable: bool = False
    commitment_allowed: bool = False
    blank_form_url: str = ""
    sample_url: str = ""
    acceptance_standard: str = ""  # 受理标准
    basis: str = ""  # 设定依据
    notes: str = ""


@dataclass(frozen=True, slots=True)
class DeliveryOptions:
    """How materials arrive and results leave (送达方式).

    ``window``: collected at the service hall. ``courier``: the result is posted (EMS/SF, the
    delivery plugin). ``pickup``: a courier collects paper materials from the applicant before
    acceptance — the case then waits on a ``pickup`` hold that the delivery plugin releases.
    ``electronic``: the result is an e-certificate / e-document in the citizen's wallet.
    ``fee_payer``: who pays the courier — ``citizen``, or ``department`` (邮费由部门承担).
    """

    window: bool = True
    courier: bool = False
    pickup: bool = False
    electronic: bool = False
    fee_payer: Literal["citizen", "department"] = "citizen"

    def methods(self) -> tuple[str, ...]:
        return tuple(m for m in ("window", "courier", "electronic") if getattr(self, m))


@dataclass(frozen=True, slots=True)
class WorkflowState:
    """A state of a case. ``clock``: whether the time limit runs in it (``stopped`` while
    suspended, ``none`` before acceptance and after the decision). ``status_code`` is the
    national exchange status (1 已接件, 3 已受理, 4 不受理, 6 补正, 8 部门办理, 9 特别程序, 11 办结)."""

    name: str
    label: str
    label_en: str
    status_code: str
    terminal: bool = False
    clock: Literal["running", "stopped", "none"] = "none"
    open: bool = True  # withdrawable by the applicant


# What the engine does besides moving the state: see docs/cases.md.
EFFECTS = (
    "accept", "accept_tolerant", "request_correction", "resubmit", "reject", "approve", "refuse",
    "suspend", "resume", "withdraw", "deliver", "close", "terminate", "supply",
)


@dataclass(frozen=True, slots=True)
class WorkflowAction:
    """An action on a case: who may take it (staff roles, ``applicant`` or ``system``), from which
    states, into which state, and which engine ``effect`` it carries (None: a plain step such as
    a site inspection). ``target`` None keeps the state (e.g. ``supply``)."""

    name: str
    label: str
    label_en: str
    sources: tuple[str, ...]
    target: str | None
    actors: tuple[str, ...]
    effect: str | None = None
    needs_comment: bool = False


@dataclass(frozen=True, slots=True)
class Workflow:
    """States and actions of an item's cases; ``initial`` is the state right after submission.
    ``auto``: actions the system takes by itself right after submission when nothing holds the
    case (即办件: accept and approve on the spot)."""

    name: str
    states: tuple[WorkflowState, ...]
    actions: tuple[WorkflowAction, ...]
    initial: str = "pre_review"
    auto: tuple[str, ...] = ()

    def state(self, name: str) -> WorkflowState:
        for s in self.states:
            if s.name == name:
                return s
        raise KeyError(name)

    def action(self, name: str) -> WorkflowAction | None:
        return next((a for a in self.actions if a.name == name), None)

    def actions_from(self, state: str) -> list[WorkflowAction]:
        return [a for a in self.actions if state in a.sources]


@dataclass(frozen=True, slots=True)
class ServiceItem:
    """A service item (事项) with its national elements.

    Codes: ``basic_code`` (基本编码, 12 chars: 2 region + 2 item type + 5 main + 3 sub; older
    10-char schemes accepted) and ``implementation_code`` (实施编码: the implementing body's
    18-char unified social credit code + 1 level code + the basic code). The implementation code
    is the item's key in the catalogue, enablement and cases.

    Time limits are in working days (法定/承诺办结时限); ``case_type`` ``instant`` (即办件) or
    ``promised`` (承诺件). ``fee_fen`` is integer fen, 0 for free. ``min_level`` is the minimum
    real-name level of the applicant (see ``core.auth.Principal.level``).
    """

    basic_code: str
    implementation_code: str
    name: str
    name_en: str
    item_type: str
    department_code: str
    department_name: str
    category: str = ""  # theme shown in the catalogue, e.g. 社会保障, 住房公积金
    situation: str = ""  # 办事情形 (new / change / renew / cancel ...)
    basis: str = ""  # 设定依据
    conditions: str = ""  # 受理条件
    materials: tuple[Material, ...] = ()
    form: tuple[FormField, ...] = ()
    legal_limit_days: int = 0
    promised_limit_days: int = 0
    case_type: Literal["instant", "promised"] = "promised"
    fee_fen: int = 0
    fee_basis: str = ""
    trips: int = 0  # 到办事现场次数
    online_depth: int = 4  # 网办深度 1-4 (4: 全程网办)
    min_level: int = 2
    result_type: Literal["certificate", "document", "approval", "none"] = "approval"
    result_name: str = ""
    result_certificate_type: str = ""  # e-certificate type issued on approval, if any
    delivery: DeliveryOptions = field(default_factory=DeliveryOptions)
    handling_forms: tuple[str, ...] = ("1", "2", "3")
    channels: tuple[str, ...] = ("app", "miniapp", "web")
    workflow: Workflow | None = None  # None: the standard workflow for the case type
    tolerance_days: int = 10  # default 容缺 deadline in working days
    cross_region: str = ""  # 通办范围
    place: str = ""
    hours: str = ""
    consult_phone: str = ""
    complaint_phone: str = ""
    keywords: tuple[str, ...] = ()
    faq: tuple[tuple[str, str], ...] = ()
    version: str = "1"

    @property
    def code(self) -> str:
        return self.implementation_code

    @property
    def level_code(self) -> str:
        head = len(self.implementation_code) - len(self.basic_code) - 1
        return self.implementation_code[head] if head >= 0 else ""

    @property
    def implementing_body(self) -> str:
        return self.implementation_code[: len(self.implementation_code) - len(self.basic_code) - 1]

    def material(self, key: str) -> Material | None:
        return next((m for m in self.materials if m.key == key), None)


@dataclass(frozen=True, slots=True)
class Bundle:
    """一件事一次办: several items (by implementation code) applied for together.

    One merged form (fields of the same key asked once, plus ``extra_fields``), one payment (the
    sum of the items' fees), child cases handled in parallel, one combined status.
    """

    code: str
    name: str
    name_en: str
    items: tuple[str, ...]
    category: str = ""
    description: str = ""
    extra_fields: tuple[FormField, ...] = ()
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CertificateRef:
    """An e-certificate the platform holds for a citizen that can replace an upload (免提交).

    Returned by ``zhushida_material_certificates``; ``certificate_id`` is what the application
    names, ``identifier`` the GB/T 36904 identifier shown to staff."""

    certificate_id: str
    type_code: str
    identifier: str
    title: str
    valid: bool = True
