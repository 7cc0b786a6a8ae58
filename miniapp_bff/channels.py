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
from core.web.i18n import english_in, prefers_english
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
    mode = mode_of(connection.query_params.get("mode"), connection.headers.get("x-zhushida-mode"))
    return Screen(channel, prefers_english(connection), mode)


def mode_of(query_value: str | None, header_value: str | None) -> Mode:
    """``?mode=`` first, then ``X-Zhushida-Mode``; anything but ``elder`` is the standard mode."""
    return "elder" if (query_value or header_value or "").lower() == "elder" else "standard"


def raw_screen(channel: str, headers: list[tuple[bytes, bytes]], query_string: bytes) -> Screen:
    """:func:`screen_of` from an ASGI scope's raw parts (``channel`` already checked), for the
    home screen's cached answers, which are served before Litestar builds a Request."""
    language = mode_header = None
    for name, value in headers:  # the first of each, as Request.headers.get gives
        if name == b"accept-language" and language is None:
            language = value.decode("latin-1")
        elif name == b"x-zhushida-mode" and mode_header is None:
            mode_header = value.decode("latin-1")
    mode_query = None
    if query_string:
        from urllib.parse import parse_qsl

        mode_query = next((v for k, v in parse_qsl(query_string.decode("latin-1")) if k == "mode"), None)
    return Screen(channel, english_in(language or ""), mode_of(mode_query, mode_header))


def ensure_channel_matches(principal: Principal, channel: str) -> None:
    """A token issued to one client is not replayed from the other (a leaked mini-program token
    cannot drive the app's payment flow). Principals of other channels (web, terminal) are
    refused by the route guards already."""
    if principal.channel in CHANNELS and principal.channel != channel:
        raise CHANNEL_MISMATCH(details={"token_channel": principal.channel, "route_channel": channel})
