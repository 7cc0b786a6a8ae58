"""Widgets that must be dropped: one hangs, one raises, one is not a Widget, one holds non-JSON."""

from __future__ import annotations

import asyncio

from core.hooks import Widget, hookimpl

ZHUSHIDA_CONTRACT = "1"


@hookimpl
def zhushida_home_widgets(user, region, channel):
    async def hangs():
        await asyncio.sleep(3600)

    return hangs()


class Raising:
    ZHUSHIDA_CONTRACT = "1"

    @staticmethod
    @hookimpl
    def zhushida_home_widgets(user):
        raise ConnectionError("department API down")


class NotAWidget:
    ZHUSHIDA_CONTRACT = "1"

    @staticmethod
    @hookimpl
    def zhushida_home_widgets(channel):
        return [{"key": "raw", "title": "a dict, not a Widget"}, Widget("ok", "可用", "Fine", {"n": 1}, order=50)]


class NotJson:
    ZHUSHIDA_CONTRACT = "1"

    @staticmethod
    @hookimpl
    def zhushida_home_widgets(user):
        return Widget("set", "集合", "Set", {"values": {1, 2}.__iter__()})
