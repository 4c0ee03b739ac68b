"""Geometry helpers over GeoJSON the service returned."""

from __future__ import annotations

from typing import Any


def bounds(collection: dict[str, Any]) -> tuple[float, float, float, float] | None:
    """(south, west, north, east) of a collection's coordinates, for fitting a map to them."""
    xs: list[float] = []
    ys: list[float] = []

    def walk(coords: Any) -> None:
        if coords and isinstance(coords[0], (int, float)):
            xs.append(float(coords[0]))
            ys.append(float(coords[1]))
            return
        for part in coords:
            walk(part)

    for item in collection["features"]:
        geometry = item.get("geometry")
        if geometry:
            walk(geometry["coordinates"])
    if not xs:
        return None
    return min(ys), min(xs), max(ys), max(xs)
