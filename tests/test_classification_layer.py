"""The classification layer on the demo data: the class as of a month, why, scope, and tiles."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import mapbox_vector_tile
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo_app.features import FeatureQuery, collection, page
from geo_app.i18n import translator
from geo_app.layers import LayerQuery
from geo_app.layers.classification import CLASSES, FILL, HATCH_ID, months_query
from geo_app.maps import legend
from geo_app.maps.tile_styles import tile_config
from geo_app.pages import legend as page_legend
from geo_app.services.tiles import render as tiles

COLUMNS = ("code", "name", "level", "class", "class_label", "month", "criteria", "link")
TRA_VINH_WARD = "29242"  # Phường Trà Vinh, on the key route: type I in the demo
TRA_VINH = (106.343, 9.935)


def _unit_id(session: Session, code: str, level: str = "commune") -> int:
    found = session.scalar(
        sa.text(
            "SELECT id FROM admin_unit WHERE code = :code AND level = CAST(:level AS admin_level)"
            " AND valid_to IS NULL"
        ),
        {"code": code, "level": level},
    )
    assert found is not None, code
    return int(found)


def _rows(session: Session, **query: Any) -> dict[str, dict[str, Any]]:
    found = page(session, FeatureQuery("classification", LayerQuery(**query), properties=COLUMNS))
    return {row["code"]: row for row in found}


def _stored(session: Session, code: str) -> list[Any]:
    """The stored classifications of a 2025 commune, oldest first."""
    return list(
        session.execute(
            sa.text(
                "SELECT c.month, CAST(c.class AS text) AS klass, c.criteria, c.missing"
                " FROM classification c JOIN admin_unit u ON u.id = c.admin_unit_id"
                " WHERE u.code = :code AND u.valid_to IS NULL ORDER BY c.month"
            ),
            {"code": code},
        )
    )


def _changing_commune(session: Session) -> tuple[str, Any, Any]:
    """A 2025 commune of province 86 whose stored class differs between two stored months."""
    row = session.execute(
        sa.text(
            """
            SELECT u.code, a.month AS first, b.month AS second
            FROM classification a
            JOIN classification b ON b.admin_unit_id = a.admin_unit_id AND b.month > a.month
                 AND b.class <> a.class
            JOIN admin_unit u ON u.id = a.admin_unit_id AND u.valid_to IS NULL
            JOIN admin_unit p ON p.id = u.parent_id AND p.code = '86'
            ORDER BY u.code, a.month, b.month
            LIMIT 1
            """
        )
    ).one()
    return str(row.code), row.first, row.second


def test_class_is_the_latest_stored_on_or_before_the_month(demo_session: Session) -> None:
    code, first, second = _changing_commune(demo_session)
    stored = {row.month: row for row in _stored(demo_session, code)}
    at_first = _rows(demo_session, area_code=code, as_of=first)[code]
    at_second = _rows(demo_session, area_code=code, as_of=second)[code]
    assert at_first["class"] == stored[first].klass
    assert at_second["class"] == stored[second].klass != at_first["class"]
    assert at_first["month"] == first.strftime("%Y-%m")
    # A date in a month with nothing stored reads the latest month before it.
    latest = max(stored)
    long_after = _rows(demo_session, area_code=code, as_of=date(latest.year + 1, 3, 15))[code]
    assert long_after["month"] == latest.strftime("%Y-%m")
    assert long_after["class"] == stored[latest].klass


def test_a_unit_never_classified_is_no_data_not_insufficient(demo_session: Session) -> None:
    rows = _rows(demo_session, area_code="01", as_of=date(2025, 10, 31))  # Hà Nội: no indicators
    assert rows
    commune = next(iter(rows.values()))
    assert commune["class"] == "no_data"
    assert commune["class_label"] == "Chưa có số liệu"
    assert commune["month"] is None and commune["criteria"] is None


def test_criteria_that_fired_are_readable_in_both_languages(demo_session: Session) -> None:
    stored = _stored(demo_session, TRA_VINH_WARD)[-1]
    assert stored.criteria, "the demo's type I ward should have fired criteria"
    vi = _rows(demo_session, area_code=TRA_VINH_WARD)[TRA_VINH_WARD]
    en = _rows(demo_session, area_code=TRA_VINH_WARD, lang="en")[TRA_VINH_WARD]
    assert vi["class"] == stored.klass
    assert vi["criteria"] == "; ".join(c["text_vi"] for c in stored.criteria)
    assert en["criteria"] == "; ".join(c["text_en"] for c in stored.criteria)
    assert vi["class_label"].startswith("Trọng điểm") or vi["class"] not in ("type_1", "type_2")
    assert vi["link"] == f"/map/commune/{TRA_VINH_WARD}"


def test_insufficient_data_names_the_missing_inputs(demo_session: Session) -> None:
    rows = _rows(demo_session, area_code="86", as_of=date(2025, 10, 31))
    short = [row for row in rows.values() if row["class"] == "insufficient_data"]
    assert short
    assert short[0]["class_label"] == "Thiếu dữ liệu"
    assert short[0]["criteria"].startswith("Thiếu số liệu: ")
    assert "Người nghiện có hồ sơ quản lý" in short[0]["criteria"]


def test_as_of_before_the_merger_draws_the_units_in_force_then(demo_session: Session) -> None:
    before = _rows(demo_session, area_code="84", as_of=date(2025, 3, 31))  # old Trà Vinh
    assert len(before) > 90
    assert {row["level"] for row in before.values()} == {"commune"}
    assert any(row["class"] not in ("no_data", "insufficient_data") for row in before.values())
    assert _rows(demo_session, area_code="84") == {}  # closed on 1 July 2025


def test_scope_keeps_rows_inside(demo_session: Session) -> None:
    province = _unit_id(demo_session, "86", "province")
    bbox = (105.9, 9.5, 106.9, 10.5)  # province 86 and some of its neighbours
    everyone = _rows(demo_session, bbox=bbox)
    scoped = _rows(demo_session, bbox=bbox, scope_unit_id=province)
    in_86 = _rows(demo_session, area_code="86")
    assert set(scoped) < set(everyone)
    assert set(scoped) == set(in_86) & set(everyone)
    commune = _unit_id(demo_session, "29410")
    assert set(_rows(demo_session, area_code="86", scope_unit_id=commune)) == {"29410"}
    # Before the merger the old communes lie in the 2025 province by their point on surface.
    old = _rows(demo_session, as_of=date(2025, 3, 31), bbox=bbox, scope_unit_id=province)
    assert "29392" in old and set(old) <= set(
        _rows(demo_session, as_of=date(2025, 3, 31), bbox=bbox)
    )


def test_status_filter_is_the_class(demo_session: Session) -> None:
    rows = _rows(demo_session, area_code="86", status=("type_1", "type_2"))
    assert rows and {row["class"] for row in rows.values()} <= {"type_1", "type_2"}


def test_commune_area_holds_the_commune_and_its_classified_hamlets(
    demo_session: Session,
) -> None:
    hamlet = demo_session.execute(
        sa.text(
            "SELECT h.id, h.code FROM admin_unit h JOIN admin_unit c ON c.id = h.parent_id"
            " WHERE c.code = :code AND c.valid_to IS NULL AND h.level = 'hamlet' LIMIT 1"
        ),
        {"code": TRA_VINH_WARD},
    ).one()
    ward = FeatureQuery("classification", LayerQuery(area_code=TRA_VINH_WARD))
    before = collection(demo_session, ward).geojson
    assert [f["properties"]["level"] for f in before["features"]] == ["commune"]
    _store(demo_session, hamlet.id, "drug_free")
    after = collection(demo_session, ward).geojson
    levels = {f["properties"]["code"]: f["properties"]["level"] for f in after["features"]}
    assert levels == {TRA_VINH_WARD: "commune", hamlet.code: "hamlet"}


def _store(session: Session, unit_id: int, klass: str) -> None:
    session.execute(
        sa.text(
            "INSERT INTO classification (admin_unit_id, month, rule_set, class, criteria, inputs)"
            " VALUES (:unit, DATE '2025-09-01', 'tra-vinh-2025', CAST(:class AS"
            " classification_class), CAST(:criteria AS jsonb), '{}')"
        ),
        {
            "unit": unit_id,
            "class": klass,
            "criteria": '[{"id": "df.none", "text_vi": "Không có gì", "text_en": "Nothing"}]',
        },
    )


def test_months_are_those_stored_in_the_area_while_it_existed(demo_session: Session) -> None:
    new = demo_session.scalars(months_query("86", (date(2025, 7, 1), None), None)).all()
    old = demo_session.scalars(months_query("84", (date(2009, 4, 1), date(2025, 7, 1)), None))
    old_months = list(old)
    assert new == sorted(new, reverse=True) and new[-1] == date(2025, 7, 1)
    assert old_months and max(old_months) < date(2025, 7, 1) <= min(new)
    scope = _unit_id(demo_session, "79", "province")  # Hồ Chí Minh: nothing of 86 inside
    assert demo_session.scalars(months_query("86", (date(2025, 7, 1), None), scope)).all() == []


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


def _tile(session: Session, z: int, on: date, scope: int | None = None) -> list[dict[str, Any]]:
    x, y = tile_of(*TRA_VINH, z)
    rendered = tiles.render(session, "classification", z, x, y, on, scope_unit_id=scope)
    layers = mapbox_vector_tile.decode(rendered.body)
    return [f["properties"] for f in layers.get("classification", {"features": []})["features"]]


def test_tiles_carry_class_why_month_and_link(demo_session: Session) -> None:
    on = date(2025, 10, 31)
    found = {p["code"]: p for p in _tile(demo_session, 9, on)}
    expected = _rows(demo_session, area_code=TRA_VINH_WARD, as_of=on)[TRA_VINH_WARD]
    english = _rows(demo_session, area_code=TRA_VINH_WARD, as_of=on, lang="en")[TRA_VINH_WARD]
    ward = found[TRA_VINH_WARD]
    assert ward["class"] == expected["class"] and ward["month"] == "2025-10"
    assert ward["criteria_vi"] == expected["criteria"]
    assert ward["criteria_en"] == english["criteria"]
    assert ward["link"] == f"/map/commune/{TRA_VINH_WARD}"
    assert {p["class"] for p in found.values()} <= set(CLASSES)
    assert "no_data" in {p["class"] for p in found.values()}  # neighbours with nothing stored


ROUTE_ESCALATED = "29416"  # demo plan: type III band (20 <= A < 60) + key route -> type II


def test_a_route_escalation_names_the_band_that_held(demo_session: Session) -> None:
    """The popup says which type III criterion the key route escalated, not only the clause."""
    on = date(2025, 10, 31)
    vi = _rows(demo_session, area_code=ROUTE_ESCALATED, as_of=on)[ROUTE_ESCALATED]
    en = _rows(demo_session, area_code=ROUTE_ESCALATED, as_of=on, lang="en")[ROUTE_ESCALATED]
    assert vi["class"] == "type_2"
    assert "Có từ 20 đến dưới 60 người nghiện ma túy có hồ sơ quản lý" in vi["criteria"]
    assert vi["criteria"].endswith(" + nằm trên tuyến trọng điểm")
    assert "Có ít nhất 01 tiêu chí tại loại III" not in vi["criteria"]
    assert "20 to 59 registered drug addicts" in en["criteria"]
    assert en["criteria"].endswith(" + on a key route")
    (route,) = [c for c in _stored(demo_session, ROUTE_ESCALATED)[-1].criteria]
    assert route["id"] == "t2.route" and "t3.addicts" in route["via"]
    tile = {p["code"]: p for p in _tile(demo_session, 9, on)}[ROUTE_ESCALATED]
    assert (tile["criteria_vi"], tile["criteria_en"]) == (vi["criteria"], en["criteria"])


def test_tiles_below_zoom_7_are_empty_and_scope_cuts_them(demo_session: Session) -> None:
    on = date(2025, 10, 31)
    assert _tile(demo_session, 6, on) == []
    everyone = {p["code"] for p in _tile(demo_session, 7, on)}
    province = _unit_id(demo_session, "86", "province")
    scoped = {p["code"] for p in _tile(demo_session, 7, on, province)}
    in_86 = set(_rows(demo_session, area_code="86", as_of=on))
    assert scoped and scoped < everyone and scoped <= in_86
    commune = _unit_id(demo_session, TRA_VINH_WARD)
    assert {p["code"] for p in _tile(demo_session, 9, on, commune)} == {TRA_VINH_WARD}


def test_tiles_draw_classified_hamlets_from_zoom_11(demo_session: Session) -> None:
    hamlet = demo_session.execute(
        sa.text(
            "SELECT h.id, h.code FROM admin_unit h JOIN admin_unit c ON c.id = h.parent_id"
            " WHERE c.code = :code AND c.valid_to IS NULL AND h.level = 'hamlet' LIMIT 1"
        ),
        {"code": TRA_VINH_WARD},
    ).one()
    _store(demo_session, hamlet.id, "drug_free")
    on = date(2025, 10, 31)
    assert hamlet.code not in {p["code"] for p in _tile(demo_session, 10, on)}
    at_12 = {p["code"]: p for p in _tile(demo_session, 12, on)}
    assert at_12[hamlet.code]["class"] == "drug_free"
    assert at_12[hamlet.code]["criteria_en"] == "Nothing"
    assert "link" not in at_12[hamlet.code]  # no page below a commune


def test_tiles_as_of_a_pre_merger_month_draw_the_old_communes(demo_session: Session) -> None:
    old = {p["code"]: p for p in _tile(demo_session, 9, date(2025, 3, 31))}
    new = {p["code"]: p for p in _tile(demo_session, 9, date(2025, 10, 31))}
    assert "29392" in old and "29392" not in new  # Xã Song Lộc, merged on 1 July 2025
    assert old["29392"]["month"] == "2025-03"


def test_tile_popup_config_speaks_the_page_language() -> None:
    vi = tile_config("classification", "vi", {"month": "2025-10"})
    en = tile_config("classification", "en", {"month": "2025-10"})
    fields_vi = dict(vi["layers"]["classification"]["fields"])
    fields_en = dict(en["layers"]["classification"]["fields"])
    assert fields_vi["class"] == "Phân loại" and "criteria_vi" in fields_vi
    assert "criteria_en" not in fields_vi and "criteria_en" in fields_en
    assert vi["layers"]["classification"]["values"]["class"]["type_1"] == "Trọng điểm loại I"
    assert vi["layers"]["classification"]["fillBy"] == ["class", FILL]
    assert vi["linkSuffix"] == "?month=2025-10"
    assert en["linkSuffix"] == "?month=2025-10&lang=en"


@pytest.mark.parametrize(
    ("lang", "labels"),
    [
        (
            "vi",
            [
                "Trọng điểm loại I",
                "Trọng điểm loại II",
                "Trọng điểm loại III",
                "Ít phức tạp",
                "Không ma túy",
                "Thiếu dữ liệu",
                "Chưa có số liệu",
            ],
        ),
        ("en", ["Key area type I", "Drug-free", "Insufficient data", "No data"]),
    ],
)
def test_legend_lists_the_classes_with_the_hatch(lang: Any, labels: list[str]) -> None:
    section = page_legend.classification_section(
        lang, translator(lang), month="10/2025", counts={"type_1": 2}
    )
    html = legend.legend_html((section,), lang)
    positions = [html.index(f">{text}<") for text in labels]
    assert positions == sorted(positions)
    assert f'<pattern id="{HATCH_ID}"' in html
    assert html.count("swatch-hatch") == 1
    assert '<span class="legend-count">2</span>' in html
    assert "10/2025" in html


def test_a_reclassification_logs_an_edit_where_the_unit_is(demo_session: Session) -> None:
    """Migration 0005: the tile cache learns which classification tiles a new class touched."""
    unit = _unit_id(demo_session, "29410")
    version = sa.text("SELECT coalesce(max(version), 0) FROM layer_version WHERE layer = :l")
    before = demo_session.scalar(version, {"l": "classification"})
    changed = demo_session.execute(
        sa.text(
            "UPDATE classification SET class = 'type_1' WHERE admin_unit_id = :u AND month = "
            "(SELECT max(month) FROM classification WHERE admin_unit_id = :u)"
        ),
        {"u": unit},
    )
    assert changed.rowcount == 1
    after = demo_session.scalar(version, {"l": "classification"})
    assert after > before
    touched = demo_session.scalar(
        sa.text(
            "SELECT bool_and(e.bbox && ST_Transform(u.geom, 3857)) FROM layer_edit e, admin_unit u "
            "WHERE e.layer = 'classification' AND e.version > :v AND u.id = :u"
        ),
        {"v": before, "u": unit},
    )
    assert touched is True
