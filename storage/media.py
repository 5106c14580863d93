"""Content-addressed media store (sha256 keys); local files now, S3-compatible later."""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from pathlib import Path
from typing import Protocol


class MediaStore(Protocol):
    async def put(self, data: bytes) -> str: ...
    async def get(self, key: str) -> bytes: ...
    async def delete(self, key: str) -> None: ...
    async def exists(self, key: str) -> bool: ...


def content_key(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class LocalMediaStore:
    """Files under `root/ab/cd/<sha256>.jpg`; the same bytes stored twice are stored once."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        if len(key) != 64 or not all(c in "0123456789abcdef" for c in key):
            raise ValueError("bad media key")
        return self.root / key[:2] / key[2:4] / f"{key}.jpg"

    async def put(self, data: bytes) -> str:
        key = content_key(data)
        await asyncio.to_thread(self._write, key, data)
        return key

    def _write(self, key: str, data: bytes) -> None:
        target = self.path(key)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".tmp{os.getpid()}.{uuid.uuid4().hex}")
        tmp.write_bytes(data)
        os.replace(tmp, target)

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self.path(key).read_bytes)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.path(key).unlink, True)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self.path(key).exists)
