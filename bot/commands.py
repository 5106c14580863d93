"""Implementations of the CLI commands (each opens what it needs and closes it)."""

from __future__ import annotations

import argparse
import asyncio

from bot.bootstrap import build_services
from bot.config import Settings
from handlers import roles as role_cases
from handlers.errors import DomainError
from handlers.i18n import DEFAULT, t
from storage.migrate import check, upgrade
from storage.seed import seed_region


class UsageError(Exception):
    """A CLI request that cannot be carried out; printed as one line, exit code 2."""


async def dispatch(settings: Settings, args: argparse.Namespace) -> int:
    if args.command == "run":
        from bot.app import run

        return await run(settings, demo=args.demo)
    if args.command == "db" and args.action == "copy":
        return await _copy(args.source or settings.database_url, args.target)
    services = build_services(settings)
    args.settings = settings
    try:
        if args.command == "db":
            return await _db(settings, services, args.action)
        await asyncio.to_thread(upgrade, settings.database_url)
        if args.command == "apikeys":
            from bot.apikeys_cli import apikeys

            return await apikeys(settings, services, args)
        if args.command in ("export", "stats", "demo-data"):
            from bot.export_cli import run as run_export

            return await run_export(settings, services, args)
        handler = {"roles": _roles, "orgs": _orgs, "routes": _routes, "signals": _signals,
                   "outbox": _outbox, "inbox": _inbox, "jobs": _jobs}[args.command]
        return await handler(services, args)
    except DomainError as exc:
        raise UsageError(str(exc)) from None
    finally:
        await services.db.dispose()


async def _db(settings: Settings, services, action: str) -> int:  # type: ignore[no-untyped-def]
    if action == "upgrade":
        await asyncio.to_thread(upgrade, settings.database_url)
        print("database is at the newest schema")
    elif action == "seed":
        await asyncio.to_thread(upgrade, settings.database_url)
        async with services.uow() as uow:
            result = await seed_region(uow, services.region)
        print(f"seeded {services.region.name}: {result.created} created, {result.updated} updated")
    else:
        diff = await asyncio.to_thread(check, settings.database_url)
        if diff:
            print(f"models and migrations differ: {diff}")
            return 1
        print("models and migrations agree")
    return 0


async def _copy(source: str, target: str) -> int:
    from storage.copy import CopyError, copy_database

    if not target.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise UsageError("TARGET: expected sqlite+aiosqlite:///path or postgresql+asyncpg://user:pass@host/db")
    try:
        copied = await copy_database(source, target)
    except CopyError as exc:
        raise UsageError(str(exc)) from None
    for table, count in copied.items():
        print(f"{table}\t{count}")
    print(f"copied {sum(copied.values())} rows")
    return 0


async def _roles(services, args) -> int:  # type: ignore[no-untyped-def]
    async with services.uow() as uow:
        if args.action == "list":
            for user, role in await uow.users.staff():
                orgs = [o.name for o in await uow.catalog.organizations()
                        if o.id in {m.organization_id for m in user.memberships}] if role == "executor" else []
                extra = f"  ({'; '.join(orgs)})" if orgs else ""
                print(f"{user.identity}\t{role}{extra}")
            return 0
        change = role_cases.grant if args.action == "grant" else role_cases.revoke
        await change(uow, args.who, args.role, args.org)
        await uow.commit()
    print(f"{args.action}: {args.role} {args.who}" + (f" ({args.org})" if args.org else ""))
    return 0


async def _orgs(services, args) -> int:  # type: ignore[no-untyped-def]
    async with services.uow() as uow:
        if args.action == "add":
            name = args.name.strip()
            if not name:
                raise UsageError("organization name is empty")
            if await uow.catalog.organization_by_name(name) is None:
                await uow.catalog.add_organization(name)
                await uow.commit()
                print(f"added: {name}")
            else:
                print(f"already exists: {name}")
            return 0
        for org in await uow.catalog.organizations():
            print(f"{org.id}\t{org.name}")
    return 0


async def _routes(services, args) -> int:  # type: ignore[no-untyped-def]
    async with services.uow() as uow:
        if args.action == "list":
            names_m = {m.id: m.name for m in await uow.catalog.municipalities()}
            names_c = {c.id: c.name for c in await uow.catalog.categories()}
            names_o = {o.id: o.name for o in await uow.catalog.organizations()}
            for r in await uow.catalog.routes():
                print(f"{names_m[r.municipality_id]}\t{names_c[r.category_id]}\t{names_o[r.organization_id]}")
            return 0
        org = await uow.catalog.organization_by_name(args.organization)
        if org is None:
            raise UsageError(f"no organization named {args.organization!r} (add it with `orgs add`)")
        municipalities = await _pick(uow, "municipality", args.municipality)
        categories = await _pick(uow, "category", args.category)
        count = 0
        for m in municipalities:
            for c in categories:
                await uow.catalog.set_route(m.id, c.id, org.id)
                count += 1
        await uow.commit()
    print(f"routed {count} municipality × category pairs to {org.name}")
    return 0


async def _pick(uow, kind: str, name: str):  # type: ignore[no-untyped-def]
    every = list(await uow.catalog.table_rows(kind))
    if name == "*":
        return every
    rows = [r for r in every if r.name.casefold() == name.casefold()]
    if not rows:
        known = ", ".join(r.name for r in every)
        raise UsageError(f"unknown {kind} {name!r}; known: {known}")
    return rows


async def _outbox(services, args) -> int:  # type: ignore[no-untyped-def]
    from handlers.moments import moment
    from notifier import admin

    if args.action == "retry":
        count = await admin.retry(services, args.ids or None)
        print(f"queued again: {count}")
        return 0
    rows = await admin.list_rows(services, args.state, limit=args.limit)
    if not rows:
        print(f"no {args.state} notifications")
    for row in rows:
        print(f"{row.id}\t{row.channel}:{row.peer_id}\t{row.dedupe_key}\tattempts={row.attempts}\t"
              f"{moment(row.created_at, services)}\t{(row.last_error or '')[:120]}")
    return 0


async def _inbox(services, args) -> int:  # type: ignore[no-untyped-def]
    from handlers.moments import moment
    from storage import inbox

    async with services.uow() as uow:
        if args.action == "retry":
            count = await inbox.requeue(uow.session, args.ids)
            await uow.commit()
            print(f"queued again: {count} (the running bot picks them up within seconds)")
            return 0
        rows = await inbox.failed(uow.session, args.limit)
    if not rows:
        print("no failed updates")
    for row in rows:  # the payload stays in the database: it may hold personal data
        print(f"{row.id}	{row.channel}:{row.peer_id}	{row.update_key}	"
              f"received {moment(row.received_at, services)}	failed {moment(row.failed_at, services)}	{row.error}")
    return 0


async def _signals(services, args) -> int:  # type: ignore[no-untyped-def]
    from handlers.moments import moment

    async with services.uow() as uow:
        if args.action == "list":
            rows = await uow.signals.listing(args.status, args.limit)
            if not rows:
                print("no signals")
            for s in rows:
                print(f"{s.number}\t{moment(s.created_at, services)}\t{s.status}\t{s.municipality.name}\t"
                      f"{s.category.name}\t{s.description[:60]!r}")
            return 0
        signal = await uow.signals.by_number(args.number)
        if signal is None:
            raise UsageError(f"no signal {args.number}")
        print(f"№{signal.number}  {t(DEFAULT, 'status.' + signal.status)} ({signal.status})")
        print(f"{signal.municipality.name} · {signal.category.name} · via {signal.source_channel}")
        print(f"filed {moment(signal.created_at, services)}; due {moment(signal.due_on, services)}")
        if signal.address or signal.latitude is not None:
            print(f"place: {signal.address or f'{signal.latitude:.5f}, {signal.longitude:.5f}'}")
        print(f"photos: {len(signal.photos)}\n\n{signal.description}\n\nhistory:")
        for event in await uow.signals.history(signal.id):
            print(f"  {moment(event.created_at, services)}  {event.action}  {event.details}")
    return 0


async def _jobs(services, args) -> int:  # type: ignore[no-untyped-def]
    """`jobs list` / `jobs run NAME`: the scheduler's jobs, one run now (idempotent, like a scheduled run)."""
    from bot.bootstrap import scheduled_jobs

    jobs = {job.name: job for job in scheduled_jobs(args.settings, services)}
    if args.action == "list":
        for job in jobs.values():
            when = f"every {job.every_seconds:g} s" if job.every_seconds else f"from {job.morning_hour}:00"
            print(f"{job.name}\t{when}{'' if job.leader else '  (every instance)'}")
        return 0
    job = jobs.get(args.name)
    if job is None:
        raise UsageError(f"no job named {args.name!r}; known: {', '.join(jobs)}")
    result = await job.run()
    print(f"{job.name}: {result if result is not None else 'done'}")
    return 0
