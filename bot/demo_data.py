"""`active-region demo-data N`: N realistic signals over several years, written with bulk inserts.

Municipality shares follow the seed portal (Сыктывкар 50 %, Ухта 5 %, Сыктывдинский район 4 %, Печора 4 %,
Воркута 4 %, Сосногорск 3 %, the rest spread evenly); acknowledgement and answer times in working days
with a long tail; ratings (¾ 👍), brush-off flags, reopenings, rejections, a few open and overdue ones."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text

from handlers.statsmath import workday_number
from handlers.workdays import is_workday
from storage.models import (
    Answer,
    Category,
    Municipality,
    Organization,
    Rating,
    Route,
    Signal,
    SignalCounter,
    User,
)
from storage.uow import UnitOfWork

SHARES = {"Сыктывкар": 0.50, "Ухта": 0.05, "Сыктывдинский район": 0.04, "Печора": 0.04, "Воркута": 0.04,
          "Сосногорск": 0.03}
REGIONAL = {"Дороги": "ГКУ РК «Управление автомобильных дорог Республики Коми»",
            "Общественный транспорт": "Министерство транспорта Республики Коми"}
CATEGORY_WEIGHTS = {"ЖКХ": 0.28, "Дороги": 0.22, "Благоустройство": 0.18, "Экология и мусор": 0.08,
                    "Общественный транспорт": 0.07}  # the rest share what is left
CHANNELS = (("telegram", 0.55), ("vk", 0.33), ("web", 0.10), ("open311", 0.02))
FLAGS = (["generic_phrase"], ["no_date"], ["generic_phrase", "no_specifics"])
KINDS = ("fixed", "fixed", "fixed", "planned", "planned", "not_ours", "refusal")
CHUNK = 5000
YEARS = 3.5


def org_name(municipality: str) -> str:
    return f"Администрация МО «{municipality}»"


class Calendar:
    """Working-day arithmetic over a fixed range, by table lookups (millions of calls)."""

    def __init__(self, first: date, last: date) -> None:
        self.by_number: dict[int, date] = {}
        day = first
        while day <= last:
            if is_workday(day):
                self.by_number[workday_number(day)] = day
            day += timedelta(days=1)

    def add(self, day: date, workdays: int) -> date:
        if workdays == 0:
            return day
        return self.by_number.get(workday_number(day) + workdays) or day + timedelta(days=workdays * 7 // 5 + 1)


async def _reference(uow: UnitOfWork) -> tuple[list[tuple[int, str]], list[tuple[int, str]], dict[str, int]]:
    munis = [(m.id, m.name) for m in await uow.session.scalars(select(Municipality).order_by(Municipality.id))]
    cats = [(c.id, c.name) for c in await uow.session.scalars(select(Category).order_by(Category.id))]
    wanted = [org_name(name) for _, name in munis] + list(REGIONAL.values())
    orgs = {o.name: o.id for o in await uow.session.scalars(select(Organization))}
    missing = [name for name in wanted if name not in orgs]
    if missing:
        await uow.session.execute(insert(Organization), [{"name": n} for n in missing])
        orgs = {o.name: o.id for o in await uow.session.scalars(select(Organization))}
    return munis, cats, orgs


def _weights(munis: list[tuple[int, str]]) -> list[float]:
    rest = [name for _, name in munis if name not in SHARES]
    spread = (1 - sum(SHARES.values())) / max(1, len(rest))
    return [SHARES.get(name, spread) for _, name in munis]


async def generate(uow: UnitOfWork, n: int, *, now: datetime, tz: ZoneInfo, seed: int = 13,
                   deadline_workdays: int = 10, progress: Callable[[int], None] | None = None) -> int:
    """Insert `n` signals (with authors, answers and ratings) filed over the last 3.5 years before `now`."""
    rng = random.Random(seed)
    munis, cats, orgs = await _reference(uow)
    if not munis or not cats:
        raise RuntimeError("no reference data: run `active-region db seed` first")
    weights = _weights(munis)
    spread = (1 - sum(CATEGORY_WEIGHTS.values())) / max(1, len(cats) - len(CATEGORY_WEIGHTS))
    cat_weights = [CATEGORY_WEIGHTS.get(name, spread) for _, name in cats]
    today = now.astimezone(tz).date()
    span = int(365 * YEARS)
    cal = Calendar(today - timedelta(days=span + 10), today + timedelta(days=400))
    next_id = int(await uow.session.scalar(select(func.max(Signal.id))) or 0) + 1
    next_user = int(await uow.session.scalar(select(func.max(User.id))) or 0) + 1
    next_answer = int(await uow.session.scalar(select(func.max(Answer.id))) or 0) + 1
    counters = {c.year: c.last for c in await uow.session.scalars(select(SignalCounter))}
    done = 0
    while done < n:
        size = min(CHUNK, n - done)
        users, signals, answers, ratings = [], [], [], []
        for _ in range(size):
            # more signals lately: the density grows linearly over the span
            age = int(span * (1 - rng.random() ** 0.7))
            filed_day = today - timedelta(days=age)
            created = datetime.combine(filed_day, time(rng.randint(7, 22), rng.randint(0, 59)), tz)
            if created > now:
                created = now - timedelta(minutes=rng.randint(1, 600))
                filed_day = created.astimezone(tz).date()
            mun_id, mun_name = rng.choices(munis, weights)[0]
            cat_id, cat_name = rng.choices(cats, cat_weights)[0]
            org_id = orgs[REGIONAL[cat_name]] if cat_name in REGIONAL and mun_name != "Сыктывкар" else \
                orgs[org_name(mun_name)]
            channel = rng.choices([c for c, _ in CHANNELS], [w for _, w in CHANNELS])[0]
            counters[filed_day.year] = counters.get(filed_day.year, 0) + 1
            row = {"id": next_id, "number": f"{filed_day.year}-{counters[filed_day.year]:06d}",
                   "author_id": None, "municipality_id": mun_id, "category_id": cat_id, "organization_id": None,
                   "description": f"Демо-обращение {next_id}: {cat_name.lower()}, {mun_name}",
                   "latitude": None, "longitude": None, "address": None, "status": "new",
                   "source_channel": channel, "reopen_count": 0, "version": 1, "created_at": created,
                   "accepted_at": None, "due_on": None, "answered_at": None, "closed_at": None}
            if channel != "open311":
                users.append({"id": next_user, "channel": channel, "external_id": 10_000_000 + next_user,
                              "display_name": f"Житель {next_user}", "consent_at": created, "created_at": created})
                row["author_id"] = next_user
                next_user += 1
            _lifecycle(rng, cal, row, org_id, now, tz, deadline_workdays)
            if row["answered_at"] is not None:
                flagged = rng.random() < 0.12
                answers.append({"id": next_answer, "signal_id": next_id, "version": 1, "text": "Демо-ответ",
                                "organization_id": org_id, "review_status": "published",
                                "kind": rng.choice(KINDS), "flags": rng.choice(FLAGS) if flagged else None,
                                "created_at": row["answered_at"], "reviewed_at": row["answered_at"]})
                if rng.random() < 0.4:
                    liked = rng.random() < (0.45 if flagged else 0.8)
                    ratings.append({"signal_id": next_id, "answer_id": next_answer, "user_id": row["author_id"],
                                    "value": 1 if liked else -1, "created_at": row["answered_at"]})
                next_answer += 1
            signals.append(row)
            next_id += 1
        for model, rows in ((User, users), (Signal, signals), (Answer, answers), (Rating, ratings)):
            if rows:
                await uow.session.execute(insert(model), rows)
        done += size
        if progress is not None:
            progress(done)
    await _counters(uow, counters)
    await _routes(uow, munis, cats, orgs)
    if uow.dialect == "postgresql":  # ids were given explicitly: move the sequences past them
        for table in ("users", "signals", "answers"):
            await uow.session.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"))
    return done


def _lifecycle(rng: random.Random, cal: Calendar, row: dict, org_id: int, now: datetime, tz: ZoneInfo,
               deadline: int) -> None:
    """Acceptance, due date, answer and closing of one signal, as far as `now` allows."""
    created: datetime = row["created_at"]
    filed = created.astimezone(tz).date()
    ack = min(int(rng.expovariate(0.8)), 30)
    accepted_day = cal.add(filed, ack)
    accepted = datetime.combine(accepted_day, time(rng.randint(9, 17), rng.randint(0, 59)), tz)
    accepted = max(accepted, created + timedelta(minutes=5))
    if accepted > now:
        return
    if rng.random() < 0.08:
        row.update(status="rejected", closed_at=accepted)
        return
    row.update(status="in_progress", accepted_at=accepted, organization_id=org_id,
               due_on=cal.add(accepted_day, deadline))
    work = max(1, min(int(rng.lognormvariate(1.9, 0.7)), 120))  # median ≈ 7 working days, a long tail
    answered = datetime.combine(cal.add(accepted_day, work), time(rng.randint(9, 18), rng.randint(0, 59)), tz)
    if answered > now:
        if rng.random() < 0.3:
            row["status"] = "answer_review"
        return
    row.update(status="answered", answered_at=answered)
    if rng.random() < 0.06:
        row["reopen_count"] = 1
    if answered + timedelta(days=14) < now:
        row.update(status="closed", closed_at=answered + timedelta(days=rng.randint(1, 14)))


async def _counters(uow: UnitOfWork, counters: dict[int, int]) -> None:
    """Move the per-year number counters past the generated numbers, so later filings do not collide."""
    known = {c.year: c for c in await uow.session.scalars(select(SignalCounter))}
    for year, last in counters.items():
        if year in known:
            known[year].last = max(known[year].last, last)
        else:
            uow.session.add(SignalCounter(year=year, last=last))
    await uow.session.flush()


async def _routes(uow: UnitOfWork, munis: list[tuple[int, str]], cats: list[tuple[int, str]],
                  orgs: dict[str, int]) -> None:
    """Route every municipality × category to the organization the generator used (where none is set)."""
    have = {(r.municipality_id, r.category_id) for r in await uow.session.scalars(select(Route))}
    rows = [{"municipality_id": m, "category_id": c,
             "organization_id": orgs[REGIONAL[cn]] if cn in REGIONAL and mn != "Сыктывкар" else orgs[org_name(mn)]}
            for m, mn in munis for c, cn in cats if (m, c) not in have]
    if rows:
        await uow.session.execute(insert(Route), rows)
