"""Message kinds (消息类型): the texts a citizen reads and the WeChat template each one uses.

A kind names a state change a citizen cares about. Its title and body are Chinese with English
beside them, formatted with the ``params`` the sender passes. ``template`` names one of the
subscribe-message templates in :mod:`core.messages.config` (the template ids are configuration:
the operator applies for them in the mini-program console). Other areas add kinds with
:func:`register_kind`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MessageKind:
    code: str
    title: str
    title_en: str
    body: str
    body_en: str
    template: str = "notice"  # case_status | certificate | evaluation | notice
    sms: bool = False  # sent by SMS too, by default, when the citizen has not chosen otherwise
    status_label: str = ""  # the short status word subscribe messages show (≤ 5 chars)


_KINDS: dict[str, MessageKind] = {}


def register_kind(kind: MessageKind) -> MessageKind:
    existing = _KINDS.get(kind.code)
    if existing is not None and existing != kind:
        raise ValueError(f"message kind {kind.code!r} registered twice with different texts")
    _KINDS[kind.code] = kind
    return kind


def get_kind(code: str) -> MessageKind | None:
    return _KINDS.get(code)


def all_kinds() -> list[MessageKind]:
    return sorted(_KINDS.values(), key=lambda k: k.code)


def _case(code: str, status: str, title_en: str, body: str, body_en: str, *, sms: bool = False) -> None:
    register_kind(MessageKind(
        f"case.{code}", f"{{service_name}}：{status}", f"{{service_name}}: {title_en}",
        body, body_en, template="case_status", sms=sms, status_label=status,
    ))


_case("submitted", "已提交", "submitted", "您的申请（办件号 {case_no}）已提交，请等待受理。",
      "Your application ({case_no}) was submitted and awaits acceptance.")
_case("accepted", "已受理", "accepted", "您的申请（办件号 {case_no}）已受理，承诺办结时间 {due}。",
      "Your application ({case_no}) was accepted; promised completion {due}.")
_case("correction_requested", "需补正", "corrections needed",
      "您的申请（办件号 {case_no}）需要补正材料：{comment}。请一次性补齐后重新提交。",
      "Your application ({case_no}) needs corrections: {comment}. Provide everything at once and resubmit.", sms=True)
_case("not_accepted", "不予受理", "not accepted", "您的申请（办件号 {case_no}）不予受理：{comment}。",
      "Your application ({case_no}) was not accepted: {comment}.", sms=True)
_case("suspended", "已暂停", "suspended", "您的办件（办件号 {case_no}）进入特别程序，时限暂停计算：{comment}。",
      "Your case ({case_no}) is in a special procedure; the time limit is paused: {comment}.")
_case("resumed", "已恢复", "resumed", "您的办件（办件号 {case_no}）已恢复办理。", "Your case ({case_no}) is being handled again.")
_case("approved", "已批准", "approved", "您的申请（办件号 {case_no}）已审批通过。", "Your application ({case_no}) was approved.", sms=True)
_case("refused", "不予许可", "refused", "您的申请（办件号 {case_no}）未获批准：{comment}。",
      "Your application ({case_no}) was refused: {comment}.", sms=True)
_case("delivered", "已送达", "result delivered", "您的办件（办件号 {case_no}）结果已送达。",
      "The result of your case ({case_no}) was delivered.")
_case("closed", "已办结", "completed", "您的办件（办件号 {case_no}）已办结，欢迎对本次服务进行评价。",
      "Your case ({case_no}) is complete; please rate the service.")
_case("withdrawn", "已撤回", "withdrawn", "您的申请（办件号 {case_no}）已撤回。", "Your application ({case_no}) was withdrawn.")
_case("terminated", "已终止", "terminated", "您的办件（办件号 {case_no}）已终止：{comment}。",
      "Your case ({case_no}) was terminated: {comment}.", sms=True)

register_kind(MessageKind(
    "certificate.issued", "电子证照已发放：{type_name}", "E-certificate issued: {type_name}",
    "您的电子证照「{type_name}」已发放到证照夹，可随时亮证使用。",
    "Your e-certificate {type_name} is in your wallet and can be shown at any time.",
    template="certificate", status_label="已发放",
))
register_kind(MessageKind(
    "certificate.reissued", "电子证照已更新：{type_name}", "E-certificate updated: {type_name}",
    "您的电子证照「{type_name}」已更新为新版本，旧版本不再有效。",
    "Your e-certificate {type_name} has a new version; the old one is no longer valid.",
    template="certificate", status_label="已更新",
))
register_kind(MessageKind(
    "certificate.revoked", "电子证照已注销：{type_name}", "E-certificate revoked: {type_name}",
    "您的电子证照「{type_name}」已注销：{reason}。", "Your e-certificate {type_name} was revoked: {reason}.",
    template="certificate", sms=True, status_label="已注销",
))
register_kind(MessageKind(
    "evaluation.rectification_opened", "您的评价已受理整改", "Your rating is being acted on",
    "您对办件 {case_no} 的评价已转交 {department_name} 整改，整改期限 {deadline}。",
    "Your rating of case {case_no} was passed to {department_name} to rectify by {deadline}.",
    template="evaluation", status_label="整改中",
))
register_kind(MessageKind(
    "evaluation.rectification_closed", "整改结果反馈", "Rectification result",
    "您对办件 {case_no} 的差评已处理：{result}。", "Your bad rating of case {case_no} was handled: {result}.",
    template="evaluation", status_label="已整改",
))
register_kind(MessageKind(
    "notice", "{title}", "{title_en}", "{body}", "{body_en}", template="notice", status_label="通知",
))
