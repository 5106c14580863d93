"""Region reference data (municipalities, bounds, categories, brush-off phrases) loaded from a YAML file."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Bounds:
    min_lat: float
    max_lat: float
    min_lon: float
    max_lon: float

    def contains(self, lat: float, lon: float) -> bool:
        return self.min_lat <= lat <= self.max_lat and self.min_lon <= lon <= self.max_lon


@dataclass(frozen=True)
class MunicipalityData:
    code: str
    name: str
    kind: str
    centre: str
    lat: float
    lon: float
    locative: str


@dataclass(frozen=True)
class NearbyRules:
    """«Already reported nearby?»: the resident's search radius and period (per category where the
    region file says so), the moderators' radius for duplicates, and how many signals are shown."""

    radius_m: int = 250  # FixMyStreet's radius for residents
    days: int = 183  # six months
    staff_radius_m: int = 1000
    limit: int = 5
    by_category: tuple[tuple[str, int | None, int | None], ...] = ()  # (code, radius_m, days) overrides

    def radius_for(self, code: str) -> int:
        return next((r for c, r, _ in self.by_category if c == code and r is not None), self.radius_m)

    def days_for(self, code: str) -> int:
        return next((d for c, _, d in self.by_category if c == code and d is not None), self.days)


def _nearby_rules(raw: dict, categories: list[dict]) -> NearbyRules:
    """The region file's `nearby:` block and the categories' `nearby_radius_m` / `nearby_days`, checked."""
    block = raw.get("nearby") or {}
    unknown = set(block) - {"radius_m", "days", "staff_radius_m", "limit"}
    if unknown:
        raise KeyError(f"nearby: unknown keys {sorted(unknown)}")
    rules = NearbyRules(**{k: int(v) for k, v in block.items()}, by_category=tuple(
        (c["code"], _opt_int(c.get("nearby_radius_m")), _opt_int(c.get("nearby_days")))
        for c in categories if c.get("nearby_radius_m") is not None or c.get("nearby_days") is not None))
    radii = [rules.radius_m, rules.staff_radius_m, *(r for _, r, _ in rules.by_category if r is not None)]
    periods = [rules.days, *(d for _, _, d in rules.by_category if d is not None)]
    if not all(10 <= r <= 10_000 for r in radii) or not all(1 <= d <= 3650 for d in periods) \
            or not 1 <= rules.limit <= 8:
        raise ValueError("nearby: radii must be 10–10000 m, periods 1–3650 days, limit 1–8")
    return rules


def _opt_int(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[call-overload]


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    bounds: Bounds
    municipalities: tuple[MunicipalityData, ...]
    categories: tuple[tuple[str, str], ...]
    organizations: tuple[str, ...]
    photo_required: frozenset[str] = frozenset()  # category codes where «Устранено» needs a photo
    brushoff_phrases: tuple[str, ...] = ()  # phrases flagged on the review card
    nearby: NearbyRules = NearbyRules()
    # names in other languages: {"kv": {"region": …, "municipality.<code>": …, "category.<code>": …}}
    names: dict[str, dict[str, str]] = field(default_factory=dict)


class RegionFileError(Exception):
    pass


def load_region(path: Path) -> Region:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        info = raw["region"]
        return Region(
            code=info["code"],
            name=info["name"],
            bounds=Bounds(**info["bounds"]),
            municipalities=tuple(MunicipalityData(**{k: v for k, v in m.items() if k != "names"})
                                 for m in raw["municipalities"]),
            categories=tuple((c["code"], c["name"]) for c in raw["categories"]),
            organizations=tuple(raw.get("organizations") or ()),
            photo_required=frozenset(c["code"] for c in raw["categories"] if c.get("photo_required")),
            brushoff_phrases=tuple(str(p) for p in raw.get("brushoff_phrases") or ()),
            nearby=_nearby_rules(raw, raw["categories"]),
            names=_names(info, raw),
        )
    except (OSError, KeyError, TypeError, ValueError, yaml.YAMLError) as exc:
        raise RegionFileError(f"{path}: {exc}") from exc


def _names(info: dict, raw: dict) -> dict[str, dict[str, str]]:
    """Every `names: {lang: name}` of the region, its municipalities and categories, by language."""
    names: dict[str, dict[str, str]] = {}
    items = [("region", info), *((f"municipality.{m['code']}", m) for m in raw["municipalities"]),
             *((f"category.{c['code']}", c) for c in raw["categories"])]
    for key, item in items:
        for lang, name in (item.get("names") or {}).items():
            names.setdefault(str(lang), {})[key] = str(name)
    return names


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    r = 6371.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))
