"""Stable error codes of 好差评."""

from core.errors import define

LEVEL_INVALID = define(
    "evaluations.level_invalid", 400,
    "评价等级须为 1-5（1 非常满意、2 满意、3 基本满意、4 不满意、5 非常不满意）",
    "The level must be 1-5 (1 very satisfied … 5 very dissatisfied)",
)
REASON_REQUIRED = define(
    "evaluations.reason_required", 400,
    "差评请说明原因，以便部门整改", "Please say why for a bad rating, so the department can act on it",
)
CHANNEL_INVALID = define("evaluations.channel_invalid", 400, "评价渠道无效", "Unknown rating channel")
ALREADY_RATED = define(
    "evaluations.already_rated", 409, "该办件已评价，每件事只能评价一次", "This case has already been rated (one rating per case)",
)
NOT_RATEABLE = define(
    "evaluations.case_not_rateable", 409, "办件尚未办结，暂不能评价", "The case is not finished yet and cannot be rated",
)
RECTIFICATION_STATE = define(
    "evaluations.rectification_state", 409, "整改单当前状态不允许此操作", "The rectification is not in a state that allows this",
)
OUTCOME_INVALID = define(
    "evaluations.outcome_invalid", 400,
    "请选择整改结果（已整改 rectified 或 已解释说明 explained）并填写整改措施",
    "Choose the outcome (rectified or explained) and describe the measures taken",
)
VISIT_INVALID = define(
    "evaluations.visit_invalid", 400, "回访方式须为电话、现场或线上", "The visit method must be phone, onsite or online",
)
APPEAL_NOT_ALLOWED = define(
    "evaluations.appeal_not_allowed", 409, "该评价不能申诉（仅差评可申诉，且须在期限内）",
    "This rating cannot be appealed (only bad ratings, within the appeal period)",
)
APPEAL_EXISTS = define("evaluations.appeal_exists", 409, "该评价已申诉过", "This rating has already been appealed")
APPEAL_DECIDED = define("evaluations.appeal_decided", 409, "该申诉已复核", "This appeal has already been reviewed")
DECISION_INVALID = define(
    "evaluations.decision_invalid", 400, "复核结论须为 upheld（申诉成立）或 rejected（驳回），并填写意见",
    "The decision must be upheld or rejected, with a comment",
)
STATS_INVALID = define(
    "evaluations.stats_invalid", 400, "统计维度须为 item 或 department，时间须为 YYYY-MM-DD",
    "Group by item or department; dates as YYYY-MM-DD",
)
