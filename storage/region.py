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
class Region:
    code: str
    name: str
    bounds: Bounds
    municipalities: tuple[MunicipalityData, ...]
    categories: tuple[tuple[str, str], ...]
    organizations: tuple[str, ...]
    photo_required: frozenset[str] = frozenset()  # category codes where «Устранено» needs a photo
    brushoff_phrases: tuple[str, ...] = ()  # phrases flagged on the review card
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
            names=_names(info, raw),
        )
    except (OSError, KeyError, TypeError, yaml.YAMLError) as exc:
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
