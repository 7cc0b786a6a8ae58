"""Real-name levels: L1 phone verified, L2 name + resident ID checked with the identity authority,
L3 face + liveness. Each step needs the one before; a failed step changes nothing."""

from __future__ import annotations

from dataclasses import replace

from tortoise.exceptions import IntegrityError

from core import errors
from core.auth import Principal
from core.db import transaction
from core.identity import sessions
from core.identity.accounts import (
    citizen_principal,
    find_by_id_number,
    id_number_of,
    name_of,
    now,
    set_id_number,
    set_name,
)
from core.identity.authority import get_authority
from core.identity.face import get_face_client
from core.identity.models import Account, Region
from core.identity.pii import normalize_id_number, normalize_name
from core.stores import get_stores

ATTEMPTS_PER_DAY = 5

PHONE_REQUIRED = errors.define(
    "identity.phone_required",
    403,
    "请先绑定并验证手机号（一级实名），再进行身份证实名认证",
    "Verify a phone number first (level 1) before verifying your resident ID",
)
ID_REQUIRED = errors.define(
    "identity.id_verification_required",
    403,
    "请先完成身份证实名认证（二级），再进行人脸认证",
    "Verify your name and resident ID first (level 2) before face verification",
)
ID_TAKEN = errors.define(
    "identity.id_number_taken",
    409,
    "该身份证号已被其他账号实名认证，请使用原账号登录，或联系客服处理",
    "This resident ID is already verified on another account; sign in with that account or contact support",
)
ID_ALREADY_VERIFIED = errors.define(
    "identity.id_already_verified",
    409,
    "本账号已实名认证为其他身份证号，不能更改",
    "This account is already verified with a different resident ID and cannot change it",
)
ID_NOT_IN_REGISTER = errors.define(
    "identity.id_not_found",
    422,
    "未能在人口信息库中查到该身份证号，请核对号码，或到户籍所在地派出所咨询",
    "The resident ID is not in the population register; check it or ask your household registration police station",
)
NAME_MISMATCH = errors.define(
    "identity.name_mismatch",
    422,
    "姓名与身份证号不一致，请输入身份证上的姓名",
    "The name does not match the resident ID; enter the name exactly as on the ID card",
)
ID_CANCELLED = errors.define(
    "identity.id_cancelled",
    422,
    "该身份证号已注销，无法用于实名认证",
    "This resident ID has been cancelled and cannot be used",
)
TOO_MANY_ATTEMPTS = errors.define(
    "identity.verification_attempts_exceeded",
    429,
    "今日实名认证尝试次数过多，请明天再试",
    "Too many verification attempts today; try again tomorrow",
)
FACE_UNKNOWN = errors.define(
    "identity.face_certification_unknown",
    404,
    "人脸核验记录不存在或已过期，请重新开始人脸认证",
    "The face certification is unknown or expired; start face verification again",
)
FACE_PENDING = errors.define(
    "identity.face_pending",
    409,
    "人脸核验尚未完成，请在手机上完成刷脸后再提交",
    "Face verification is not finished yet; complete it on the phone first",
)
FACE_FAILED = errors.define(
    "identity.face_failed",
    422,
    "人脸核验未通过，请本人在光线充足处重新认证",
    "Face verification failed; the account holder must try again in good light",
)


async def _refresh_session(principal: Principal, account: Account) -> None:
    await sessions.update_session_principal(
        principal.session_id,
        replace(
            citizen_principal(account, channel=principal.channel), session_id=principal.session_id
        ),
    )


async def verify_id(principal: Principal, name: object, id_number: object) -> Account:
    """Level 2: name + resident ID, checked against the identity authority."""
    name = normalize_name(name)
    id_number = normalize_id_number(id_number)
    account = await Account.get(id=principal.account_id)
    if account.level < 1:
        raise PHONE_REQUIRED(details={"required_level": 1, "current_level": account.level})
    if account.id_number_hash:
        if id_number_of(account) != id_number:
            raise ID_ALREADY_VERIFIED()
        if name_of(account) == name:
            return account  # already done: verifying again changes nothing
    attempts = await get_stores()("identity.verify").incr(f"id:{account.id}", 86400)
    if attempts > ATTEMPTS_PER_DAY:
        raise TOO_MANY_ATTEMPTS(details={"retry_after": 86400})
    holder = await find_by_id_number(id_number)
    if holder is not None and holder.id != account.id:
        raise ID_TAKEN()
    answer = await get_authority().verify(name, id_number)
    if answer.outcome == "not_found":
        raise ID_NOT_IN_REGISTER()
    if answer.outcome == "name_mismatch":
        raise NAME_MISMATCH()
    if answer.outcome == "deceased":
        raise ID_CANCELLED()
    try:
        async with transaction():
            account = await Account.filter(id=account.id).select_for_update().first()
            assert account is not None
            set_name(account, name)
            set_id_number(account, id_number)
            account.level = max(account.level, 2)
            account.id_verified_at = now()
            if (
                account.home_region_code is None
                and answer.household_region_code
                and await Region.exists(code=answer.household_region_code)
            ):
                account.home_region_code = answer.household_region_code
            await account.save()
    except IntegrityError as exc:  # another account verified the same ID in the meantime
        raise ID_TAKEN() from exc
    await _refresh_session(principal, account)
    return account


async def start_face(principal: Principal) -> str:
    account = await Account.get(id=principal.account_id)
    if account.level < 2:
        raise ID_REQUIRED(details={"required_level": 2, "current_level": account.level})
    certify_id = await get_face_client().init(name_of(account) or "", id_number_of(account) or "")
    await get_stores()("identity.verify").set(f"face:{certify_id}", str(account.id), expires_in=600)
    return certify_id


async def finish_face(principal: Principal, certify_id: object) -> Account:
    """Level 3, once the provider (not the phone) confirms a live match of this account's holder."""
    certify_id = str(certify_id or "")[:64]
    store = get_stores()("identity.verify")
    owner = await store.take(f"face:{certify_id}")
    if owner is None or int(owner) != principal.account_id:
        if owner is not None:  # someone else's certification: leave it for its owner
            await store.set(f"face:{certify_id}", owner, expires_in=600)
        raise FACE_UNKNOWN()
    client = get_face_client()
    result = await client.query(certify_id)
    account = await Account.get(id=principal.account_id)
    if result.status == "pending":
        await store.set(f"face:{certify_id}", owner, expires_in=600)
        raise FACE_PENDING()
    expected = client.digest(id_number_of(account) or "")
    if result.status != "passed" or result.id_number_digest != expected:
        raise FACE_FAILED()
    account.level = max(account.level, 3)
    account.face_verified_at = now()
    await account.save(update_fields=["level", "face_verified_at", "updated_at"])
    await _refresh_session(principal, account)
    return account
