"""Transcript rows → JSON for the page: the bot's markup as is (the page keeps only the safe subset),
buttons signed for this person, photos and generated files as signed same-origin URLs."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from bot.web.identity import CHANNEL, file_sig, media_sig
from handlers.callbacks import sign
from handlers.i18n import DEFAULT, t
from handlers.types import Say
from storage.models import WebMessage

log = logging.getLogger(__name__)



def message_json(row: WebMessage, key: bytes, peer_id: int, base: str = "") -> dict[str, Any]:
    if row.direction == "in":
        return {"id": row.id, "from": "me", **row.payload}
    say = Say.from_dict(row.payload)
    return {
        "id": row.id,
        "from": "bot",
        "html": say.text,
        "buttons": [[b for b in (_button(key, peer_id, x.label, x.payload) for x in line) if b]
                    for line in say.buttons],
        "photos": [f"{base}/web/media/{pid}?s={media_sig(key, peer_id, pid)}" for pid in say.photos],
        "files": [{"name": f.name, "image": f.is_image,
                   "url": f"{base}/web/file/{f.key}?" + urlencode(
                       {"n": f.name, "t": f.mime, "s": file_sig(key, peer_id, f.key, f.name, f.mime)})}
                  for f in say.files],
        "ask_location": say.ask_location,
        "location_label": (say.location_label or t(DEFAULT, "btn-share-location")) if say.ask_location else None,
    }


def _button(key: bytes, peer_id: int, label: str, payload: str) -> dict[str, str] | None:
    try:
        return {"label": label, "data": sign(key, CHANNEL, peer_id, payload)}
    except ValueError:
        log.error("a button payload cannot be signed (too long?): %r", payload[:60])
        return None
