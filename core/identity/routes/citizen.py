"""Citizen routes: SMS and mini-program login, phone linking, real-name steps, home region,
the access log of one's personal data."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

import msgspec
from litestar import Request, get, post, put
from litestar.params import FromQuery, JSONBody

from core import errors
from core.auth import Principal, principal_of, requires
from core.identity import access_log, login, sms_codes, verification
from core.identity.api import account_info
from core.identity.audit import audit
from core.identity.models import Account
from core.identity.pii import normalize_phone
from core.identity.regions import require_region

CITIZEN = requires("citizen")


class SmsSendBody(msgspec.Struct, forbid_unknown_fields=True):
    phone: str
    purpose: Literal["login", "link"] = "login"


class SmsLoginBody(msgspec.Struct, forbid_unknown_fields=True):
    phone: str
    code: str


class WechatLoginBody(msgspec.Struct, forbid_unknown_fields=True):
    code: str


class WechatPhoneBody(msgspec.Struct, forbid_unknown_fields=True):
    phone_code: str


class IdBody(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    id_number: str


class FaceFinishBody(msgspec.Struct, forbid_unknown_fields=True):
    certify_id: str


class HomeRegionBody(msgspec.Struct, forbid_unknown_fields=True):
    region_code: str


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def own_self(request: Request) -> Principal:
    """The caller as themself: a session acting for a relative may not change the relative's identity."""
    principal = principal_of(request)
    if principal.kind != "citizen":
        raise errors.FORBIDDEN()
    if principal.acting_for is not None:
        raise errors.FORBIDDEN(details={"reason": "not allowed while acting for someone else"})
    return principal


def _login_body(account: Account, pair: Any, created: bool) -> dict[str, Any]:
    return {**pair.as_dict(), "account": account_info(account).as_dict(), "created": created}


def citizen_routes() -> list:
    @post(
        "/identity/sms/send",
        status_code=200,
        summary="Send a one-time SMS code (login, or linking a phone)",
    )
    async def sms_send(request: Request, data: JSONBody[SmsSendBody]) -> dict[str, Any]:
        phone = normalize_phone(data.phone)
        if data.purpose == "link":
            own_self(request)
        return await sms_codes.send_code(
            phone, purpose=data.purpose, client_address=client_address(request)
        )

    @post("/identity/login/sms", status_code=200, summary="App login: phone + SMS code")
    async def login_sms(request: Request, data: JSONBody[SmsLoginBody]) -> dict[str, Any]:
        phone = normalize_phone(data.phone)
        await sms_codes.check_code(phone, data.code, purpose="login")
        account, pair, created = await login.login_with_phone(phone, channel="app")
        return _login_body(account, pair, created)

    @post("/identity/login/wechat", status_code=200, summary="Mini-program login: wx.login code")
    async def login_wechat(data: JSONBody[WechatLoginBody]) -> dict[str, Any]:
        account, pair, created = await login.login_with_wechat(data.code)
        return _login_body(account, pair, created)

    @post(
        "/identity/phone/link",
        guards=[CITIZEN],
        status_code=200,
        summary="Verify and link a phone (merges with the account that already has it)",
    )
    async def link_phone(request: Request, data: JSONBody[SmsLoginBody]) -> dict[str, Any]:
        principal = own_self(request)
        phone = normalize_phone(data.phone)
        await sms_codes.check_code(phone, data.code, purpose="link")
        account, pair = await login.link_phone(principal, phone)
        await audit(
            request,
            principal,
            "identity.phone_linked",
            f"account:{account.id}",
            merged_from=principal.account_id if account.id != principal.account_id else None,
        )
        return {
            "account": account_info(account).as_dict(),
            "merged": pair is not None or account.id != principal.account_id,
            "tokens": pair.as_dict() if pair else None,
        }

    @post(
        "/identity/phone/link-wechat",
        guards=[CITIZEN],
        status_code=200,
        summary="Link the phone number WeChat verified (getPhoneNumber button)",
    )
    async def link_wechat_phone(
        request: Request, data: JSONBody[WechatPhoneBody]
    ) -> dict[str, Any]:
        principal = own_self(request)
        phone = normalize_phone(await _wechat_phone(data.phone_code))
        account, pair = await login.link_phone(principal, phone)
        await audit(
            request,
            principal,
            "identity.phone_linked",
            f"account:{account.id}",
            merged_from=principal.account_id if account.id != principal.account_id else None,
        )
        return {
            "account": account_info(account).as_dict(),
            "merged": pair is not None,
            "tokens": pair.as_dict() if pair else None,
        }

    @post(
        "/identity/verify/id",
        guards=[CITIZEN],
        status_code=200,
        summary="Real-name level 2: name + resident ID",
    )
    async def verify_id(request: Request, data: JSONBody[IdBody]) -> dict[str, Any]:
        account = await verification.verify_id(own_self(request), data.name, data.id_number)
        await audit(
            request, principal_of(request), "identity.level_2_verified", f"account:{account.id}"
        )
        return {"account": account_info(account).as_dict()}

    @post(
        "/identity/verify/face/start",
        guards=[CITIZEN],
        status_code=200,
        summary="Real-name level 3: start face check",
    )
    async def face_start(request: Request) -> dict[str, Any]:
        return {"certify_id": await verification.start_face(own_self(request))}

    @post(
        "/identity/verify/face/finish",
        guards=[CITIZEN],
        status_code=200,
        summary="Real-name level 3: confirm result",
    )
    async def face_finish(request: Request, data: JSONBody[FaceFinishBody]) -> dict[str, Any]:
        account = await verification.finish_face(own_self(request), data.certify_id)
        await audit(
            request, principal_of(request), "identity.level_3_verified", f"account:{account.id}"
        )
        return {"account": account_info(account).as_dict()}

    @put(
        "/identity/me/home-region", guards=[CITIZEN], status_code=200, summary="Set the home region"
    )
    async def set_home_region(request: Request, data: JSONBody[HomeRegionBody]) -> dict[str, Any]:
        from dataclasses import replace

        from core.identity import sessions
        from core.identity.accounts import citizen_principal

        principal = own_self(request)
        region = await require_region(data.region_code)
        account = await Account.get(id=principal.account_id)
        account.home_region_code = region.code
        await account.save(update_fields=["home_region_code", "updated_at"])
        await sessions.update_session_principal(
            principal.session_id,
            replace(
                citizen_principal(account, channel=principal.channel),
                session_id=principal.session_id,
            ),
        )
        return {"account": account_info(account).as_dict()}

    @get(
        "/identity/access-log", guards=[CITIZEN], summary="Who read my personal data, when and why"
    )
    async def my_access_log(
        request: Request, before_id: FromQuery[int | None] = None, limit: FromQuery[int] = 50
    ) -> dict[str, Any]:
        principal = own_self(request)
        return {
            "items": await access_log.list_for(
                principal.account_id, limit=limit, before_id=before_id
            )
        }

    return [
        sms_send,
        login_sms,
        login_wechat,
        link_phone,
        link_wechat_phone,
        verify_id,
        face_start,
        face_finish,
        set_home_region,
        my_access_log,
    ]


async def _wechat_phone(phone_code: str) -> str:
    """The phone number behind a getPhoneNumber button code (wechatpy does not wrap this API)."""
    from wechatpy.exceptions import WeChatClientException

    from core.integrations.wechat import WECHAT_API, wechat_client
    from core.settings import get_settings

    client = wechat_client(get_settings())
    try:
        result = await asyncio.to_thread(
            client.post, f"{WECHAT_API}/wxa/business/getuserphonenumber", data={"code": phone_code}
        )
    except WeChatClientException as exc:
        if exc.errcode == 40029:
            raise login.WECHAT_CODE_INVALID(details={"errcode": exc.errcode}) from exc
        raise login.WECHAT_UNAVAILABLE(details={"errcode": exc.errcode}) from exc
    except Exception as exc:
        raise login.WECHAT_UNAVAILABLE() from exc
    return str(result["phone_info"]["purePhoneNumber"])
