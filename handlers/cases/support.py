"""«Я тоже»: a resident joins an open signal near them instead of filing a duplicate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from handlers.context import Services
from storage.models import User
from storage.repos.nearby import Near
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class Spot:
    """Where and what the resident's draft is about (only a shared location has coordinates)."""

    latitude: float
    longitude: float
    category_id: int


@dataclass(frozen=True)
class Supported:
    outcome: str  # "joined", "author" (their own signal), "already" (supported before), "refused"
    number: str | None = None


async def open_nearby(services: Services, uow: UnitOfWork, spot: Spot) -> list[Near]:
    """Open signals of the same category near the spot, filed recently, nearest first."""
    rules = services.region.nearby  # radius and period per category, from the region file
    category = await uow.catalog.category(spot.category_id)
    if category is None:
        return []
    return await uow.nearby.open_near(spot.latitude, spot.longitude, radius_m=rules.radius_for(category.code),
                                      category_id=spot.category_id, limit=rules.limit,
                                      since=services.now() - timedelta(days=rules.days_for(category.code)))


async def support_signal(services: Services, uow: UnitOfWork, user: User, signal_id: int,
                         spot: Spot) -> Supported:
    """The person supports and follows the signal — only one the same search shows them (a forged
    button for a signal elsewhere, of another category or closed meanwhile is refused)."""
    near = {n.signal.id: n.signal for n in await open_nearby(services, uow, spot)}
    signal = near.get(signal_id)
    if signal is None:
        return Supported("refused")
    if signal.author_id == user.id:
        return Supported("author", signal.number)
    if await uow.supporters.supports(signal.id, user.id):
        return Supported("already", signal.number)
    await uow.supporters.add(signal.id, user.id, services.now())
    uow.signals.audit("supported", signal_id=signal.id, actor_id=user.id, channel=user.channel)
    return Supported("joined", signal.number)
