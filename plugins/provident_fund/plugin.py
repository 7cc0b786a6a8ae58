"""The housing provident fund plugin (住房公积金): accounts and journal from the fund centre's feeds,
balance widget, prefill, the proof of deposits (缴存证明) as an instant e-certificate, withdrawals
(rent/purchase/retirement) and loans with repayment plans."""

from __future__ import annotations

from core.hooks import ModelsSpec, PeriodicTask, Routes, Widget, hookimpl

ZHUSHIDA_CONTRACT = "1"


@hookimpl
def zhushida_models() -> ModelsSpec:
    return ModelsSpec("provident_fund", ["plugins.provident_fund.models"], "plugins.provident_fund.migrations",
                      table_prefix="pf_")


@hookimpl
def zhushida_feeds():
    from plugins.provident_fund.feeds import FEEDS

    return FEEDS


@hookimpl
def zhushida_services():
    from plugins.provident_fund.items import ITEMS

    return ITEMS


@hookimpl
def zhushida_bundles():
    from plugins.provident_fund.items import FUND_LOAN_BUNDLE

    return FUND_LOAN_BUNDLE


@hookimpl
def zhushida_certificate_types():
    from plugins.provident_fund.items import DEPOSIT_CERTIFICATE

    return DEPOSIT_CERTIFICATE


@hookimpl
def zhushida_form_prefill(account_id, item, keys):
    from plugins.provident_fund import service

    if not any(k in service.PREFILL for k in keys):
        return None
    return service.prefill(account_id, item, keys)


@hookimpl
def zhushida_routes(settings):
    from plugins.provident_fund.routes import ROUTES

    return Routes(ROUTES)


@hookimpl
def zhushida_case_event(event):
    from plugins.provident_fund.events import on_case_event

    return on_case_event(event)


@hookimpl
def zhushida_home_widgets(user, region, channel):
    if user is None or getattr(user, "kind", None) != "citizen" or user.level < 2:
        return None

    async def balance():
        from plugins.provident_fund import service

        accounts = await service.accounts_of(user.subject_id, user)
        if not accounts:
            return None
        main = accounts[0]
        return Widget("provident_fund.balance", "公积金余额", "Provident fund balance",
                      {"balance_fen": sum(a.balance_fen for a in accounts), "account_no": main.account_no,
                       "status": main.status, "monthly_deposit_fen": main.monthly_deposit_fen,
                       "last_period": main.last_period}, order=20)

    return balance()


@hookimpl
def zhushida_tasks():
    from plugins.provident_fund.tasks import reconcile_pending

    return [reconcile_pending]


@hookimpl
def zhushida_periodic_tasks(settings):
    from plugins.provident_fund.tasks import reconcile_pending

    return [PeriodicTask("provident_fund.reconcile_pending", reconcile_pending, every_seconds=3600)]


@hookimpl
def zhushida_account_merged(from_account_id, into_account_id):
    from plugins.provident_fund.merge import merge_account

    return merge_account(from_account_id, into_account_id)
