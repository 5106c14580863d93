"""The nearby search on both databases: the 250 m boundary in every direction, category, status, age, order."""

from __future__ import annotations

import itertools
import math
from datetime import timedelta

import pytest
from sqlalchemy import select

from storage.models import Category, Municipality, Signal
from storage.repos.nearby import EARTH_M_PER_DEGREE, box
from storage.types import utcnow

NUMBERS = itertools.count(1)
LAT, LON = 61.6688, 50.8364  # Syktyvkar: a degree of longitude is about half a degree of latitude here


def offset(north_m: float, east_m: float) -> tuple[float, float]:
    return (LAT + north_m / EARTH_M_PER_DEGREE,
            LON + east_m / (EARTH_M_PER_DEGREE * math.cos(math.radians(LAT))))


async def put(services, north_m, east_m, *, status="new", category=0, age_days=0):
    async with services.uow() as uow:
        mun = await uow.session.scalar(select(Municipality).limit(1))
        cats = list(await uow.session.scalars(select(Category).order_by(Category.id)))
        lat, lon = offset(north_m, east_m)
        signal = Signal(number=f"2026-{next(NUMBERS):06d}", municipality_id=mun.id,
                        category_id=cats[category].id, description="Не горит фонарь", latitude=lat,
                        longitude=lon, status=status, source_channel="telegram",
                        created_at=utcnow() - timedelta(days=age_days))
        uow.session.add(signal)
        await uow.commit()
        return signal.id, cats[0].id


async def search(services, category_id, radius=250.0, limit=5):
    async with services.uow() as uow:
        found = await uow.nearby.open_near(LAT, LON, radius_m=radius, category_id=category_id,
                                           since=utcnow() - timedelta(days=183), limit=limit)
    return [(n.signal.id, round(n.distance_m)) for n in found]


@pytest.mark.parametrize("north, east", [(1, 0), (0, 1), (-1, 0), (0, -1), (0.7071, 0.7071)])
async def test_boundary_in_every_direction(services, north, east):
    inside, cat = await put(services, 248 * north, 248 * east)
    outside, _ = await put(services, 252 * north, 252 * east)
    assert await search(services, cat) == [(inside, 248)]
    assert {i for i, _ in await search(services, cat, radius=260)} == {inside, outside}


async def test_the_box_is_wide_enough_in_longitude_at_high_latitude():
    min_lat, max_lat, min_lon, max_lon = box(LAT, LON, 250)
    east_lat, east_lon = offset(0, 250)
    assert max_lon > east_lon and min_lon < 2 * LON - east_lon
    assert (max_lon - LON) > 1.9 * (max_lat - LAT)  # cos(61.7°) ≈ 0.47


async def test_only_open_signals_of_the_category_filed_recently(services):
    good, cat = await put(services, 100, 0)
    await put(services, 50, 0, category=1)
    await put(services, 60, 0, status="closed")
    await put(services, 70, 0, status="rejected")
    await put(services, 80, 0, age_days=400)
    answered, _ = await put(services, 120, 0, status="answered")
    assert await search(services, cat) == [(good, 100), (answered, 120)]


async def test_nearest_first_at_most_five(services):
    ids = [(await put(services, 0, d))[0] for d in (200, 30, 150, 90, 10, 60, 120)]
    cat = (await put(services, 0, 5000))[1]
    found = await search(services, cat)
    assert [d for _, d in found] == [10, 30, 60, 90, 120]
    assert {i for i, _ in found} <= set(ids)


@pytest.mark.parametrize("east_m, found", [(240, True), (260, False)])
async def test_at_67_north_240_m_due_east_is_found_and_260_m_is_not(services, east_m, found):
    """Vorkuta's latitude: a degree of longitude is 0.39 of a degree of latitude."""
    lat, lon = 67.0, 64.0
    async with services.uow() as uow:
        mun = await uow.session.scalar(select(Municipality).limit(1))
        cat = await uow.session.scalar(select(Category).limit(1))
        east = lon + east_m / (EARTH_M_PER_DEGREE * math.cos(math.radians(lat)))
        signal = Signal(number=f"2026-{next(NUMBERS):06d}", municipality_id=mun.id, category_id=cat.id,
                        description="Не горит фонарь", latitude=lat, longitude=east, status="in_progress",
                        source_channel="vk")
        uow.session.add(signal)
        await uow.commit()
    async with services.uow() as uow:
        near = await uow.nearby.open_near(lat, lon, radius_m=250, category_id=cat.id,
                                          since=utcnow() - timedelta(days=183))
    assert [n.signal.id for n in near] == ([signal.id] if found else [])
