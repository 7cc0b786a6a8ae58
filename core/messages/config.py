"""Message-centre settings (prefix ``ZHUSHIDA_MESSAGES_``), documented in docs/messages.md."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class MessagesSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ZHUSHIDA_MESSAGES_", extra="ignore")

    # Subscribe-message template ids per template key, as approved in the mini-program console.
    # Each template's keywords: case_status = thing1 事项, phrase2 状态, character_string3 办件号,
    # time4 时间, thing5 备注; certificate = thing1 证照, phrase2 状态, time3 时间;
    # evaluation = thing1 标题, phrase2 状态, thing3 说明; notice = thing1 标题, thing2 内容, time3 时间.
    wechat_templates: dict[str, str] = Field(default_factory=lambda: {
        "case_status": "TPL_case_status_01",
        "certificate": "TPL_certificate_01",
        "evaluation": "TPL_evaluation_01",
        "notice": "TPL_notice_01",
    })
    # The mini-program page a subscribe message opens.
    wechat_page: str = "pages/messages/detail"
    max_page_size: int = 100


@lru_cache(maxsize=1)
def messages_settings() -> MessagesSettings:
    return MessagesSettings()
