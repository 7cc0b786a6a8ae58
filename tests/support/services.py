"""Which backend this test process runs on, and whether its services answer."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse


def backend() -> str:
    return "services" if (os.environ.get("ZHUSHIDA_DATABASE_URL") or "").startswith("postgres") else "embedded"


def unreachable_services() -> list[str]:
    missing = []
    for var in ("ZHUSHIDA_DATABASE_URL", "ZHUSHIDA_REDIS_URL", "ZHUSHIDA_BROKER_URL"):
        url = os.environ.get(var)
        if not url or url.startswith("sqlite"):
            continue
        parsed = urlparse(url)
        try:
            with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 0), timeout=2):
                pass
        except OSError as exc:
            missing.append(f"{var} ({parsed.hostname}:{parsed.port}): {exc}")
    return missing
