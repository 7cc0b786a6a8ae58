"""Periodic work of the bureau: remind retirees whose yearly pension certification is due."""

from __future__ import annotations

from core.tasks import task

KIND = "social_security.pension_certification_due"


def register_message_kind() -> None:
    from core.messages.kinds import MessageKind, register_kind

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
