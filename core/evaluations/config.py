"""好差评 settings (prefix ``ZHUSHIDA_EVALUATIONS_``): local rules differ, so they are configuration.

Defaults follow the common practice the national rules leave to provinces: a bad rating is
rectified within 5 working days (Dezhou; Sichuan allows 15), an unrated finished case counts as
满意 (level 2) after 5 working days (Guangdong: 基本满意 after 7 days — set level 3, 7, "days").
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class EvaluationsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ZHUSHIDA_EVALUATIONS_", extra="ignore")

    rectification_workdays: int = Field(5, ge=1, le=60)
    default_level: int = Field(2, ge=1, le=5)
    default_after: int = Field(5, ge=1, le=90)
    default_after_unit: Literal["workdays", "days"] = "workdays"
    # How often the periodic task looks for unrated finished cases.
    default_check_seconds: float = Field(900.0, gt=0)
    # A department may appeal a rating within this many working days of it.
    appeal_workdays: int = Field(5, ge=1, le=60)


@lru_cache(maxsize=1)
def evaluations_settings() -> EvaluationsSettings:
    return EvaluationsSettings()
