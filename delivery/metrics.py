"""Prometheus counters of the delivery package (exposed by the platform's /metrics)."""

from __future__ import annotations

from prometheus_client import Counter

FORGED_WEBHOOKS = Counter("zhushida_delivery_forged_webhooks_total", "Courier pushes refused for a bad signature",
                          ["courier"])
