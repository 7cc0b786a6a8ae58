"""The real-estate registration plugin (不动产登记): properties, owners and encumbrances from the
registration centre's feeds, property certificates, transfer and mortgage registration, the deed
tax through the payment platform, and the bundle 我要买卖二手房."""

from __future__ import annotations

from core.hooks import ModelsSpec, PaymentPurpose, PeriodicTask, Routes, hookimpl

ZHUSHIDA_CONTRACT = "1"


@hookimpl
def zhushida_models() -> ModelsSpec:
    return ModelsSpec("real_estate", ["plugins.real_estate.models"], "plugins.real_estate.migrations",
                      table_prefix="re_")


@hookimpl
def zhushida_feeds():
    from plugins.real_estate.feeds import FEEDS

    return FEEDS


@hookimpl
def zhushida_services():
    from plugins.real_estate.items import ITEMS

    return ITEMS


@hookimpl
def zhushida_bundles():
    from plugins.real_estate.items import SECOND_HAND_HOME

    return SECOND_HAND_HOME


@hookimpl
def zhushida_certificate_types():
    from plugins.real_estate.items import PROPERTY_CERTIFICATE, REGISTRATION_PROOF

    return [PROPERTY_CERTIFICATE, REGISTRATION_PROOF]


@hookimpl
def zhushida_routes(settings):
    from plugins.real_estate.routes import ROUTES

    return Routes(ROUTES)


@hookimpl
def zhushida_case_event(event):
    from plugins.real_estate.events import on_case_event

    return on_case_event(event)


@hookimpl
def zhushida_payment_purposes():
    from plugins.real_estate import service

    return PaymentPurpose("deed_tax", service.describe_deed_tax, service.deed_tax_paid, title="契税",
                          title_en="Deed tax")


@hookimpl
def zhushida_case_charges(case):
    from plugins.real_estate.items import TRANSFER_CODE

    if case.item_code != TRANSFER_CODE:
        return None
    from plugins.real_estate import service

    return service.deed_tax_charges(case)


@hookimpl
def zhushida_form_prefill(account_id, item, keys):
    if "property.unit_no" not in keys:
        return None

    async def answer():
        from plugins.real_estate import service

        units = await service.owned_units(account_id, service.PLUGIN, "表单预填：不动产单元号")
        return {"property.unit_no": units[0]} if len(units) == 1 else {}

    return answer()


@hookimpl
def zhushida_home_widgets(user, region, channel):
    if user is None or getattr(user, "kind", None) != "citizen" or user.level < 2:
        return None
    from plugins.real_estate import service

    return service.home_widget(user)


@hookimpl
def zhushida_tasks():
    from plugins.real_estate.tasks import expire_seizures, release_deed_tax_hold

    return [release_deed_tax_hold, expire_seizures]


@hookimpl
def zhushida_periodic_tasks(settings):
    from plugins.real_estate.tasks import expire_seizures

    return [PeriodicTask("real_estate.expire_seizures", expire_seizures, every_seconds=6 * 3600)]


@hookimpl
def zhushida_account_merged(from_account_id, into_account_id):
    from plugins.real_estate.merge import merge_account

    return merge_account(from_account_id, into_account_id)
