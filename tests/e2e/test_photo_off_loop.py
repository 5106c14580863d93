"""A photo being decoded and re-encoded never holds up another resident's text reply."""

from __future__ import annotations

import asyncio
import io

from PIL import Image
from sqlalchemy import func, select

from storage.models import Photo
from tests.e2e.test_intake_scenarios import consent, to_description


def big_photo() -> bytes:
    """A 42-megapixel JPEG with an EXIF rotation: it must be fully decoded, turned, downscaled and
    re-encoded, which takes on the order of a second."""
    img = Image.linear_gradient("L").resize((7000, 6000)).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=85, exif=exif)
    return out.getvalue()


POLL = 0.005  # seconds between looks at the fake's download log


async def downloaded(requests: list, before: int, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while len(requests) <= before:
        assert asyncio.get_running_loop().time() < deadline, "the bot never downloaded the photo"
        await asyncio.sleep(POLL)  # polls a condition in the fake (which has no event to wait on)


async def test_text_reply_is_not_held_up_by_another_residents_photo(env, services):
    a, b = env.resident(7101, "Анна"), env.resident(7102, "Борис")
    for r in (a, b):
        await consent(r)
        await to_description(r)
    await a.say("Глубокая яма на дороге у школы номер три")
    photo = await asyncio.to_thread(big_photo)
    seen_a = len(a.messages)
    downloads = env.fake.file_requests if env.channel_name == "telegram" else env.fake.media_requests
    before = len(downloads)
    a_photo = asyncio.create_task(a.document(photo, "photo.jpg", "image/jpeg"))
    await downloaded(downloads, before)  # the bot has the file: decoding and re-encoding start now
    # b writes while a's photo is being processed: b is answered before a's photo is even stored (if the
    # photo were decoded on the event loop, nothing could run until it was done, and the photo row —
    # written right after — would come first)
    await b.say("Не работает освещение во дворе дома семь")
    assert "Шаг 4" in b.last_text()
    async with services.uow() as uow:
        assert await uow.session.scalar(select(func.count(Photo.id))) == 0
    assert len(a.messages) == seen_a
    await a_photo
    assert "1 из 5" in a.last_text()
