"""`active-region apikeys add|revoke|list`: Open311 API keys from the command line."""

from __future__ import annotations

import argparse

from bot.config import Settings
from handlers import apikeys as keys
from handlers.context import Services
from handlers.moments import moment


async def apikeys(settings: Settings, services: Services, args: argparse.Namespace) -> int:
    async with services.uow() as uow:
        if args.action == "add":
            key, secret = await keys.add(services, uow, args.name, args.rate or settings.open311_key_rate)
            await uow.commit()
            print(f"added key {key.name!r} ({key.rate_per_minute} requests/minute). The key, shown only once:")
            print(secret)
            return 0
        if args.action == "revoke":
            key = await keys.revoke(services, uow, args.name)
            await uow.commit()
            print(f"revoked: {key.name}")
            return 0
        rows = await keys.listing(uow)
    if not rows:
        print("no API keys")
    for key, filed in rows:
        state = f"revoked {moment(key.revoked_at, services)}" if key.revoked_at else "active"
        print(f"{key.id}\t{key.name}\t{key.prefix}…\t{key.rate_per_minute}/min\t{state}\t"
              f"created {moment(key.created_at, services)}\tlast used {moment(key.last_used_at, services)}\t"
              f"filed {filed}")
    return 0
