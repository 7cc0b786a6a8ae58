"""Redirect a provider SDK's ``requests`` session to the sandbox, in one place.

SDKs spread their base URLs over class attributes and hard-coded strings; rewriting the host at
the transport is the one seam they all share. The SDK still builds, signs and parses every call.
"""

from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter


class RedirectAdapter(HTTPAdapter):
    def __init__(self, real_base: str, sandbox_base: str) -> None:
        super().__init__()
        self.real_base = real_base.rstrip("/")
        self.sandbox_base = sandbox_base.rstrip("/")

    def send(self, request: requests.PreparedRequest, *args, **kwargs):  # type: ignore[override]
        if request.url and request.url.startswith(self.real_base):
            request.url = self.sandbox_base + request.url[len(self.real_base):]
        return super().send(request, *args, **kwargs)


def redirect_session(session: requests.Session, real_base: str, sandbox_base: str) -> None:
    session.mount(real_base.rstrip("/") + "/", RedirectAdapter(real_base, sandbox_base))
