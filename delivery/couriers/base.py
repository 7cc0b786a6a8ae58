"""The courier hook contract lives in the kernel (core.plugins.courier_contract), so that core never imports
this package; re-exported here for the package's own code."""

from core.plugins.courier_contract import (  # noqa: F401
    CourierError,
    CourierGateway,
    CourierRefused,
    CourierUnreachable,
    CreatedOrder,
    ForgedWebhook,
    Party,
    Quote,
    STATUSES,
    ShipmentRequest,
    TERMINAL_STATUSES,
    TrackingUpdate,
    WebhookAck,
)
