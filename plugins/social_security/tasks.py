"""Periodic work of the bureau: remind retirees whose yearly pension certification is due, and
apply contact changes whose staff step was taken but whose listener failed."""

from __future__ import annotations

from core.tasks import task

KIND = "social_security.pension_certification_due"


def register_message_kind() -> None:
    from core.messages.api import MessageKind, register_kind

    register_kind(MessageKind(KIND, "养老金资格认证提醒", "Pension certification due",
                              "您{year}年度的养老金领取资格认证尚未完成，请在诸事达App完成人脸认证。",
                              "Your {year} pension qualification certification is due; complete it with face "
                              "verification in the app.", template="notice"))


@task("social_security.remind_pension_certification")
async def remind_pension_certification() -> int:
    """Retirees who certified last year and not yet this year get one reminder per year."""
    from core.messages import api as messages
    from plugins.social_security.models import PensionCertification
    from plugins.social_security.service import this_year

    register_message_kind()
    year = this_year()
    done = set(await PensionCertification.filter(year=year).values_list("person_key", flat=True))
    sent = 0
    for row in await PensionCertification.filter(year=year - 1):
        if row.person_key in done:
            continue
        await messages.notify(row.account_id, KIND, params={"year": year}, dedupe_key=f"{KIND}:{year}:{row.person_key}")
        sent += 1
    return sent


DECIDED = ("approved", "delivered", "closed")
REPAIR_WINDOW_DAYS = 30  # a failed listener is noticed within the hour; older cases are not rescanned


@task("social_security.apply_pending_contact_changes")
async def apply_pending_contact_changes() -> int:
    """A contact change is written by the case-event listener after the clerk's ``apply_change``
    committed; if that listener failed, the case is decided but has no result. Apply those (the
    write is the same each time, so a late duplicate changes nothing)."""
    import datetime as dt

    from core.cases import api as cases
    from plugins.social_security import service
    from plugins.social_security.items import CONTACT_CODE

    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=REPAIR_WINDOW_DAYS)
    applied = 0
    for case in await cases.Case.filter(item_code=CONTACT_CODE, state__in=DECIDED, decided_at__gte=since):
        if case.result:
            continue
        await service.change_phone(case, cases.unseal(case.form_data or {}))
        applied += 1
    return applied
