"""Delivery error codes: stable strings clients may switch on, Chinese with English beside."""

from __future__ import annotations

from core.errors import define

ADDRESS_INVALID = define(
    "delivery.address_invalid", 400, "地址信息不完整或格式有误：{reason}", "The address is incomplete or malformed: {reason_en}",
)
ADDRESS_BOOK_FULL = define(
    "delivery.address_book_full", 409, "地址簿已满（最多 {limit} 条），请先删除不用的地址",
    "The address book is full (at most {limit} entries); delete an unused address first",
)
OUTSIDE_SERVICE_AREA = define(
    "delivery.outside_service_area", 422, "该地址不在寄递服务范围内，请选择窗口领取或更换地址",
    "This address is outside the delivery service area; collect at the window or choose another address",
)
COURIER_REFUSED = define(
    "delivery.courier_refused", 422, "快递公司无法承接该寄递：{reason}", "The courier refused this shipment: {reason}",
)
COURIER_UNAVAILABLE = define(
    "delivery.courier_unavailable", 503, "快递公司暂时无法连接，请稍后再试", "The courier cannot be reached right now; try again later",
)
NOT_OFFERED = define(
    "delivery.not_offered", 409, "该事项不提供此寄递方式", "This service item does not offer this delivery method",
)
ALREADY_CHOSEN = define(
    "delivery.already_chosen", 409, "该办件已选择寄递，请勿重复提交", "Delivery has already been chosen for this case",
)
WRONG_STAGE = define(
    "delivery.wrong_stage", 409, "办件当前状态不能进行此操作", "The case is not in a state that allows this",
)
NOT_CANCELLABLE = define(
    "delivery.not_cancellable", 409, "快件已揽收或已结束，不能取消", "The parcel was already picked up or finished and cannot be cancelled",
)
NOT_RETRYABLE = define(
    "delivery.not_retryable", 409, "只有下单失败的寄递可以重新下单", "Only shipments whose courier booking failed can be retried",
)
WEBHOOK_FORGED = define(
    "delivery.webhook_signature_invalid", 401, "推送签名验证失败", "The push signature does not verify",
)
