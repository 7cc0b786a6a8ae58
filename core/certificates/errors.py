"""Stable error codes of the e-certificate area."""

from core.errors import define

TYPE_UNKNOWN = define("certificate.type_unknown", 400, "未知的电子证照类型", "Unknown e-certificate type")
DATA_INVALID = define(
    "certificate.data_invalid", 400,
    "电子证照内容有误，请按提示逐项修改", "The certificate content is invalid; fix each field listed",
)
VALIDITY_INVALID = define(
    "certificate.validity_invalid", 400,
    "证照有效期有误：截止时间须晚于起始时间", "The validity period is invalid: it must end after it starts",
)
STALE = define(
    "certificate.stale", 409,
    "该证照已有新版本，旧版本不能再使用，请使用最新版本",
    "This certificate has been replaced by a newer version and can no longer be used",
)
REVOKED = define("certificate.revoked", 409, "该证照已被注销，不能使用", "This certificate has been revoked")
EXPIRED = define("certificate.expired", 409, "该证照已过有效期，不能使用", "This certificate has expired")
NOT_YET_VALID = define("certificate.not_yet_valid", 409, "该证照尚未生效", "This certificate is not valid yet")
TYPE_MISMATCH = define(
    "certificate.type_mismatch", 400,
    "该证照不能代替此项材料，请选择要求的证照类型",
    "This certificate cannot replace this material; choose a certificate of the required type",
)
ALREADY_USED = define(
    "certificate.material_already_provided", 409,
    "此项材料已提供，无需重复提交", "This material has already been provided",
)
FIELDS_NOT_SHOWABLE = define(
    "certificate.fields_unknown", 400,
    "所选展示项不属于该证照", "The fields chosen to show are not fields of this certificate",
)
SHOW_TTL_INVALID = define(
    "certificate.show_ttl_invalid", 400,
    "亮证二维码有效时长须在 30 至 600 秒之间", "The QR lifetime must be between 30 and 600 seconds",
)
SHOW_TOKEN_INVALID = define(
    "certificate.show_code_invalid", 400,
    "亮证码无效，请让持证人重新出示", "The certificate code is invalid; ask the holder to show it again",
)
SHOW_TOKEN_EXPIRED = define(
    "certificate.show_code_expired", 410,
    "亮证码已过期，请让持证人刷新后重新出示", "The certificate code has expired; ask the holder to refresh it",
)
REASON_REQUIRED = define(
    "certificate.reason_required", 400, "请填写注销原因", "A reason for the revocation is required",
)
PURPOSE_INVALID = define(
    "certificate.purpose_invalid", 400, "亮证用途最多 50 个字", "The purpose of showing must be at most 50 characters",
)
HOLDER_UNKNOWN = define(
    "certificate.holder_unknown", 404, "持证人账户不存在或已停用", "The holder's account does not exist or is disabled",
)
