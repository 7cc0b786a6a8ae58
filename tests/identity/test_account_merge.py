"""Merging two accounts of one person moves every row keyed by the absorbed account, in every area,
in the merge's transaction; what cannot be merged refuses the whole merge."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from tortoise import Tortoise

from citizen_card.models import Card
from core import changes
from core.cases.models import BundleCase, Case, Upload
from core.certificates.models import Certificate, CertificateUse
from core.errors import AppError
from core.evaluations.models import Evaluation, RateableCase
from core.identity import proxies, sessions
from core.identity.merge import merge_accounts
from core.identity.models import (
    AccessLogEntry,
    Account,
    AccountStatus,
    Enterprise,
    EnterpriseAgent,
    GrantStatus,
    ProxyGrant,
)
from core.messages.models import ChannelSetting, Message, WeChatGrant
from delivery.models import Address, Shipment
from payments.models import Order
from plugins.provident_fund.models import Loan, Withdrawal
from plugins.real_estate.models import Transfer
from plugins.social_security.models import PensionCertification
from tests.support.auth import Actor, make_citizen

pytestmark = pytest.mark.usefixtures("app")

# Every column that holds a citizen account id, as "app.Model.column". A new one must be moved by
# its area's zhushida_account_merged (and added here), or the person loses those rows on a merge.
MOVED = {
    "cases.Case.applicant_id", "cases.Case.submitted_by", "cases.BundleCase.applicant_id",
    "cases.BundleCase.submitted_by", "cases.Upload.owner_id",
    "certificates.Certificate.holder_account_id", "certificates.CertificateUse.holder_account_id",
    "evaluations.RateableCase.applicant_id", "evaluations.Evaluation.account_id",
    "messages.Message.account_id", "messages.ChannelSetting.account_id", "messages.WeChatGrant.account_id",
    "identity.ProxyGrant.grantor_id", "identity.ProxyGrant.grantee_id", "identity.AccessLogEntry.subject_id",
    "identity.Enterprise.legal_rep_id", "identity.EnterpriseAgent.account_id",
    "payments.Order.payer_account_id", "citizen_card.Card.holder_id",
    "delivery.Address.account_id", "delivery.Shipment.account_id",
    "provident_fund.Withdrawal.account_id", "provident_fund.Loan.account_id",
    "real_estate.Transfer.buyer_account_id", "real_estate.Transfer.seller_account_id",
    "social_security.PensionCertification.account_id",
}
NOT_CITIZEN_ACCOUNTS = {"citizen_card.Entry.account_id"}  # a ledger account, not a person
ACCOUNT_COLUMN = re.compile(
    r"(^|_)account_id$|^(applicant_id|holder_id|owner_id|subject_id|submitted_by|grantor_id|grantee_id|legal_rep_id)$")


def account_columns() -> set[str]:
    return {f"{app}.{name}.{column}" for app, models in Tortoise.apps.items() for name, model in models.items()
            for column in model._meta.db_fields if ACCOUNT_COLUMN.search(column)}


async def test_every_account_column_is_moved_by_a_merge():
    assert account_columns() - NOT_CITIZEN_ACCOUNTS == MOVED


def _model(path: str):
    app, name, _column = path.split(".")
    return Tortoise.apps[app][name]


async def rows_of(account_id: int) -> dict[str, int]:
    counts = {}
    for path in sorted(MOVED):
        count = await _model(path).filter(**{path.rsplit(".", 1)[1]: account_id}).count()
        if count:
            counts[path] = count
    return counts


def _uid(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(6)}"


async def give_rows(owner: int, other: int) -> None:
    """One row of every kind for ``owner`` (``other`` is the relative / counterpart where needed)."""
    now = datetime.now(UTC)
    case_fields = dict(item_code="I1", basic_code="B1", item_name="事项", department_code="d1", region_code="430281000000",
                       channel="app", workflow="standard", state="submitted", case_type="promised", submitted_at=now)
    case = await Case.create(case_no=_uid("C"), applicant_id=owner, submitted_by=owner, **case_fields)
    await BundleCase.create(bundle_no=_uid("B"), bundle_code="b", name="一件事", applicant_id=owner, submitted_by=owner,
                            region_code="430281000000", channel="app")
    await Upload.create(id=_uid("u"), owner_id=owner, item_code="I1", material_key="m", filename="f.pdf",
                        content_type="application/pdf", size=1, sha256="0" * 64, storage_key=_uid("k"))
    cert = await Certificate.create(identifier=_uid("id"), type_code="T", issuer_credit_code="X", serial=_uid("s"),
                                    version=1, holder_account_id=owner, data_enc="-", valid_from=now)
    await CertificateUse.create(certificate=cert, holder_account_id=owner, case_ref=_uid("r"), material_code="m")
    await RateableCase.create(case_id=case.id, case_no=case.case_no, item_code="I1", basic_code="B1", item_name="事项",
                              department_code="d1", region_code="430281000000", applicant_id=owner, rateable_since=now)
    await Evaluation.create(case_id=case.id, case_no=case.case_no, item_code="I1", item_name="事项", department_code="d1",
                            region_code="430281000000", account_id=owner, level=1, channel="app", created_at=now)
    await Message.create(account_id=owner, kind="k", title="标题", body="正文")
    await AccessLogEntry.create(subject_id=owner, reader_kind="staff", reader_id="staff:1", purpose="核验")
    company = await Enterprise.create(uscc=_uid("91")[:18], name="公司", legal_rep_id=owner)
    await EnterpriseAgent.create(enterprise=company, account_id=owner, authorised_by_id=owner)
    await Order.create(order_no=_uid("ZS"), payer_account_id=owner, client_key=_uid("ck"), request_hash="h",
                       purpose_kind="case", purpose_ref=_uid("ref"), subject="费", amount_fen=100,
                       expires_at=now + timedelta(hours=1))
    await Address.create(account_id=owner, name_enc="-", phone_enc="-", region_code="430281001000", detail_enc="-",
                         is_default=True)
    await Shipment.create(no=_uid("S"), kind="result", case_id=case.id, region_code="430281000000", account_id=owner,
                          courier="ems", goods="文书", citizen_name_enc="-", citizen_phone_enc="-",
                          citizen_region_code="430281001000", citizen_detail_enc="-", office_name="中心",
                          office_phone="0731", office_region_code="430281000000", office_detail="-",
                          fee_payer="department", state="waiting_result")
    await Withdrawal.create(account_id=owner, account_no="F1", purpose="rent", amount_fen=100)
    await Loan.create(account_id=owner, account_no="F1", principal_fen=100, annual_rate_bp=285, months=12,
                      method="equal_principal")
    for buyer, seller in ((owner, other), (other, owner)):
        await Transfer.create(unit_no=_uid("U"), buyer_account_id=buyer, seller_account_id=seller, price_fen=1,
                              deed_tax_rate_bp=100, deed_tax_fen=1)
    await PensionCertification.create(account_id=owner, person_key=_uid("p"), year=2026, method="face")


async def mini_program_account(openid: str) -> Account:
    return await Account.create(level=0, wechat_openid=openid)


async def test_a_merge_moves_every_row_and_resolves_duplicates(database):
    survivor = await make_citizen(level=2)
    absorbed = await mini_program_account("wx-merge-1")
    relative, other_relative = await make_citizen(level=2), await make_citizen(level=2)
    for owner in (survivor.account_id, absorbed.id):
        await give_rows(owner, relative.account_id)
    # Duplicates the merge must resolve:
    await ChannelSetting.create(account_id=survivor.account_id, kind="case.approved", wechat=False, sms=True)
    await ChannelSetting.create(account_id=absorbed.id, kind="case.approved", wechat=True, sms=False)
    await ChannelSetting.create(account_id=absorbed.id, kind="case.refused", wechat=False, sms=False)
    await WeChatGrant.create(account_id=survivor.account_id, template_id="TPL", remaining=2)
    await WeChatGrant.create(account_id=absorbed.id, template_id="TPL", remaining=3)
    await Order.create(order_no=_uid("ZS"), payer_account_id=survivor.account_id, client_key="same-key",
                       request_hash="h", purpose_kind="fee", purpose_ref="1", subject="费", amount_fen=1,
                       expires_at=datetime.now(UTC) + timedelta(hours=1))
    clashing = await Order.create(order_no=_uid("ZS"), payer_account_id=absorbed.id, client_key="same-key",
                                  request_hash="h", purpose_kind="fee", purpose_ref="2", subject="费", amount_fen=1,
                                  expires_at=datetime.now(UTC) + timedelta(hours=1))
    await Card.create(number=_uid("3100")[:19], holder_id=survivor.account_id)
    await Card.create(number=_uid("3101")[:19], holder_id=absorbed.id, state="cancelled")
    # Relatives' grants: one the relative acts under right now, one the survivor already gives the
    # same relative, one between the two accounts themselves.
    expires = datetime.now(UTC) + timedelta(days=30)
    acting_grant = await ProxyGrant.create(grantor_id=absorbed.id, grantee_id=relative.account_id, expires_at=expires,
                                           status=GrantStatus.ACTIVE)
    acting = await proxies.act_for(acting_grant.id, relative.principal)
    kept = await ProxyGrant.create(grantor_id=survivor.account_id, grantee_id=other_relative.account_id,
                                   expires_at=expires, status=GrantStatus.ACTIVE)
    duplicate = await ProxyGrant.create(grantor_id=absorbed.id, grantee_id=other_relative.account_id,
                                        expires_at=expires, status=GrantStatus.PENDING)
    between = await ProxyGrant.create(grantor_id=survivor.account_id, grantee_id=absorbed.id, expires_at=expires,
                                      status=GrantStatus.ACTIVE)
    before = await rows_of(survivor.account_id)
    absorbed_rows = await rows_of(absorbed.id)
    assert set(absorbed_rows) == MOVED  # the absorbed account owns a row of every kind

    screens = changes.LocalCache("merge-test", topics=("account",), ttl=60, max_entries=10)
    try:
        for account_id in (survivor.account_id, absorbed.id):
            assert screens.put(account_id, "home", [changes.tag("account", account_id)], screens.ticket())
        merged = await merge_accounts(absorbed.id, survivor.account_id)
        # Cached screens of both accounts are stale now (their rows moved).
        assert screens.get(survivor.account_id) is None and screens.get(absorbed.id) is None
    finally:
        changes.default_hub().caches.remove(screens)

    assert merged.id == survivor.account_id and merged.wechat_openid == "wx-merge-1"
    assert await rows_of(absorbed.id) == {}
    after = await rows_of(survivor.account_id)
    expected = {path: before.get(path, 0) + absorbed_rows[path] for path in MOVED}
    expected["messages.ChannelSetting.account_id"] -= 1  # the survivor's choice for the kind stands
    expected["messages.WeChatGrant.account_id"] -= 1  # counts added into one row
    assert after == expected
    settings = {s.kind: (s.wechat, s.sms) for s in await ChannelSetting.filter(account_id=survivor.account_id)}
    assert settings["case.approved"] == (False, True) and settings["case.refused"] == (False, False)
    assert (await WeChatGrant.get(account_id=survivor.account_id, template_id="TPL")).remaining == 5
    assert (await Order.get(id=clashing.id)).client_key == f"merged:{clashing.id}"
    assert await Address.filter(account_id=survivor.account_id, is_default=True).count() == 1
    assert await Card.filter(holder_id=survivor.account_id).exclude(state="cancelled").count() == 1

    moved_grant = await ProxyGrant.get(id=acting_grant.id)
    assert moved_grant.grantor_id == survivor.account_id and moved_grant.status == GrantStatus.ACTIVE
    assert (await ProxyGrant.get(id=kept.id)).status == GrantStatus.ACTIVE
    assert (await ProxyGrant.get(id=duplicate.id)).status == GrantStatus.REVOKED
    assert (await ProxyGrant.get(id=between.id)).status == GrantStatus.REVOKED
    # Acting for the absorbed account ends; acting again lands on the one account.
    assert await sessions.resolve_access_token(acting.access_token) is None
    again = await sessions.resolve_access_token((await proxies.act_for(acting_grant.id, relative.principal)).access_token)
    assert again.acting_for == survivor.account_id


async def test_two_live_cards_refuse_the_merge_and_nothing_moves(database):
    survivor = await make_citizen(level=2)
    absorbed = await mini_program_account("wx-merge-2")
    await give_rows(absorbed.id, survivor.account_id)
    await Card.create(number=_uid("3200")[:19], holder_id=survivor.account_id)
    await Card.create(number=_uid("3201")[:19], holder_id=absorbed.id)
    rows = await rows_of(absorbed.id)

    with pytest.raises(AppError) as refused:
        await merge_accounts(survivor.account_id, absorbed.id)
    assert refused.value.code == "card.merge_two_live_cards" and refused.value.status == 409
    assert await rows_of(absorbed.id) == rows
    assert (await Account.get(id=absorbed.id)).status == AccountStatus.ACTIVE
    assert (await Account.get(id=survivor.account_id)).wechat_openid is None


async def test_a_failing_plugin_rolls_the_merge_back(database, host):
    from tests.identity import merge_failing_plugin

    survivor: Actor = await make_citizen(level=2)
    absorbed = await mini_program_account("wx-merge-3")
    await give_rows(absorbed.id, survivor.account_id)
    rows = await rows_of(absorbed.id)
    host.register_module("merge_failing", merge_failing_plugin)
    try:
        with pytest.raises(AppError) as failed:
            await merge_accounts(survivor.account_id, absorbed.id)
    finally:
        host.pm.unregister(name="merge_failing")
        host.records.pop("merge_failing", None)
    assert failed.value.code == "identity.merge_failed" and failed.value.details == {"plugin": "merge_failing"}
    assert await rows_of(absorbed.id) == rows
    assert (await Account.get(id=absorbed.id)).status == AccountStatus.ACTIVE
