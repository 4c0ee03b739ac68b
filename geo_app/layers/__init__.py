"""The one registry of map layers. Adding a layer means one module and one line here."""

from __future__ import annotations

from geo_app.layers import (
    admin_units,
    campaign_progress,
    classification,
    cultivation,
    facilities,
    hotspots,
    routes,
)
from geo_app.layers.base import LayerQuery, LayerSpec

REGISTRY: dict[str, LayerSpec] = {
    spec.name: spec
    for spec in (
        admin_units.PROVINCES,
        admin_units.DISTRICTS,
        admin_units.COMMUNES,
        admin_units.HAMLETS,
        admin_units.RESIDENTIAL_GROUPS,
        classification.CLASSIFICATION,
        hotspots.HOTSPOTS,
        facilities.HOTLINE_BOARDS,
        facilities.TIPOFF_BOXES,
        cultivation.CULTIVATION_SITES,
        routes.KEY_ROUTES,
        campaign_progress.CAMPAIGN_PROGRESS,
    )
}


def get_layer(name: str) -> LayerSpec:
    """The registered layer called ``name``; KeyError names the known ones."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown layer {name!r}; known: {', '.join(sorted(REGISTRY))}") from None


__all__ = ["REGISTRY", "LayerQuery", "LayerSpec", "get_layer"]
