"""Settings from the environment (prefix ``ZHUSHIDA_``); see docs/configuration.md for the table.

The embedded default needs nothing set: SQLite under ``./var/``, in-memory stores, tasks in
process, sandbox gateways mounted. Production (``ZHUSHIDA_ENV=production``) refuses to start
without explicit secrets.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class ConfigurationError(RuntimeError):
    """A setting is missing or wrong; the CLI prints its message as one line and exits."""


def _split_names(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ZHUSHIDA_", extra="ignore")

    env: Literal["embedded", "production"] = "embedded"
    var_dir: Path = Path("var")
    database_url: str | None = None
    redis_url: str | None = None
    broker_url: str | None = None
    result_backend: str | None = None
    # Signing key for tokens and sandbox secrets (str, >= 32 chars).
    secret_key: SecretStr | None = None
    # PII encryption keys: "kid:base64key,kid2:base64key"; the first one encrypts, all decrypt.
    data_keys: SecretStr | None = None
    plugins_disabled: Annotated[list[str], NoDecode] = Field(default_factory=list)
    sandbox: bool | None = None
    sandbox_url: str | None = None
    public_url: str = "http://127.0.0.1:8000"
    max_body_bytes: int = 2 * 1024 * 1024
    plugin_timeout_seconds: float = 2.0
    # The longest the home screen (首页) waits for any one section or plugin widget; a late one is
    # left out and named in ``degraded``. Never above plugin_timeout_seconds for widgets.
    home_budget_seconds: float = Field(default=0.5, gt=0)
    log_level: str = "INFO"
    log_json: bool = False
    timezone: str = "Asia/Shanghai"
    # WeChat mini-program credentials (the sandbox accepts the embedded defaults).
    wechat_appid: str = "wx_sandbox_app"
    wechat_secret: SecretStr = SecretStr("sandbox-secret")

    _split = field_validator("plugins_disabled", mode="before")(_split_names)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def sandbox_enabled(self) -> bool:
        return (not self.is_production) if self.sandbox is None else self.sandbox

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite://{(self.var_dir / 'zhushida.sqlite3').as_posix()}"

    @property
    def effective_sandbox_url(self) -> str:
        return (self.sandbox_url or f"{self.public_url}/sandbox").rstrip("/")

    @property
    def effective_result_backend(self) -> str | None:
        return self.result_backend or self.redis_url

    def ensure_secrets(self) -> Settings:
        """Fill missing secrets: generated once under var/ when embedded, refused in production."""
        if self.secret_key and self.data_keys:
            _check_data_keys(self.data_keys.get_secret_value())
            return self
        if self.is_production:
            missing = [
                name
                for name, value in (("ZHUSHIDA_SECRET_KEY", self.secret_key), ("ZHUSHIDA_DATA_KEYS", self.data_keys))
                if not value
            ]
            raise ConfigurationError(
                f"production start refused: set {' and '.join(missing)} (see docs/configuration.md)"
            )
        stored = _load_or_create_local_secrets(self.var_dir)
        update = {}
        if not self.secret_key:
            update["secret_key"] = SecretStr(stored["secret_key"])
        if not self.data_keys:
            update["data_keys"] = SecretStr(stored["data_keys"])
        return self.model_copy(update=update)


def _check_data_keys(raw: str) -> None:
    for part in raw.split(","):
        kid, _, b64 = part.strip().partition(":")
        try:
            key = base64.b64decode(b64, validate=True)
        except ValueError:
            key = b""
        if not kid or len(key) != 32:
            raise ConfigurationError(
                "ZHUSHIDA_DATA_KEYS must be 'kid:base64(32 bytes)[,kid:base64...]'"
            )


def _load_or_create_local_secrets(var_dir: Path) -> dict[str, str]:
    path = var_dir / "secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    var_dir.mkdir(parents=True, exist_ok=True)
    data = {
        "secret_key": secrets.token_urlsafe(48),
        "data_keys": "k1:" + base64.b64encode(os.urandom(32)).decode(),
    }
    # Written once, readable by the owner only; never committed (var/ is ignored).
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh)
    return data


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings().ensure_secrets()
