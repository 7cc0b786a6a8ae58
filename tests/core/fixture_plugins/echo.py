"""A well-behaved service plugin used by the foundation tests: a typed route and a widget."""

from __future__ import annotations

import asyncio

import msgspec
from litestar import post
from litestar.params import JSONBody

from core.errors import define
from core.hooks import Routes, Widget, hookimpl

ZHUSHIDA_CONTRACT = "1.0"

ECHO_REFUSED = define("echo.refused", 422, "回声拒绝了这个词", "The echo refuses this word")


class EchoIn(msgspec.Struct, forbid_unknown_fields=True):
    word: str
    times: int = 1


@post("/echo", sync_to_thread=False)
def echo(data: JSONBody[EchoIn]) -> dict:
    if data.word == "no":
        raise ECHO_REFUSED(details={"word": data.word})
    return {"echo": [data.word] * data.times}


@hookimpl
def zhushida_routes(settings):
    return Routes([echo])


@hookimpl
def zhushida_home_widgets(user, channel):
    async def widget():
        await asyncio.sleep(0)
        return Widget("echo", "回声", "Echo", {"channel": channel})

    return widget()
