"""The feature service: one layer's features under filters, the asker's rights and a page.

Every reader of features (the JSON API, the map pages, later exports) goes through here, so
validation, the sensitive-field rule and paging hold everywhere. PostGIS writes the GeoJSON;
nothing here escapes HTML (that happens where HTML is made: ``geo_app.maps``, templates).
"""

from __future__ import annotations

from geo_app.features.geometry import bounds
from geo_app.features.query import FeatureQuery, may_see_sensitive
from geo_app.features.service import (
    ESTIMATE_ABOVE,
    Collection,
    Count,
    check,
    collection,
    count,
    get,
    layer,
    page,
    selection,
)

__all__ = [
    "ESTIMATE_ABOVE",
    "Collection",
    "Count",
    "FeatureQuery",
    "bounds",
    "check",
    "collection",
    "count",
    "get",
    "layer",
    "may_see_sensitive",
    "page",
    "selection",
]
