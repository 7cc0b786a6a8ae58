"""The social security plugin (人社/社保): insured persons and contributions from the bureau's
feeds, proof of insurance (参保证明) as an instant e-certificate, pension qualification
certification at real-name level 3, contact changes as a case."""

from __future__ import annotations

from core.hooks import ModelsSpec, PeriodicTask, Routes, Widget, hookimpl

ZHUSHIDA_CONTRACT = "1"


@hookimpl
def zhushida_models() -> ModelsSpec:
    return ModelsSpec("social_security", ["plugins.social_security.models"], "plugins.social_security.migrations",
                      table_prefix="ss_")


@hookimpl
def zhushida_feeds():
    from plugins.social_security.feeds import FEEDS

    return FEEDS


@hookimpl
def zhushida_services():
    from plugins.social_security.items import ITEMS

    return ITEMS


@hookimpl
def zhushida_certificate_types():
    from plugins.social_security.items import PROOF_CERTIFICATE

    return PROOF_CERTIFICATE


@hookimpl
def zhushida_routes(settings):
    from plugins.social_security.routes import ROUTES

    return Routes(ROUTES)


@hookimpl
def zhushida_case_event(event):
    from plugins.social_security.events import on_case_event

    return on_case_event(event)


@hookimpl
def zhushida_form_prefill(account_id, item, keys):
    from plugins.social_security import service

    if not any(k in service.PREFILL for k in keys):
        return None
    return service.prefill(account_id, item, keys)


@hookimpl
def zhushida_home_widgets(user, region, channel):
    if user is None or getattr(user, "kind", None) != "citizen" or user.level < 2:
        return None

    async def card():
        from plugins.social_security import service

        person, _ = await service.person_of(user.subject_id, user, "首页社保卡片")
        if person is None:
            return None
        pension = (await service.contribution_summary(person.person_key)).get("pension", {})
        return Widget("social_security.status", "社保参保", "Social insurance",
                      {"status": person.status, "pension_months": pension.get("months", 0),
                       "last_period": pension.get("last_period")}, order=30)

    return card()


@hookimpl
def zhushida_tasks():
    from plugins.social_security.tasks import (
        apply_pending_contact_changes,
        register_message_kind,
        remind_pension_certification,
    )

    register_message_kind()
    return [remind_pension_certification, apply_pending_contact_changes]


@hookimpl
def zhushida_periodic_tasks(settings):
    from plugins.social_security.tasks import (
        apply_pending_contact_changes,
        remind_pension_certification,
    )

    return [PeriodicTask("social_security.remind_pension_certification", remind_pension_certification,
                         every_seconds=24 * 3600),
            PeriodicTask("social_security.apply_pending_contact_changes", apply_pending_contact_changes,
                         every_seconds=3600)]


@hookimpl
def zhushida_account_merged(from_account_id, into_account_id):
    from plugins.social_security.merge import merge_account

    return merge_account(from_account_id, into_account_id)
