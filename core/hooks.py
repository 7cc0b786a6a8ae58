"""The public surface for plugin authors: the marker and the records hooks return.

    from core.hooks import hookimpl, ModelsSpec, Routes

    ZHUSHIDA_CONTRACT = "1"

    @hookimpl
    def zhushida_models():
        return ModelsSpec("my_dept", ["my_dept.models"], "my_dept.migrations", table_prefix="md_")
"""

import pluggy

from core.cases.records import CaseCharge, CaseEvent  # case events and charges (docs/cases.md)
from core.catalogue.records import (  # service declarations (docs/catalogue.md)
    Bundle,
    CertificateRef,
    DeliveryOptions,
    FieldOption,
    FormField,
    Material,
    ServiceItem,
    When,
    Workflow,
    WorkflowAction,
    WorkflowState,
)
from core.certificates.records import CertificateField, CertificateType
from core.feeds.spec import (  # department data feeds (docs/plugins/feeds.md)
    FeedField,
    FeedSpec,
    RowRejected,
)
from core.plugins.courier_contract import (  # courier gateways (docs/delivery.md)
    CourierGateway,
    CourierRefused,
    CourierUnreachable,
    CreatedOrder,
    ForgedWebhook,
    Party,
    Quote,
    ShipmentRequest,
    TrackingUpdate,
    WebhookAck,
)
from core.plugins.payment_contract import (
    BillLine,
    ChannelTrade,
    NotificationAnswer,
    NotificationRejected,
    OrderInfo,
    PayerContext,
    PaymentChannel,
    PaymentPurpose,
    PrepayResult,
    PurposeQuote,
    RefundInfo,
    RefundOutcome,
    VerifiedNotification,
)
from core.plugins.records import (
    CONTRACT_VERSION,
    ModelsSpec,
    PeriodicTask,
    ReadinessCheck,
    Routes,
    Widget,
)

hookimpl = pluggy.HookimplMarker("zhushida")

__all__ = [
    "BillLine",
    "ChannelTrade",
    "NotificationAnswer",
    "NotificationRejected",
    "OrderInfo",
    "PayerContext",
    "PaymentChannel",
    "PaymentPurpose",
    "PrepayResult",
    "PurposeQuote",
    "RefundInfo",
    "RefundOutcome",
    "VerifiedNotification",
    "CONTRACT_VERSION",
    "CaseCharge",
    "CaseEvent",
    "CertificateField",
    "CertificateType",
    "ModelsSpec",
    "PeriodicTask",
    "ReadinessCheck",
    "Routes",
    "Widget",
    "CourierGateway",
    "CourierRefused",
    "CourierUnreachable",
    "CreatedOrder",
    "ForgedWebhook",
    "Party",
    "Quote",
    "ShipmentRequest",
    "TrackingUpdate",
    "WebhookAck",
    "hookimpl",
]
