"""The citizen card registered as a plugin of the platform: models, routes, the terminal
signature scheme, and (through the payment hooks) the top-up purpose and the wallet channel."""

from __future__ import annotations

from core.hooks import ModelsSpec, PeriodicTask, Routes, hookimpl

ZHUSHIDA_CONTRACT = "1"


@hookimpl
def zhushida_models() -> ModelsSpec:
    return ModelsSpec("citizen_card", ["citizen_card.models"], "citizen_card.migrations", table_prefix="card_")


@hookimpl
def zhushida_routes(settings) -> Routes:
    from citizen_card.routes import all_routes
    from citizen_card.terminals import SCHEME, resolve_terminal
    from core.auth import register_resolver

    register_resolver(SCHEME, resolve_terminal)
    return Routes(all_routes(), absolute=True)


@hookimpl
def zhushida_tasks() -> list:
    from citizen_card.tasks import ALL

    return list(ALL)


@hookimpl
def zhushida_periodic_tasks(settings) -> list[PeriodicTask]:
    from citizen_card import tasks

    return [PeriodicTask("card.purge_debit_nonces", tasks.purge_debit_nonces, 60)]


@hookimpl
def zhushida_payment_purposes():
    from citizen_card.payment_hooks import TOPUP_PURPOSE

    return TOPUP_PURPOSE


@hookimpl
def zhushida_payment_channels(settings):
    from citizen_card.payment_hooks import CardWalletChannel

    return CardWalletChannel()


@hookimpl
def zhushida_startup(app):
    """Load the QR signing keys at start-up: production without ZHUSHIDA_CARD_QR_SIGNING_KEYS
    refuses to start (a platform plugin's start-up error stops the app) instead of failing later."""
    from citizen_card.qr import load_keyring

    load_keyring()


@hookimpl
def zhushida_cli_commands():
    from citizen_card.cli import card_cli

    return [card_cli]


@hookimpl
def zhushida_account_merged(from_account_id, into_account_id):
    from citizen_card.merge import merge_account

    return merge_account(from_account_id, into_account_id)
