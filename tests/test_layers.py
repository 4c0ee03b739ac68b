"""Contract test: every registered layer runs against PostGIS and keeps its declared promises."""

from __future__ import annotations

from datetime import date

import pytest
from shapely.geometry import shape
from sqlalchemy.orm import Session

from geo_app.layers import REGISTRY, LayerQuery, get_layer
from geo_app.services.features import feature_collection

GEOMETRY_TYPES = {
    "MultiPolygon": {"MultiPolygon", "Polygon"},
    "Point": {"Point"},
    "MultiLineString": {"MultiLineString", "LineString"},
}


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_layer_contract(name: str, demo_session: Session) -> None:
    spec = REGISTRY[name]
    assert spec.name == name
    assert spec.title_vi.strip() and spec.title_en.strip()
    assert spec.srid == 4326
    as_of = date(2024, 6, 1) if name == "districts" else None
    collection = feature_collection(demo_session, spec, LayerQuery(as_of=as_of))
    features = collection["features"]
    assert features, f"layer {name} has no features in the demo data"
    declared = {f.name for f in spec.popup_fields} | {f.name for f in spec.export_fields}
    declared |= {spec.tooltip_field}
    for item in features:
        assert item["geometry"]["type"] in GEOMETRY_TYPES[spec.geometry_type]
        geom = shape(item["geometry"])
        assert not geom.is_empty
        west, south, east, north = geom.bounds
        assert 102 < west <= east < 118 and 6 < south <= north < 24
        missing = declared - set(item["properties"])
        assert not missing, f"{name}: properties lack {missing}"


def test_layer_rejects_a_filter_it_does_not_declare() -> None:
    spec = get_layer("communes")
    with pytest.raises(ValueError, match="no filter status"):
        spec.build_query(LayerQuery(status=("active",)))


def test_unknown_layer_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="communes"):
        get_layer("nope")


def test_area_filter_and_as_of_date(demo_session: Session) -> None:
    communes = get_layer("communes")
    now = feature_collection(demo_session, communes, LayerQuery(area_code="86"))
    assert len(now["features"]) == 124
    before_merger = feature_collection(
        demo_session, communes, LayerQuery(area_code="84", as_of=date(2024, 6, 1))
    )
    # Former Trà Vinh province, pre-2025 census communes (105 units).
    assert len(before_merger["features"]) == 105
    assert {f["properties"]["valid_to"] for f in before_merger["features"]} == {"2025-07-01"}
