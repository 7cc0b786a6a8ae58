"""HTTP routes of the message centre: list, read/unread, channel settings, WeChat grants.

A citizen sees only their own messages: the caller's own account, also when acting for a
relative (a proxy grant covers applications, not the grantor's inbox).
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from core.auth import principal_of, requires
from core.errors import BAD_REQUEST
from core.messages import api
from core.messages.config import messages_settings
from core.messages.kinds import all_kinds
from core.web.i18n import prefers_english

CITIZEN = requires("citizen")


class ReadBody(msgspec.Struct, forbid_unknown_fields=True):
    ids: list[int] | None = None


class GrantBody(msgspec.Struct, forbid_unknown_fields=True):
    accepted: dict[str, int]


def _me(request: Request) -> int:
    return principal_of(request).account_id


@get("/messages", guards=[CITIZEN], summary="The citizen's messages, newest first")
async def list_messages(
    request: Request, unread: FromQuery[bool] = False, before_id: FromQuery[int | None] = None,
    limit: FromQuery[int] = 20,
) -> dict[str, Any]:
    if not 1 <= limit <= messages_settings().max_page_size:
        raise BAD_REQUEST(details={"limit": f"1-{messages_settings().max_page_size}"})
    english = prefers_english(request)
    rows = await api.list_messages(_me(request), unread_only=unread, limit=limit, before_id=before_id)
    return {
        "items": [api.message_view(m, english=english) for m in rows],
        "unread": await api.unread_count(_me(request)),
        "next_before_id": rows[-1].id if len(rows) == limit else None,
    }


@get("/messages/unread-count", guards=[CITIZEN], summary="How many messages are unread")
async def unread_count(request: Request) -> dict[str, int]:
    return {"unread": await api.unread_count(_me(request))}


@get("/messages/{message_id:int}", guards=[CITIZEN], summary="One message (marks it read)")
async def message_detail(request: Request, message_id: FromPath[int]) -> dict[str, Any]:
    message = await api.get_message(_me(request), message_id)
    await api.mark_read(_me(request), [message.id])
    await message.refresh_from_db()
    return api.message_view(message, english=prefers_english(request))


@post("/messages/read", guards=[CITIZEN], status_code=200, summary="Mark messages read (all when no ids)")
async def mark_read(request: Request, data: JSONBody[ReadBody]) -> dict[str, int]:
    changed = await api.mark_read(_me(request), data.ids)
    return {"marked": changed, "unread": await api.unread_count(_me(request))}


@get("/messages/settings", guards=[CITIZEN], summary="Channel settings per message kind")
async def get_settings(request: Request) -> dict[str, Any]:
    chosen = await api.channel_settings(_me(request))
    return {
        "settings": chosen,
        "kinds": [{"kind": k.code, "title": k.title, "sms_default": k.sms,
                   "effective": await api.effective_channels(_me(request), k.code)} for k in all_kinds()],
    }


@put("/messages/settings", guards=[CITIZEN], summary="Choose WeChat/SMS per kind (\"*\" = every kind)")
async def put_settings(request: Request, data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
    return {"settings": await api.set_channel_settings(_me(request), data)}


@get("/messages/wechat-templates", guards=[CITIZEN],
     summary="Template ids to ask for with wx.requestSubscribeMessage, and the grants left")
async def wechat_templates(request: Request) -> dict[str, Any]:
    return {"templates": api.template_ids(), "remaining": await api.wechat_grants(_me(request))}


@post("/messages/wechat-grants", guards=[CITIZEN], status_code=200,
      summary="Record the templates the user accepted in wx.requestSubscribeMessage")
async def wechat_grants(request: Request, data: JSONBody[GrantBody]) -> dict[str, Any]:
    return {"remaining": await api.add_wechat_grants(_me(request), data.accepted)}


def all_route_handlers() -> list:
    return [list_messages, unread_count, message_detail, mark_read, get_settings, put_settings,
            wechat_templates, wechat_grants]
