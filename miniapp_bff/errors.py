"""Error codes of the BFF. Domain errors of other areas pass through unchanged."""

from __future__ import annotations

from core.errors import define

UNKNOWN_CHANNEL = define(
    "bff.unknown_channel", 404,
    "不支持的客户端渠道（仅支持小程序 miniapp 与 App app）",
    "Unknown client channel (only miniapp and app are served)",
)
CHANNEL_MISMATCH = define(
    "bff.channel_mismatch", 403,
    "登录凭证不属于当前客户端，请在本客户端重新登录",
    "This sign-in belongs to another client; sign in again in this client",
)
BAD_PAGE = define(
    "bff.bad_page", 400,
    "分页参数有误：页码从 1 开始，每页 1 到 {max_size} 条",
    "Invalid paging: pages start at 1 and hold 1 to {max_size} entries",
)
BAD_QUERY = define(
    "bff.bad_query", 400,
    "搜索内容有误：请输入 1 到 {max_len} 个字",
    "Invalid search: enter 1 to {max_len} characters",
)
SERVICE_NOT_OFFERED = define(
    "bff.service_not_offered", 404,
    "该事项在您所在地区或当前渠道暂未开通",
    "This service is not offered in your region or on this channel",
)
NO_HOME_REGION = define(
    "bff.no_home_region", 409,
    "请先设置您的常住地区",
    "Set your home region first",
)
