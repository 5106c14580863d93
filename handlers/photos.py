"""Incoming photos: fetch through the channel, strip metadata, store once by content."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError

from handlers.context import Services
from handlers.types import PhotoRef, StoredPhotos
from storage.images import BadImage, sanitize
from storage.media import content_key

log = logging.getLogger(__name__)


class FetchFailed(Exception):
    pass


async def fetch_with_retry(services: Services, ref: PhotoRef) -> bytes:
    fetcher = services.fetchers.get(ref.channel)
    if fetcher is None:
        raise FetchFailed(f"no photo fetcher for {ref.channel}")
    attempts = services.config.photo_fetch_attempts
    for attempt in range(1, attempts + 1):
        try:
            return await fetcher.fetch(ref)
        except BadImage:
            raise
        except Exception as exc:  # platform error, timeout, network: retried, then reported
            log.warning("photo download attempt %d/%d failed: %s", attempt, attempts, type(exc).__name__)
            if attempt == attempts:
                raise FetchFailed(str(exc)) from exc
            await asyncio.sleep(0.2 * 2 ** (attempt - 1))
    raise FetchFailed("unreachable")


async def ingest(services: Services, refs: Sequence[PhotoRef]) -> StoredPhotos:
    """Fetch and store every ref concurrently; count the ones that failed or were not images."""
    results = await asyncio.gather(*(_one(services, ref) for ref in refs))
    ids = tuple(r for r in results if isinstance(r, int))
    return StoredPhotos(ids, failed=results.count("failed"), bad=results.count("bad"))


async def _one(services: Services, ref: PhotoRef) -> int | str:
    try:
        raw = await fetch_with_retry(services, ref)
        clean = await asyncio.to_thread(sanitize, raw, max_side=services.config.photo_max_side)
    except BadImage:
        return "bad"
    except FetchFailed:
        return "failed"
    return await store_photo(services, clean.data, clean.width, clean.height)


async def store_photo(services: Services, data: bytes, width: int, height: int) -> int:
    """The id of the Photo row for these bytes, creating file and row when new."""
    sha = content_key(data)
    key = await services.media.put(data)
    try:
        return await _photo_row(services, sha, key, data, width, height)
    except IntegrityError:  # the same photo stored concurrently by another person or instance
        return await _photo_row(services, sha, key, data, width, height)


async def _photo_row(services: Services, sha: str, key: str, data: bytes, width: int, height: int) -> int:
    async with services.uow() as uow:
        found = await uow.photos.id_by_hash(sha)
        if found is None:
            found = await uow.photos.add(sha256=sha, media_key=key, size_bytes=len(data), width=width,
                                         height=height)
            await uow.commit()
        return found
