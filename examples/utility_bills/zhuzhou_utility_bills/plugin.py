"""水电气缴费: the plugin module the entry point names. Only the platform's public surface is used:
core.hooks records, core.feeds, core.auth, the payments purpose contract."""

from __future__ import annotations

from core.hooks import ModelsSpec, PaymentPurpose, Routes, hookimpl

ZHUSHIDA_CONTRACT = "1"


@hookimpl
def zhushida_models():
    return ModelsSpec("utility_bills", ["zhuzhou_utility_bills.models"], "zhuzhou_utility_bills.migrations",
                      table_prefix="ub_")


@hookimpl
def zhushida_feeds():
    from zhuzhou_utility_bills.feeds import BILLS, HOUSEHOLDS

    return [HOUSEHOLDS, BILLS]


@hookimpl
def zhushida_routes(settings):
    from zhuzhou_utility_bills.routes import my_bills

    return Routes([my_bills])


@hookimpl
def zhushida_payment_purposes():
    from zhuzhou_utility_bills import service

    return PaymentPurpose("utility_bill", service.describe, service.on_paid, title="水电气缴费", title_en="Utility bill")
