"""The channel-neutral dialog driven directly (the channel e2e tests drive it through the fakes)."""

from __future__ import annotations

from sqlalchemy import func, select

from handlers.conversation import Conversation
from handlers.types import Command, Location, Peer, PhotoRef, Photos, Press, Text
from storage.models import Signal
from tests.images import jpeg_with_gps


class BytesFetcher:
    def __init__(self, blobs):
        self.blobs = blobs

    async def fetch(self, ref):
        return self.blobs[ref.ref]


def buttons(outcome):
    return [b for r in outcome.replies for row in r.buttons for b in row]


def press_label(outcome, starts):
    for b in buttons(outcome):
        if b.label.startswith(starts):
            return Press(b.payload)
    raise AssertionError(f"no button {starts!r} in {[b.label for b in buttons(outcome)]}")


async def test_full_intake_with_photo(services):
    services.fetchers["test"] = BytesFetcher({"p1": jpeg_with_gps()})
    conv = Conversation(services)
    peer = Peer("test", 42, "Иван")
    out = await conv.handle(peer, Command("start"))
    out = await conv.handle(peer, Press("consent"))
    out = await conv.handle(peer, Command("new"))
    out = await conv.handle(peer, Location(63.56, 53.70))
    assert "<b>Ухта</b>" in out.replies[-1].text
    out = await conv.handle(peer, Press("yes"))
    out = await conv.handle(peer, press_label(out, "Дороги"))
    out = await conv.handle(peer, Text("Яма <b>на</b> дороге & лужа _*["))
    out = await conv.handle(peer, Photos((PhotoRef("test", "p1"),)))
    assert "1 из 5" in out.replies[-1].text
    out = await conv.handle(peer, press_label(out, "Готово"))
    summary = out.replies[-1]
    assert "&lt;b&gt;на&lt;/b&gt;" in summary.text and len(summary.photos) == 1
    out = await conv.handle(peer, Press("send"))
    assert "принято" in out.replies[-1].text
    again = await conv.handle(peer, Press("send"))
    assert "уже отправлено" in again.replies[-1].text
    async with services.uow() as uow:
        assert await uow.session.scalar(select(func.count(Signal.id))) == 1
        sig = await uow.session.scalar(select(Signal))
        assert sig.municipality.name == "Ухта" and sig.latitude == 63.56 and len(sig.photos) == 1
