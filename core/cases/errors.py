"""Stable error codes of the catalogue and case engine (clients switch on ``code``)."""

from __future__ import annotations

from core.errors import define

ITEM_NOT_FOUND = define("cases.item_not_found", 404, "未找到该事项", "No such service item")
BUNDLE_NOT_FOUND = define("cases.bundle_not_found", 404, "未找到该一件事主题", "No such bundle")
ITEM_NOT_ENABLED = define(
    "cases.item_not_enabled", 403, "该事项在您所在地区或当前渠道暂未开通",
    "This service is not available in your region or on this channel",
)
APPLICATION_INVALID = define(
    "cases.application_invalid", 422, "申请信息有误，请按提示逐项修改",
    "The application has errors; see details.errors for every one",
)
ACTION_UNKNOWN = define("cases.action_unknown", 422, "该事项没有此操作", "This item's workflow has no such action")
ACTION_NOT_ALLOWED = define(
    "cases.action_not_allowed", 409, "办件当前状态不允许此操作", "This action is not allowed in the case's current state"
)
ACTOR_NOT_ALLOWED = define("cases.actor_not_allowed", 403, "您的岗位不能进行此操作", "Your role may not take this action")
COMMENT_REQUIRED = define("cases.comment_required", 422, "请填写意见或理由", "A comment or reason is required")
CORRECTIONS_REQUIRED = define(
    "cases.corrections_required", 422, "请一次性列明需要补正的全部内容",
    "List everything to correct (details.errors say what is wrong with the list)",
)
CORRECTION_ALREADY_REQUESTED = define(
    "cases.correction_already_requested", 409, "补正已一次性告知，不能再次要求补正",
    "Corrections were already requested once (一次性告知)",
)
CASE_HELD = define(
    "cases.held", 409, "办件尚有待完成事项（如缴费、材料收取），暂不能受理",
    "The case waits for something first (payment, material pickup)",
)
MATERIALS_MISSING = define(
    "cases.materials_missing", 409, "仍有材料未提交，请使用容缺受理或等待补齐",
    "Materials are still missing: accept with missing materials (容缺) or wait for them",
)
TOLERANCE_INVALID = define(
    "cases.tolerance_invalid", 422, "容缺受理的材料或期限不正确", "The missing materials or deadline are not acceptable"
)
CERTIFICATE_INVALID = define(
    "cases.certificate_invalid", 422, "所选电子证照无效或已过期", "The chosen e-certificate is not valid for this material"
)
DELIVERY_INVALID = define("cases.delivery_invalid", 422, "不支持该送达方式", "This delivery method is not offered")
UPLOAD_INVALID = define("cases.upload_invalid", 422, "文件类型或大小不符合要求", "File type or size not accepted")
PAYMENT_MISMATCH = define("cases.payment_mismatch", 409, "缴费信息与办件不符", "The payment does not match the case")
