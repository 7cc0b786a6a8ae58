from __future__ import annotations

import pytest

from tests.payments.support import BOOK, register, sandbox


@pytest.fixture
async def fees(app, host, settings):
    """The test purpose, registered, with an empty fee book; sandbox keeps notifications for replay."""
    register(host)
    BOOK.reset()
    for path in ("/wechatpay/_dev/config", "/alipay/_dev/config"):
        assert (await sandbox(settings, "POST", path, json={"deliver": False, "reset": True})).status_code == 200
    yield BOOK
    BOOK.reset()
