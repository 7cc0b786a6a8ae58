"""Helpers for identity tests: read the sandbox SMS outbox, play wx.login, play the face SDK."""

from __future__ import annotations

import httpx
import pytest


class Phone:
    """The citizen's phone: receives SMS from the sandbox gateway, runs the WeChat and face SDKs."""

    def __init__(self, sandbox: str) -> None:
        self.sandbox = sandbox

    async def last_code(self, phone: str) -> str:
        async with httpx.AsyncClient() as c:
            messages = (
                await c.get(f"{self.sandbox}/sms/_dev/outbox", params={"phone": phone})
            ).json()
        assert messages, f"no SMS reached {phone}"
        return messages[-1]["params"]["code"]

    async def outbox(self, phone: str) -> list[dict]:
        async with httpx.AsyncClient() as c:
            return (await c.get(f"{self.sandbox}/sms/_dev/outbox", params={"phone": phone})).json()

    async def wx_login(self, user: str) -> dict:
        async with httpx.AsyncClient() as c:
            return (await c.post(f"{self.sandbox}/wechat/_dev/login", json={"user": user})).json()

    async def wx_phone_code(self, phone: str) -> str:
        async with httpx.AsyncClient() as c:
            return (
                await c.post(f"{self.sandbox}/wechat/_dev/phone-code", json={"phone": phone})
            ).json()["code"]

    async def face(self, certify_id: str, outcome: str = "pass") -> dict:
        async with httpx.AsyncClient() as c:
            return (
                await c.post(
                    f"{self.sandbox}/face/_dev/perform",
                    json={"certify_id": certify_id, "outcome": outcome},
                )
            ).json()


@pytest.fixture
def phone(sandbox_server) -> Phone:
    from core.integrations.wechat import reset_clients

    reset_clients()
    return Phone(sandbox_server)


async def sms_login(client: httpx.AsyncClient, phone: Phone, number: str) -> dict:
    sent = await client.post("/identity/sms/send", json={"phone": number})
    assert sent.status_code == 200, sent.text
    code = await phone.last_code(number)
    response = await client.post("/identity/login/sms", json={"phone": number, "code": code})
    assert response.status_code == 200, response.text
    return response.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
