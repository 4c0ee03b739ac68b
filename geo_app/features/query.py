"""What a caller asks the feature service for, as one frozen value."""

from __future__ import annotations

from dataclasses import dataclass, field

from geo_app.layers.base import Lang, LayerQuery


@dataclass(frozen=True)
class FeatureQuery:
    """One layer's features: its filters, who asks, which properties, in which order, a page.

    ``filters`` carries what the layer's SQL reads (area, status, campaign, bbox, as-of date,
    the asker's scope, language, simplification). ``sensitive`` says whether the asker may see
    sensitive fields (viewers and anything leaving the police may not). ``properties`` None
    means every field the asker may see; ``sort`` names fields, ``-name`` for descending (the
    layer's own order otherwise); ``limit`` None means every feature.
    """

    layer: str
    filters: LayerQuery = field(default_factory=LayerQuery)
    sensitive: bool = False
    properties: tuple[str, ...] | None = None
    sort: tuple[str, ...] = ()
    limit: int | None = None
    offset: int = 0
    decimals: int = 6

    @property
    def lang(self) -> Lang:
        return self.filters.lang


def may_see_sensitive(role: str) -> bool:
    """Officers, staff, commanders and admins of a scope see its sensitive fields (the case
    reference, notes); viewers only look at the map."""
    return role != "viewer"
