"""Contract test: every registered layer runs against PostGIS and keeps its declared promises."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from shapely.geometry import shape
from sqlalchemy.orm import Session

from geo_app.features import FeatureQuery, collection
from geo_app.layers import REGISTRY, LayerQuery, LayerSpec, get_layer
from geo_app.layers.vocab import LABELS


def feature_collection(session: Session, spec: LayerSpec, query: LayerQuery) -> dict[str, Any]:
    """Every feature of the layer with every field (sensitive ones too), as GeoJSON."""
    return collection(session, FeatureQuery(spec.name, query, sensitive=True)).geojson


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
    if "date" not in spec.filters:
        with pytest.raises(ValueError):
            spec.build_query(LayerQuery(as_of=date(2024, 6, 1)))
    features = collection["features"]
    assert features, f"layer {name} has no features in the demo data"
    declared = set(spec.columns(sensitive=True))
    for item in features:
        assert item["geometry"]["type"] in GEOMETRY_TYPES[spec.geometry_type]
        geom = shape(item["geometry"])
        assert not geom.is_empty
        west, south, east, north = geom.bounds
        assert 102 < west <= east < 118 and 6 < south <= north < 24
        missing = declared - set(item["properties"])
        assert not missing, f"{name}: properties lack {missing}"


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_fields_schema_matches_the_query(name: str) -> None:
    spec = REGISTRY[name]
    query = spec.query(LayerQuery())
    columns = [column.key for column in query.selected_columns if column.key != "geom"]
    declared = spec.columns(sensitive=True)
    assert sorted(declared) == sorted(columns), "every query column is one field's, once"
    assert spec.id_field in columns and not spec.field(spec.id_field).sensitive
    assert spec.tooltip_field in columns
    for f in spec.fields:
        assert f.vocabulary is None or f.vocabulary in LABELS, f.name
        assert not (f.vocabulary and f.codes), f.name
    assert {f.name for f in spec.popup_fields} | {f.name for f in spec.export_fields} <= set(
        columns
    )
    assert not any(f.sensitive and f.popup for f in spec.fields)
    if spec.tiles is not None:
        sensitive = {f.name for f in spec.fields if f.sensitive}
        assert not sensitive & set(spec.tiles.properties), "sensitive fields never go in tiles"
    if spec.style.fill_by is not None:
        attribute, colours = spec.style.fill_by
        vocabulary = spec.field(attribute).vocabulary
        assert vocabulary is not None and set(colours) <= set(LABELS[vocabulary])
    if "status" in spec.filters:
        status = spec.field("status")
        assert status.vocabulary or status.codes


def test_only_the_hotspots_notes_and_case_reference_are_sensitive() -> None:
    sensitive = {(n, f.name) for n, s in REGISTRY.items() for f in s.fields if f.sensitive}
    assert sensitive == {("hotspots", "notes"), ("hotspots", "case_ref")}


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


@pytest.mark.parametrize("name", sorted(n for n, s in REGISTRY.items() if "status" in s.filters))
def test_status_filter_keeps_only_that_status(name: str, demo_session: Session) -> None:
    spec = REGISTRY[name]
    everything = feature_collection(demo_session, spec, LayerQuery())["features"]
    statuses = sorted({f["properties"]["status"] for f in everything})
    assert statuses, name
    chosen = statuses[0]
    only = feature_collection(demo_session, spec, LayerQuery(status=(chosen,)))["features"]
    assert only and {f["properties"]["status"] for f in only} == {chosen}
    assert len(only) == sum(1 for f in everything if f["properties"]["status"] == chosen)


def test_hotspot_status_is_read_from_the_dated_history(demo_session: Session) -> None:
    row = demo_session.execute(
        sa.text(
            "SELECT h.id, min(c.changed_on) AS first_on, max(c.changed_on) AS last_on "
            "FROM hotspot h JOIN hotspot_status_change c ON c.hotspot_id = h.id "
            "WHERE h.status = 'cleared' GROUP BY h.id HAVING count(*) >= 2 LIMIT 1"
        )
    ).one()
    spec = get_layer("hotspots")

    def status_on(day: date) -> str | None:
        features = feature_collection(demo_session, spec, LayerQuery(as_of=day))["features"]
        by_id = {f["properties"]["id"]: f["properties"]["status"] for f in features}
        return by_id.get(row.id)

    assert status_on(row.last_on) == "cleared"
    assert status_on(row.first_on) == "active"
    assert status_on(row.first_on - timedelta(days=1)) is None  # not detected yet


def test_facility_ageing_follows_the_last_check(demo_session: Session) -> None:
    on = date(2025, 12, 31)
    boards = feature_collection(demo_session, get_layer("hotline_boards"), LayerQuery(as_of=on))[
        "features"
    ]
    assert boards
    for item in boards:
        props = item["properties"]
        age = props["age_days"]
        expected = (
            "never" if age is None else "fresh" if age < 30 else "due" if age < 90 else "stale"
        )
        assert props["ageing"] == expected
    assert {"fresh", "stale"} <= {b["properties"]["ageing"] for b in boards}


def test_area_filter_for_points_is_spatial(demo_session: Session) -> None:
    spec = get_layer("hotspots")
    inside = feature_collection(demo_session, spec, LayerQuery(area_code="29242"))["features"]
    assert inside
    ids = [f["properties"]["id"] for f in inside]
    outside = demo_session.scalar(
        sa.text(
            "SELECT count(*) FROM hotspot h, admin_unit u WHERE h.id = ANY(:ids) "
            "AND u.code = '29242' AND u.valid_to IS NULL AND NOT ST_Covers(u.geom, h.geom)"
        ),
        {"ids": ids},
    )
    assert outside == 0
