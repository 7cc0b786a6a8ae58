"""Where material files live: a small interface, a local-directory implementation (default,
under ``ZHUSHIDA_VAR_DIR/uploads``) and an S3-compatible one (:mod:`core.cases.s3`) when
``ZHUSHIDA_UPLOADS_S3_ENDPOINT`` is set; ``set_storage`` installs any other implementation.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Protocol


class Storage(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes: ...

    async def delete(self, key: str) -> None: ...


class LocalStorage:
    """Files under one root directory; keys are relative paths (never absolute, never ``..``)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError("storage key escapes the root")
        return path

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".part")
            tmp.write_bytes(data)
            os.replace(tmp, path)  # readers never see half a file

        await asyncio.to_thread(write)

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._path(key).read_bytes)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, True)


_storage: Storage | None = None


def get_storage() -> Storage:
    global _storage
    if _storage is None:
        from core.cases.s3 import S3Settings, S3Storage
        from core.settings import get_settings

        s3 = S3Settings()
        _storage = S3Storage.from_settings(s3) if s3.endpoint else LocalStorage(get_settings().var_dir / "uploads")
    return _storage


def set_storage(storage: Storage | None) -> None:
    """Install another implementation (an S3-compatible client, a test directory)."""
    global _storage
    _storage = storage
