"""The payment platform registered as a plugin: models, routes, channels, sandbox gateways,
periodic tasks and the ``zhushida payments`` CLI group."""

from __future__ import annotations

import logging

from core.hooks import ModelsSpec, PeriodicTask, Routes, hookimpl
from core.settings import Settings

ZHUSHIDA_CONTRACT = "1"

log = logging.getLogger("zhushida.payments")


@hookimpl
def zhushida_models() -> ModelsSpec:
    return ModelsSpec("payments", ["payments.models"], "payments.migrations", table_prefix="payments_")


@hookimpl
def zhushida_routes(settings: Settings) -> Routes:
    from payments.routes import payments_router

    return Routes([payments_router()], absolute=True)


_built: dict[int, tuple[Settings, tuple]] = {}


def _channels(settings: Settings) -> tuple:
    """Channels are built once per settings object (the SDK clients load keys once)."""
    if id(settings) in _built:
        return _built[id(settings)][1]
    from payments.channels.alipay import AlipayChannel
    from payments.channels.wechatpay import WeChatPayChannel
    from payments.config import alipay_credentials, wechat_credentials

    found = []
    wechat, alipay = wechat_credentials(settings), alipay_credentials(settings)
    if wechat:
        found.append(WeChatPayChannel(wechat))
    else:
        log.warning("WeChat Pay not configured (ZHUSHIDA_PAYMENTS_WECHAT_*): channel not offered")
    if alipay:
        found.append(AlipayChannel(alipay))
    else:
        log.warning("Alipay not configured (ZHUSHIDA_PAYMENTS_ALIPAY_*): channel not offered")
    _built[id(settings)] = (settings, tuple(found))  # keeps settings alive: its id stays unique
    return tuple(found)


@hookimpl
def zhushida_payment_channels(settings: Settings) -> list:
    return list(_channels(settings))


@hookimpl
def zhushida_sandbox_routes(settings: Settings) -> list:
    from payments.config import sandbox_credentials
    from payments.sandbox.alipay import AlipaySide, alipay_sandbox_router
    from payments.sandbox.wechatpay import WeChatPaySide, wechatpay_sandbox_router

    creds = sandbox_credentials(settings)
    wechat = creds["wechat"]
    return [
        wechatpay_sandbox_router(WeChatPaySide.from_credentials(wechat, (settings.wechat_appid, wechat["app_appid"]))),
        alipay_sandbox_router(AlipaySide.from_credentials(creds["alipay"])),
    ]


@hookimpl
def zhushida_tasks() -> list:
    from payments.tasks import ALL

    return list(ALL)


@hookimpl
def zhushida_periodic_tasks(settings: Settings) -> list[PeriodicTask]:
    from payments import tasks

    return [
        PeriodicTask("payments.close_expired_orders", tasks.close_expired_orders, 60),
        PeriodicTask("payments.query_pending_orders", tasks.query_pending_orders, 60),
        PeriodicTask("payments.query_processing_refunds", tasks.query_processing_refunds, 120),
        PeriodicTask("payments.retry_callbacks", tasks.retry_callbacks, 300),
        PeriodicTask("payments.reconcile_yesterday", tasks.reconcile_yesterday, 3600),
    ]


@hookimpl
def zhushida_cli_commands() -> list:
    from payments.cli import payments_cli

    return [payments_cli]


@hookimpl
def zhushida_account_merged(from_account_id, into_account_id):
    from payments.merge import merge_account

    return merge_account(from_account_id, into_account_id)
