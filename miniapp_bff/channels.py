"""The two client channels the BFF serves and the display modes of their screens.

Every BFF route lives under ``/bff/{channel}/...`` with ``channel`` one of :data:`CHANNELS`:

* ``miniapp`` — the WeChat mini-program: ``wx.login`` code login, ``wx.requestPayment``
  parameters, subscribe messages;
* ``app`` — the mobile app: phone + SMS code login, app-pay parameters.

The elder mode (长辈版) is a display mode of either channel, asked for with ``?mode=elder`` or the
header ``X-Zhushida-Mode: elder``: fewer, larger-grained entries and no secondary sections.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from litestar.connection import ASGIConnection

from core.auth import Principal
from core.web.i18n import prefers_english
from miniapp_bff.errors import CHANNEL_MISMATCH, UNKNOWN_CHANNEL

CHANNELS: tuple[str, ...] = ("miniapp", "app")
Mode = Literal["standard", "elder"]


@dataclass(frozen=True, slots=True)
class Screen:
    """What every BFF handler needs to shape an answer: channel, language, display mode."""

    channel: str
    english: bool
    mode: Mode = "standard"

    @property
    def lang(self) -> str:
        return "en" if self.english else "zh"

    @property
    def elder(self) -> bool:
        return self.mode == "elder"

    def text(self, zh: str, en: str | None) -> str:
        """The string in the screen's language; Chinese when no English exists."""
        return (en or zh) if self.english else zh


def check_channel(channel: str) -> str:
    if channel not in CHANNELS:
        raise UNKNOWN_CHANNEL(details={"channel": channel[:20], "channels": list(CHANNELS)})
    return channel


def screen_of(connection: ASGIConnection, channel: str) -> Screen:
    check_channel(channel)
    mode = (connection.query_params.get("mode") or connection.headers.get("x-zhushida-mode") or "").lower()
    return Screen(channel, prefers_english(connection), "elder" if mode == "elder" else "standard")


def ensure_channel_matches(principal: Principal, channel: str) -> None:
    """A token issued to one client is not replayed from the other (a leaked mini-program token
    cannot drive the app's payment flow). Principals of other channels (web, terminal) are
    refused by the route guards already."""
    if principal.channel in CHANNELS and principal.channel != channel:
        raise CHANNEL_MISMATCH(details={"token_channel": principal.channel, "route_channel": channel})
