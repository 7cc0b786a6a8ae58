"""HTTP routes of the BFF: ``/bff/{channel}/...`` with ``channel`` ``miniapp`` or ``app``.

Handlers stay thin: they resolve the caller and the screen shape, call this package's screen
builders (which call the other areas' public APIs and the plugin host), and answer JSON — with an
ETag where the body may be reused, ``no-store`` where it must not (tokens, payment parameters,
QR codes). Every route but sign-in and catalogue browsing needs a citizen token of the same
channel. See docs/bff.md.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.params import FromPath, JSONBody
from litestar.types import ASGIApp

from core import errors
from core.auth import requires
from miniapp_bff import (
    account,
    cases_screens,
    catalogue,
    delivery_choice,
    payment,
    services,
    wallet,
)
from miniapp_bff.channels import check_channel, screen_of
from miniapp_bff.context import citizen, subject_region
from miniapp_bff.errors import NO_HOME_REGION
from miniapp_bff.home_cache import home_answer, serve_kept
from miniapp_bff.http_cache import json_response, no_store
from miniapp_bff.idempotency import key_of, once
from miniapp_bff.paging import page_of

_citizen_only = requires("citizen")


async def _citizen_guard(connection: Any, handler: Any) -> None:
    # The same check as core.auth.requires("citizen"), as a coroutine: Litestar runs a plain
    # function guard in a worker thread (anyio.to_thread), a thread hop on every request.
    _citizen_only(connection, handler)


CITIZEN = [_citizen_guard]

WRONG_CHANNEL_FOR_LOGIN = errors.define(
    "bff.login_fields", 400,
    "登录信息不完整：小程序请提供 code，App 请提供 phone 和 sms_code",
    "Incomplete sign-in: the mini-program sends code, the app sends phone and sms_code",
)
NOT_ON_CHANNEL = errors.define(
    "bff.not_on_channel", 404, "当前客户端不提供此功能", "This feature is not offered on this client",
)
CASE_STATUSES = ("all", "open", "action", "done")


class LoginBody(msgspec.Struct, forbid_unknown_fields=True):
    code: str | None = None  # mini-program: the wx.login code
    phone: str | None = None  # app
    sms_code: str | None = None  # app


class SmsCodeBody(msgspec.Struct, forbid_unknown_fields=True):
    phone: str


class ActForBody(msgspec.Struct, forbid_unknown_fields=True):
    grant_id: int


class ApplyBody(msgspec.Struct, forbid_unknown_fields=True):
    item_code: str | None = None
    bundle_code: str | None = None
    form: dict[str, Any] = msgspec.field(default_factory=dict)
    materials: dict[str, Any] | None = None
    delivery: dict[str, Any] | None = None


class CaseActionBody(msgspec.Struct, forbid_unknown_fields=True):
    form: dict[str, Any] | None = None
    materials: dict[str, Any] | None = None
    comment: str = ""


class NewAddress(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    phone: str
    region_code: str
    detail: str
    label: str = ""


class DeliveryBody(msgspec.Struct, forbid_unknown_fields=True):
    method: str  # "window" | "electronic" | "courier"
    courier: str | None = None  # courier: a code from GET /delivery/couriers
    address_id: int | None = None  # courier: a saved address ...
    address: NewAddress | None = None  # ... or a new one (saved to the address book)


class RateBody(msgspec.Struct, forbid_unknown_fields=True):
    level: int  # 1 非常满意 .. 5 非常不满意 (national 好差评 scale; 4-5 need a reason)
    comment: str = ""
    tags: list[str] = msgspec.field(default_factory=list)


class PayBody(msgspec.Struct, forbid_unknown_fields=True):
    method: str  # "wechat" | "alipay" | "card"


class TopupBody(msgspec.Struct, forbid_unknown_fields=True):
    amount_fen: int
    method: str  # "wechat" | "alipay"


class ShowBody(msgspec.Struct, forbid_unknown_fields=True):
    fields: list[str] | None = None
    ttl_seconds: int | None = None


class ReadBody(msgspec.Struct, forbid_unknown_fields=True):
    ids: list[int] | None = None


class SubscriptionsBody(msgspec.Struct, forbid_unknown_fields=True):
    settings: dict[str, Any] | None = None
    wechat_accepted: dict[str, int] | None = None


def _client_key(*parts: object) -> str:
    """The payment platform's idempotency key (8-64 safe characters) for one tap's intent."""
    import hashlib

    return "bff-" + hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=20).hexdigest()


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "127.0.0.1"


def _region_param(request: Request) -> str | None:
    from core.catalogue.enablement import normalise_region

    raw = request.query_params.get("region")
    return normalise_region(raw) if raw else None


async def _browse_region(request: Request, channel: str) -> tuple[str, int]:
    """Signed-in callers browse their (or their grantor's) region; anyone may browse a region
    named with ``?region=`` (the mini-program shows services before sign-in)."""
    explicit = _region_param(request)
    if request.scope.get("user") is not None:
        principal, _ = citizen(request, channel)
        region = explicit or await subject_region(principal)
        if region is None:
            raise NO_HOME_REGION()
        return region, principal.subject_id
    if explicit is None:
        raise NO_HOME_REGION(details={"hint": "sign in, or pass ?region=<12-digit code>"})
    return explicit, 0


class SessionController(Controller):
    path = "/bff/{channel:str}"
    tags = ["BFF: sign-in and me"]

    @post("/login", status_code=200, summary="Sign in: mini-program {code} (wx.login), app {phone, sms_code}")
    async def login(self, request: Request, channel: FromPath[str], data: JSONBody[LoginBody]) -> Response:
        screen = screen_of(request, channel)
        if screen.channel == "miniapp":
            if not data.code:
                raise WRONG_CHANNEL_FOR_LOGIN()
            _account, pair, created = await account.login_miniapp(data.code)
        else:
            if not (data.phone and data.sms_code):
                raise WRONG_CHANNEL_FOR_LOGIN()
            _account, pair, created = await account.login_app(data.phone, data.sms_code)
        principal = await account.principal_of_token(pair.access_token)
        body = {**pair.as_dict(), "created": created, "me": await account.me_screen(principal, screen)}
        return no_store(request, body)

    @post("/sms-code", status_code=200, summary="App: send the sign-in SMS code")
    async def sms_code(self, request: Request, channel: FromPath[str], data: JSONBody[SmsCodeBody]) -> Response:
        if check_channel(channel) != "app":
            raise NOT_ON_CHANNEL(details={"hint": "the mini-program signs in with wx.login"})
        return no_store(request, await account.send_login_code(data.phone, _client_ip(request)))

    @get("/me", guards=CITIZEN, summary="Who am I: level, home region, relatives I may act for")
    async def me(self, request: Request, channel: FromPath[str]) -> Response:
        principal, screen = citizen(request, channel)
        return json_response(request, await account.me_screen(principal, screen))

    @post("/act-for", guards=CITIZEN, status_code=200,
          summary="Act for a relative (亲友代办): a separate token pair; keep your own to switch back")
    async def act_for(self, request: Request, channel: FromPath[str], data: JSONBody[ActForBody]) -> Response:
        principal, screen = citizen(request, channel)
        pair = await account.act_for(principal, data.grant_id)
        acting = await account.principal_of_token(pair.access_token)
        return no_store(request, {**pair.as_dict(), "me": await account.me_screen(acting, screen)})


class ScreensController(Controller):
    path = "/bff/{channel:str}"
    tags = ["BFF: home and catalogue"]

    @get("/home", guards=CITIZEN, middleware=[serve_kept],
         summary="Home: services, card, cases needing me, messages, widgets")
    async def home(self, request: Request, channel: FromPath[str]) -> ASGIApp:
        # Kept in this process until something on it changes (miniapp_bff.home_cache); a kept
        # answer is sent by serve_kept before this handler runs.
        principal, screen = citizen(request, channel)
        return (await home_answer(principal, screen, request.app.state.host)).answer(request)

    @get("/catalogue", summary="Catalogue of the caller's (or ?region=) region on this channel")
    async def catalogue_view(self, request: Request, channel: FromPath[str]) -> Response:
        screen = screen_of(request, channel)
        region, account_id = await _browse_region(request, channel)
        body = await catalogue.catalogue_screen(account_id, region, screen)
        body["region_code"] = region
        return json_response(request, body, max_age=60 if account_id == 0 else 0, public=account_id == 0)

    @get("/search", summary="Search the catalogue (name, keyword, department, pinyin initials)")
    async def search(self, request: Request, channel: FromPath[str]) -> Response:
        screen = screen_of(request, channel)
        page = page_of(request)
        region, _ = await _browse_region(request, channel)
        entries = await catalogue.offer(region, screen.channel, screen.english)
        body: dict[str, Any] = page.slice(catalogue.search(entries, request.query_params.get("q", "")))
        body["region_code"] = region
        return json_response(request, body)

    @get("/services/{code:str}", guards=CITIZEN,
         summary="Service (or bundle) detail: elements, prefilled form, materials covered by my certificates")
    async def service(self, request: Request, channel: FromPath[str], code: FromPath[str]) -> Response:
        principal, screen = citizen(request, channel)
        region = await subject_region(principal)
        return json_response(request, await services.service_screen(principal, region, code, screen))


class CasesController(Controller):
    path = "/bff/{channel:str}"
    tags = ["BFF: apply, track, pay"]

    @post("/apply", guards=CITIZEN, status_code=201, summary="Apply for an item or a bundle (Idempotency-Key honoured)")
    async def apply(self, request: Request, channel: FromPath[str], data: JSONBody[ApplyBody]) -> Response:
        principal, screen = citizen(request, channel)
        region = await subject_region(principal)
        body = msgspec.structs.asdict(data)
        answer, replayed = await once(principal, "apply", key_of(request),
                                      lambda: cases_screens.apply(principal, region, screen, body))
        return no_store(request, {**answer, "replayed": replayed}, status_code=200 if replayed else 201)

    @get("/cases", guards=CITIZEN, summary="My cases (?status=all|open|action|done, paged)")
    async def cases(self, request: Request, channel: FromPath[str]) -> Response:
        principal, screen = citizen(request, channel)
        status = request.query_params.get("status", "all")
        if status not in CASE_STATUSES:
            raise errors.BAD_REQUEST(details={"status": status[:20], "allowed": list(CASE_STATUSES)})
        return json_response(request, await cases_screens.list_cases(principal, screen, page_of(request), status))

    @get("/cases/{case_id:int}", guards=CITIZEN, summary="One case with its timeline (进度)")
    async def case(self, request: Request, channel: FromPath[str], case_id: FromPath[int]) -> Response:
        principal, screen = citizen(request, channel)
        return json_response(request, await cases_screens.case_screen(principal, case_id, screen))

    @post("/cases/{case_id:int}/{action:str}", guards=CITIZEN, status_code=200,
          summary="Applicant action: resubmit (补正), supply (容缺材料), withdraw (撤回), close (确认办结)")
    async def case_action(self, request: Request, channel: FromPath[str], case_id: FromPath[int], action: FromPath[str],
                          data: JSONBody[CaseActionBody]) -> Response:
        principal, screen = citizen(request, channel)
        if action == "pay":
            raise errors.BAD_REQUEST(details={"hint": "POST /bff/{channel}/pay/case/{id}"})
        payload = {k: v for k, v in (("form", data.form), ("materials", data.materials)) if v is not None}
        answer, _ = await once(principal, f"case:{case_id}:{action}", key_of(request),
                               lambda: cases_screens.act(principal, case_id, action, screen, payload, data.comment))
        return no_store(request, answer)

    @post("/cases/{case_id:int}/delivery", guards=CITIZEN, status_code=200,
          summary="Choose how the result reaches me: window, electronic, or courier to an address (送达方式)")
    async def delivery(self, request: Request, channel: FromPath[str], case_id: FromPath[int],
                       data: JSONBody[DeliveryBody]) -> Response:
        principal, screen = citizen(request, channel)
        address = msgspec.structs.asdict(data.address) if data.address is not None else None
        answer, _ = await once(principal, f"case:{case_id}:delivery", key_of(request), lambda: delivery_choice.choose(
            principal, case_id, screen, data.method, courier=data.courier, address_id=data.address_id, address=address))
        return no_store(request, answer)

    @post("/rate/{case_id:int}", guards=CITIZEN, status_code=201, summary="Rate a finished case (好差评)")
    async def rate(self, request: Request, channel: FromPath[str], case_id: FromPath[int], data: JSONBody[RateBody]) -> Response:
        principal, screen = citizen(request, channel)
        answer = await cases_screens.rate(principal, case_id, screen, data.level, data.comment, data.tags)
        return no_store(request, answer, status_code=201)

    @get("/bundles/{bundle_id:int}", guards=CITIZEN, summary="One bundle application: combined status, child cases")
    async def bundle(self, request: Request, channel: FromPath[str], bundle_id: FromPath[int]) -> Response:
        from core.cases import bundles

        principal, screen = citizen(request, channel)
        return json_response(request, cases_screens.bundle_card(await bundles.bundle_view(bundle_id, principal), screen))

    @post("/pay/{kind:str}/{ref:str}", guards=CITIZEN, status_code=200,
          summary="Pay a case, bundle or courier fee: wx.requestPayment params (mini-program), app-pay params, or card wallet")
    async def pay(self, request: Request, channel: FromPath[str], kind: FromPath[str], ref: FromPath[str], data: JSONBody[PayBody]) -> Response:
        principal, screen = citizen(request, channel)
        key = key_of(request)
        client_key = _client_key(principal.account_id, kind, ref, key or data.method)
        answer, replayed = await once(principal, f"pay:{kind}:{ref[:40]}", key, lambda: payment.pay(
            principal, screen, kind, ref, data.method, client_key=client_key, client_ip=_client_ip(request)))
        return no_store(request, {**answer, "replayed": replayed})

    @get("/orders/{order_no:str}", guards=CITIZEN, summary="Payment state of an order (poll after paying)")
    async def order(self, request: Request, channel: FromPath[str], order_no: FromPath[str]) -> Response:
        principal, _ = citizen(request, channel)
        return no_store(request, await payment.order_status(principal, order_no))


class WalletController(Controller):
    path = "/bff/{channel:str}"
    tags = ["BFF: card, certificates, messages, my data"]

    @get("/card", guards=CITIZEN, summary="Citizen card with a fresh dynamic payment QR (?image=svg|png)")
    async def card(self, request: Request, channel: FromPath[str]) -> Response:
        principal, screen = citizen(request, channel)
        summary = await wallet.card_summary(principal, screen)
        if summary is None or not summary.get("has_card"):
            return no_store(request, {"card": summary, "qr": None})
        qr = await wallet.card_qr(principal, request.query_params.get("image")) if summary["state"] == "active" else None
        return no_store(request, {"card": summary, "qr": qr})

    @post("/card/qr", guards=CITIZEN, status_code=200, summary="Refresh the dynamic payment QR")
    async def card_qr(self, request: Request, channel: FromPath[str]) -> Response:
        principal, _ = citizen(request, channel)
        return no_store(request, await wallet.card_qr(principal, request.query_params.get("image")))

    @post("/card/topup", guards=CITIZEN, status_code=200,
          summary="Top up my card (充值): wx.requestPayment / app-pay parameters; credited on the verified notification")
    async def card_topup(self, request: Request, channel: FromPath[str], data: JSONBody[TopupBody]) -> Response:
        import secrets

        principal, screen = citizen(request, channel)
        key = key_of(request)
        nonce = (key or secrets.token_hex(12)).replace("-", "_")
        answer, replayed = await once(principal, "topup", key, lambda: payment.topup(
            principal, screen, data.amount_fen, data.method, nonce=nonce, client_ip=_client_ip(request)))
        return no_store(request, {**answer, "replayed": replayed})

    @get("/certificates", guards=CITIZEN, summary="E-certificate wallet (证照夹)")
    async def certificates(self, request: Request, channel: FromPath[str]) -> Response:
        principal, screen = citizen(request, channel)
        return json_response(request, await wallet.certificates_screen(principal, screen))

    @post("/certificates/{cert_id:int}/show", guards=CITIZEN, status_code=200,
          summary="亮证: a short-lived signed QR with only the chosen fields")
    async def show(self, request: Request, channel: FromPath[str], cert_id: FromPath[int], data: JSONBody[ShowBody]) -> Response:
        principal, _ = citizen(request, channel)
        return no_store(request, await wallet.show_certificate(principal, cert_id, data.fields, data.ttl_seconds))

    @get("/messages", guards=CITIZEN, summary="Messages, newest first (paged; ?unread=1)")
    async def messages(self, request: Request, channel: FromPath[str]) -> Response:
        principal, screen = citizen(request, channel)
        unread = request.query_params.get("unread") in ("1", "true")
        return json_response(request, await wallet.messages_screen(principal, screen, page_of(request), unread))

    @post("/messages/read", guards=CITIZEN, status_code=200, summary="Mark messages read (all when no ids)")
    async def read(self, request: Request, channel: FromPath[str], data: JSONBody[ReadBody]) -> Response:
        principal, _ = citizen(request, channel)
        return no_store(request, await wallet.mark_read(principal, data.ids))

    @get("/subscriptions", guards=CITIZEN, summary="Message channel settings (+ subscribe templates in the mini-program)")
    async def subscriptions(self, request: Request, channel: FromPath[str]) -> Response:
        principal, screen = citizen(request, channel)
        return json_response(request, await wallet.subscriptions(principal, screen))

    @put("/subscriptions", guards=CITIZEN, summary="Save settings and/or templates accepted in wx.requestSubscribeMessage")
    async def set_subscriptions(self, request: Request, channel: FromPath[str], data: JSONBody[SubscriptionsBody]) -> Response:
        principal, screen = citizen(request, channel)
        return no_store(request, await wallet.set_subscriptions(principal, screen, data.settings, data.wechat_accepted))

    @get("/access-log", guards=CITIZEN, summary="Who read my personal data, when and why (paged)")
    async def access_log(self, request: Request, channel: FromPath[str]) -> Response:
        principal, _ = citizen(request, channel)
        return json_response(request, await wallet.access_log_screen(principal, page_of(request)))


ROUTES = [SessionController, ScreensController, CasesController, WalletController]
