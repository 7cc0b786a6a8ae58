"""Sign-in per channel and the "who am I" screen (我的): real-name level, home region, the
relatives one may act for (亲友代办) and the switch to act for one of them.

Sign-in itself is identity's (``core.identity.login``): the mini-program trades its ``wx.login``
code (code2session through wechatpy, the sandbox offline), the app a phone number and SMS code.
The BFF answers both with the token pair *and* the who-am-I screen, so the phone needs one
round trip after sign-in.
"""

from __future__ import annotations

from typing import Any

from core.auth import Principal
from miniapp_bff.channels import Screen

LEVEL_LABELS = {
    0: ("未实名", "Not verified"),
    1: ("手机号认证", "Phone verified"),
    2: ("实名认证（身份证）", "ID verified"),
    3: ("实名认证（人脸）", "Face verified"),
}


async def login_miniapp(js_code: str) -> tuple[Any, Any, bool]:
    from core.identity import login

    return await login.login_with_wechat(js_code)


async def send_login_code(phone: str, client_address: str) -> dict[str, int]:
    from core.identity import sms_codes
    from core.identity.pii import normalize_phone

    return await sms_codes.send_code(normalize_phone(phone), purpose="login", client_address=client_address)


async def login_app(phone: str, code: str) -> tuple[Any, Any, bool]:
    from core.identity import login, sms_codes
    from core.identity.pii import normalize_phone

    number = normalize_phone(phone)
    await sms_codes.check_code(number, code, purpose="login")
    return await login.login_with_phone(number, channel="app")


async def principal_of_token(access_token: str) -> Principal:
    from core.identity import sessions

    principal = await sessions.resolve_access_token(access_token)
    assert principal is not None, "a token just issued resolves"
    return principal


async def _region_view(code: str | None) -> dict[str, Any] | None:
    if not code:
        return None
    from core.identity.api import region_path

    path = await region_path(code)
    return {"code": code, "path": [r.name for r in path], "name": path[-1].name if path else code}


async def relatives(principal: Principal, screen: Screen) -> list[dict[str, Any]]:
    """Active grants in which the signed-in person is the grantee: whom they may act for."""
    from core.identity import proxies

    out = []
    for grant in await proxies.list_grants(_own(principal)):
        if grant["role"] == "grantee" and grant["status"] == "active":
            out.append({
                "grant_id": grant["id"],
                "name": grant["other"]["name"],
                "account_id": grant["other"]["id"],
                "relation": grant["relation"],
                "scope": grant["scope"],
                "expires_at": grant["expires_at"],
            })
    return out


def _own(principal: Principal) -> Principal:
    """The signed-in person themself (grants are listed for them, not for the relative)."""
    from dataclasses import replace

    return replace(principal, acting_for=None, proxy_grant_id=None, proxy_scope=None)


async def me_screen(principal: Principal, screen: Screen) -> dict[str, Any]:
    from core.identity.api import get_account

    info = await get_account(principal.account_id)
    level = info.level if info else principal.level
    body: dict[str, Any] = {
        "account": info.as_dict() if info else None,
        "level": level,
        "level_label": screen.text(*LEVEL_LABELS.get(level, LEVEL_LABELS[0])),
        "home_region": await _region_view(info.home_region_code if info else principal.region_code),
        "channel": principal.channel,
        "acting_for": None,
        "relatives": await relatives(principal, screen) if principal.acting_for is None else [],
    }
    if principal.acting_for is not None:
        grantor = await get_account(principal.acting_for)
        body["acting_for"] = {
            "account_id": principal.acting_for,
            "name": grantor.name_masked if grantor else None,
            "level": grantor.level if grantor else None,
            "home_region": await _region_view(grantor.home_region_code if grantor else None),
            "grant_id": principal.proxy_grant_id,
            "scope": sorted(principal.proxy_scope) if principal.proxy_scope is not None else None,
        }
    return body


async def act_for(principal: Principal, grant_id: int) -> Any:
    """A separate token pair acting for the grantor; the caller's own tokens stay valid (switching
    back is using them again)."""
    from core import errors
    from core.identity import proxies

    if principal.acting_for is not None:
        raise errors.FORBIDDEN(details={"reason": "already acting for someone; switch back first"})
    return await proxies.act_for(grant_id, principal)
