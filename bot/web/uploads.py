"""Photo uploads from the page: streamed to short-lived files, fetched by the core like any channel's photo."""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, MultipartReader

from handlers.types import PhotoRef
from storage.images import MAX_INPUT_BYTES, BadImage

log = logging.getLogger(__name__)

IMAGE_MIME = {"image/jpeg", "image/png", "image/webp"}
MAX_FILES = 10
MAX_REQUEST_BYTES = 100 * 1024 * 1024
CHUNK = 256 * 1024
STALE_SECONDS = 24 * 3600
_REF = re.compile(r"^up:[0-9a-f]{32}$")


class TooLarge(Exception):
    """The whole request is over the limit (answered with HTTP 413)."""


class Uploads:
    """Raw uploads live under `root` only until the turn that ingests them (which strips EXIF) is over."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, ref: str) -> Path:
        if not _REF.match(ref):
            raise BadImage("not an upload reference")
        return self.root / ref[3:]

    async def receive(self, reader: MultipartReader) -> list[dict[str, Any]]:
        """Store every `photo` part; an over-size or non-image part becomes a marker the core rejects."""
        await asyncio.to_thread(self.root.mkdir, parents=True, exist_ok=True)
        files: list[dict[str, Any]] = []
        total = 0
        try:
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader) or part.name != "photo":
                    continue
                if len(files) >= MAX_FILES:
                    raise TooLarge(f"more than {MAX_FILES} files")
                mime = (part.headers.get("Content-Type") or "").split(";")[0].strip().lower()
                entry, size = await self._one(part, mime, MAX_REQUEST_BYTES - total)
                total += size
                files.append(entry)
        except BaseException:
            self.discard(files)
            raise
        return files

    async def _one(self, part: BodyPartReader, mime: str, room: int) -> tuple[dict[str, Any], int]:
        ref = f"up:{secrets.token_hex(16)}"
        target, size, kept = self.path(ref), 0, bytearray()
        while chunk := await part.read_chunk(CHUNK):
            size += len(chunk)
            if size > room:
                raise TooLarge("request body too large")
            if size <= MAX_INPUT_BYTES:
                kept += chunk
        if mime not in IMAGE_MIME:
            return {"ref": "bad:type", "mime": mime[:64]}, size
        if size > MAX_INPUT_BYTES:
            return {"ref": "bad:size", "mime": mime}, size
        await asyncio.to_thread(target.write_bytes, bytes(kept))
        return {"ref": ref, "mime": mime}, size

    def discard(self, files: list[dict[str, Any]]) -> None:
        for f in files:
            if _REF.match(f.get("ref", "")):
                self.path(f["ref"]).unlink(missing_ok=True)

    def sweep(self, older_than: float = STALE_SECONDS) -> int:
        """Delete uploads a crashed process never handled (they may carry EXIF, so they must not linger)."""
        if not self.root.exists():
            return 0
        cutoff, removed = time.time() - older_than, 0
        for f in self.root.iterdir():
            if f.is_file() and f.stat().st_mtime < cutoff:
                f.unlink(missing_ok=True)
                removed += 1
        return removed


class WebFetcher:
    """The core's fetcher for channel "web": reads the uploaded bytes (the core sanitizes them)."""

    def __init__(self, uploads: Uploads) -> None:
        self.uploads = uploads

    async def fetch(self, ref: PhotoRef) -> bytes:
        if ref.ref == "bad:size":
            raise BadImage("file larger than 20 MB")
        if ref.ref.startswith("bad:"):
            raise BadImage("not an image type we accept")
        try:
            return await asyncio.to_thread(self.uploads.path(ref.ref).read_bytes)
        except FileNotFoundError as exc:
            raise BadImage("upload no longer available") from exc
