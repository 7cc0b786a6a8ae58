"""WeChat mini-program sandbox: ``cgi-bin/token``, ``sns/jscode2session``, subscribe-message send
and the phone-number API, answering with the error codes WeChat documents.

Dev endpoints play the phone: ``_dev/login`` is ``wx.login()`` (a one-time code valid 5 minutes),
``_dev/subscribe`` is the user tapping "allow" on ``wx.requestSubscribeMessage`` (one message per
grant), ``_dev/phone-code`` is the phone-number button, ``_dev/messages`` lists what was sent.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from litestar import Router, get, post
from litestar.params import FromQuery, JSONBody

CODE_TTL = 300
TOKEN_TTL = 7200
TEMPLATE_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def _err(code: int, msg: str) -> dict[str, Any]:
    return {"errcode": code, "errmsg": msg}


@dataclass
class WeChatSandboxState:
    apps: dict[str, str] = field(default_factory=dict)  # appid -> secret
    codes: dict[str, tuple[str, str, float, bool]] = field(default_factory=dict)  # code -> appid, openid, expiry, used
    tokens: dict[str, tuple[str, float]] = field(default_factory=dict)  # token -> appid, expiry
    grants: dict[tuple[str, str], int] = field(default_factory=dict)  # (openid, template) -> remaining
    sent: list[dict[str, Any]] = field(default_factory=list)
    phone_codes: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def openid_for(self, appid: str, user: str) -> str:
        return "o" + hashlib.sha256(f"{appid}:{user}".encode()).hexdigest()[:27]

    def unionid_for(self, user: str) -> str:
        return "u" + hashlib.sha256(f"union:{user}".encode()).hexdigest()[:27]

    def valid_token(self, token: str | None) -> tuple[str | None, dict[str, Any] | None]:
        entry = self.tokens.get(token or "")
        if entry is None:
            return None, _err(40001, "invalid credential, access_token is invalid or not latest")
        appid, expiry = entry
        if expiry < time.time():
            return None, _err(42001, "access_token expired")
        return appid, None


def wechat_sandbox_router(apps: dict[str, str]) -> Router:
    state = WeChatSandboxState(apps=dict(apps))

    @get("/cgi-bin/token", sync_to_thread=False)
    def token(
        grant_type: FromQuery[str] = "", appid: FromQuery[str] = "", secret: FromQuery[str] = ""
    ) -> dict[str, Any]:
        if grant_type != "client_credential":
            return _err(40002, "invalid grant_type")
        if appid not in state.apps:
            return _err(40013, "invalid appid")
        if not secrets.compare_digest(state.apps[appid], secret):
            return _err(40125, "invalid appsecret")
        value = secrets.token_urlsafe(48)
        with state.lock:
            state.tokens[value] = (appid, time.time() + TOKEN_TTL)
        return {"access_token": value, "expires_in": TOKEN_TTL}

    @get("/sns/jscode2session", sync_to_thread=False)
    def jscode2session(
        appid: FromQuery[str] = "", secret: FromQuery[str] = "", js_code: FromQuery[str] = "",
        grant_type: FromQuery[str] = "",
    ) -> dict[str, Any]:
        if grant_type != "authorization_code":
            return _err(40002, "invalid grant_type")
        if appid not in state.apps:
            return _err(40013, "invalid appid")
        if not secrets.compare_digest(state.apps[appid], secret):
            return _err(40125, "invalid appsecret")
        with state.lock:
            entry = state.codes.get(js_code)
            if entry is None or entry[0] != appid or entry[2] < time.time():
                return _err(40029, "invalid code")
            if entry[3]:
                return _err(40163, "code been used")
            state.codes[js_code] = (*entry[:3], True)
        openid = entry[1]
        user = openid  # the dev endpoint stored the user key as openid seed
        return {
            "openid": state.openid_for(appid, user),
            "session_key": secrets.token_urlsafe(18),
            "unionid": state.unionid_for(user),
            "errcode": 0,
            "errmsg": "ok",
        }

    @post("/cgi-bin/message/subscribe/send", sync_to_thread=False, status_code=200)
    def subscribe_send(data: JSONBody[dict[str, Any]], access_token: FromQuery[str] = "") -> dict[str, Any]:
        appid, error = state.valid_token(access_token)
        if error:
            return error
        touser, template_id, payload = data.get("touser"), data.get("template_id"), data.get("data")
        if not isinstance(touser, str) or not touser.startswith("o"):
            return _err(40003, "invalid openid")
        if not isinstance(template_id, str) or not TEMPLATE_ID.match(template_id):
            return _err(40037, "invalid template_id")
        if not isinstance(payload, dict) or not payload or not all(
            isinstance(v, dict) and isinstance(v.get("value"), str) and len(v["value"]) <= 20 for v in payload.values()
        ):
            return _err(47003, "argument invalid! data.value invalid")
        with state.lock:
            remaining = state.grants.get((touser, template_id), 0)
            if remaining <= 0:
                return _err(43101, "user refuse to accept the msg")
            state.grants[(touser, template_id)] = remaining - 1
            state.sent.append({"appid": appid, **data, "sent_at": time.time()})
        return {"errcode": 0, "errmsg": "ok", "msgid": secrets.randbelow(10**12)}

    @post("/wxa/business/getuserphonenumber", sync_to_thread=False, status_code=200)
    def phone_number(data: JSONBody[dict[str, Any]], access_token: FromQuery[str] = "") -> dict[str, Any]:
        _appid, error = state.valid_token(access_token)
        if error:
            return error
        with state.lock:
            phone = state.phone_codes.pop(str(data.get("code", "")), None)
        if phone is None:
            return _err(40029, "invalid code")
        return {
            "errcode": 0,
            "errmsg": "ok",
            "phone_info": {"phoneNumber": phone, "purePhoneNumber": phone, "countryCode": "86",
                           "watermark": {"timestamp": int(time.time()), "appid": _appid}},
        }

    # ---- the phone's side --------------------------------------------------------------------

    @post("/_dev/login", sync_to_thread=False, status_code=200)
    def dev_login(data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
        """``wx.login()``: a one-time code for ``user`` (any stable string naming the WeChat user)."""
        appid = str(data.get("appid") or next(iter(state.apps)))
        user = str(data.get("user") or secrets.token_hex(8))
        code = secrets.token_urlsafe(24)
        with state.lock:
            state.codes[code] = (appid, user, time.time() + CODE_TTL, False)
        return {"code": code, "openid": state.openid_for(appid, user), "unionid": state.unionid_for(user)}

    @post("/_dev/subscribe", sync_to_thread=False, status_code=200)
    def dev_subscribe(data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
        key = (str(data["openid"]), str(data["template_id"]))
        with state.lock:
            state.grants[key] = state.grants.get(key, 0) + int(data.get("times", 1))
            return {"remaining": state.grants[key]}

    @post("/_dev/phone-code", sync_to_thread=False, status_code=200)
    def dev_phone_code(data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
        code = secrets.token_urlsafe(16)
        with state.lock:
            state.phone_codes[code] = str(data["phone"])
        return {"code": code}

    @get("/_dev/messages", sync_to_thread=False)
    def dev_messages(touser: FromQuery[str | None] = None) -> list[dict[str, Any]]:
        with state.lock:
            return [m for m in state.sent if touser is None or m.get("touser") == touser]

    return Router(
        path="/wechat",
        route_handlers=[token, jscode2session, subscribe_send, phone_number, dev_login, dev_subscribe,
                        dev_phone_code, dev_messages],
    )
