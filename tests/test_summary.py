"""The summary panel on real PostGIS: exact counts in a small world, the layers' rules on the
demo data, the user's scope, the partial and ``GET /api/summary``.

The small world (longitude × latitude, all at 10.00–10.01 N):

    province 91 (2025 map)   106.00 ──────────────────────── 106.03
      communes                91001 106.00–.01 · 91002 .01–.02 · 91003 .02–.03
    province 92 (2025 map)   106.10 ────────────── 106.12
      communes                92001 106.10–.11 · 92002 .11–.12
    province 90 (before the merger, until 1 July 2025) covers 91:
      communes                90001 106.000–.015 · 90002 .015–.030
    hamlets 91001-01, 91002-01, 92001-01 (each a whole commune)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from fractions import Fraction
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import log_in
from flask import Flask
from flask.testing import FlaskClient
from geoalchemy2 import WKTElement
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from geo_app.errors import NotFound
from geo_app.features import FeatureQuery, page
from geo_app.layers.base import LayerQuery
from geo_app.models import (
    AdminUnit,
    Classification,
    HotlineBoard,
    Hotspot,
    HotspotStatusChange,
    TipoffBox,
    TipoffInspection,
)
from geo_app.pages.summary_panel import number, percent
from geo_app.services.accounts.scope import OutOfScope
from geo_app.services.summary import CLASS_KEYS, Summary, summary

MAP_2025 = (date(2025, 7, 1), None)
BEFORE_MERGER = (date(2009, 4, 1), date(2025, 7, 1))
DELETED = datetime(2025, 8, 1, tzinfo=UTC)


def square(x0: float, x1: float, y0: float = 10.00, y1: float = 10.01) -> WKTElement:
    ring = f"{x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}"
    return WKTElement(f"MULTIPOLYGON((({ring})))", srid=4326)


def point(x: float, y: float = 10.005) -> WKTElement:
    return WKTElement(f"POINT({x} {y})", srid=4326)


@dataclass
class World:
    session: Session
    ids: dict[str, int]

    def at(self, on: date, area: str | None = None, scope: str | None = None) -> Summary:
        scope_id = None if scope is None else self.ids[scope]
        return summary(self.session, area_code=area, on=on, scope_unit_id=scope_id)


def _unit(
    session: Session,
    code: str,
    level: str,
    x: tuple[float, float],
    *,
    parent: int | None = None,
    valid: tuple[date, date | None] = MAP_2025,
) -> int:
    unit = AdminUnit(
        code=code,
        name=f"Đơn vị {code}",
        level=level,
        layout="2025" if valid == MAP_2025 else "pre2025",
        parent_id=parent,
        geom=square(*x),
        valid_from=valid[0],
        valid_to=valid[1],
        source="test",
    )
    session.add(unit)
    session.flush()
    return unit.id


def _classify(session: Session, unit: int, month: date, klass: str, **kw: Any) -> None:
    session.add(
        Classification(
            admin_unit_id=unit,
            month=month,
            rule_set=kw.pop("rule_set", "tra-vinh-2025"),
            class_=klass,
            criteria=[],
            inputs={},
            **kw,
        )
    )


def _hotspot(
    session: Session,
    owner: int,
    x: float,
    status: str,
    detected: date,
    history: tuple[tuple[str, date], ...] = (),
    **columns: Any,
) -> int:
    spot = Hotspot(
        geom=point(x),
        kind="den",
        status=status,
        detected_on=detected,
        source="patrol",
        admin_unit_id=owner,
        **columns,
    )
    session.add(spot)
    session.flush()
    for state, day in history:
        session.add(HotspotStatusChange(hotspot_id=spot.id, status=state, changed_on=day))
        session.flush()  # ids in this order: the later row wins a same-day tie
    return spot.id


def _build(session: Session) -> dict[str, int]:
    ids: dict[str, int] = {}
    unit = _unit
    ids["91"] = unit(session, "91", "province", (106.00, 106.03))
    ids["92"] = unit(session, "92", "province", (106.10, 106.12))
    ids["90"] = unit(session, "90", "province", (106.00, 106.03), valid=BEFORE_MERGER)
    for code, x, parent in (
        ("91001", (106.00, 106.01), "91"),
        ("91002", (106.01, 106.02), "91"),
        ("91003", (106.02, 106.03), "91"),
        ("92001", (106.10, 106.11), "92"),
        ("92002", (106.11, 106.12), "92"),
    ):
        ids[code] = unit(session, code, "commune", x, parent=ids[parent])
    for code, x in (("90001", (106.000, 106.015)), ("90002", (106.015, 106.030))):
        ids[code] = unit(session, code, "commune", x, parent=ids["90"], valid=BEFORE_MERGER)
    for commune, x in (
        ("91001", (106.00, 106.01)),
        ("91002", (106.01, 106.02)),
        ("92001", (106.10, 106.11)),
    ):
        ids[f"{commune}-01"] = unit(session, f"{commune}-01", "hamlet", x, parent=ids[commune])

    # Classes: a later month wins; of one month, the latest computed row; none is no_data.
    _classify(session, ids["91001"], date(2025, 7, 1), "type_1")
    _classify(session, ids["91001"], date(2025, 9, 1), "drug_free")
    _classify(session, ids["91002"], date(2025, 8, 1), "insufficient_data")
    _classify(session, ids["92001"], date(2025, 7, 1), "type_3")
    _classify(
        session,
        ids["92002"],
        date(2025, 7, 1),
        "type_2",
        rule_set="old-rules",
        computed_at=datetime(2025, 8, 1, tzinfo=UTC),
    )
    _classify(
        session,
        ids["92002"],
        date(2025, 7, 1),
        "less_complex",
        computed_at=datetime(2025, 8, 2, tzinfo=UTC),
    )
    _classify(session, ids["90001"], date(2025, 4, 1), "type_2")

    # Hotspots: status from the dated history, else the row's; a same-day tie goes to the later
    # row; a deleted one never counts.
    hamlet = ids["91001-01"]
    ids["h1"] = _hotspot(
        session,
        hamlet,
        106.005,
        "relapsed",
        date(2025, 7, 10),
        (
            ("active", date(2025, 7, 10)),
            ("cleared", date(2025, 8, 20)),
            ("relapsed", date(2025, 9, 15)),
        ),
        cleared_on=date(2025, 8, 20),
        relapsed_on=date(2025, 9, 15),
    )
    ids["h2"] = _hotspot(session, ids["91002-01"], 106.015, "under_attack", date(2025, 8, 5))
    ids["h3"] = _hotspot(session, ids["92001-01"], 106.105, "active", date(2025, 7, 1))
    ids["h4"] = _hotspot(
        session, ids["91002-01"], 106.016, "active", date(2025, 7, 1), deleted_at=DELETED
    )
    ids["h5"] = _hotspot(
        session,
        ids["91003"],
        106.025,
        "under_attack",
        date(2025, 7, 1),
        (("active", date(2025, 8, 1)), ("under_attack", date(2025, 8, 1))),
    )

    # Hotline boards: b1 checked 20 Sep; b2 missing; b3 installed in October; b4 undated and
    # never checked; b5 deleted; b7 filed under a pre-merger commune (its owner is found by
    # the boundary rule: 91002 after the merger, 90001 before).
    def board(key: str, owner: str, x: float, **columns: Any) -> None:
        item = HotlineBoard(
            geom=point(x), site="police_hq", phones=["113"], admin_unit_id=ids[owner], **columns
        )
        session.add(item)
        session.flush()
        ids[key] = item.id

    board(
        "b1", "91001-01", 106.005, installed_on=date(2025, 7, 1), last_checked_on=date(2025, 9, 20)
    )
    board("b2", "91002-01", 106.012, installed_on=date(2025, 7, 1), condition="missing")
    board("b3", "92001-01", 106.105, installed_on=date(2025, 10, 1))
    board("b4", "91003", 106.025)
    board("b5", "91002-01", 106.013, installed_on=date(2025, 7, 1), deleted_at=DELETED)
    board("b7", "90001", 106.012, installed_on=date(2025, 1, 1))

    # Tip-off boxes: x1 opened by an inspection on 25 Sep; x2 opened 1 Aug.
    def box(key: str, owner: str, x: float, **columns: Any) -> None:
        item = TipoffBox(geom=point(x), site="committee_hq", admin_unit_id=ids[owner], **columns)
        session.add(item)
        session.flush()
        ids[key] = item.id

    box("x1", "91002-01", 106.015, installed_on=date(2025, 7, 1))
    box("x2", "92001-01", 106.106, installed_on=date(2025, 5, 1), last_opened_on=date(2025, 8, 1))
    session.add(
        TipoffInspection(box_id=ids["x1"], inspected_on=date(2025, 9, 25), letters_received=2)
    )
    session.flush()
    return ids


@pytest.fixture
def world(empty_db: str, engine_for: Callable[[str], Engine]) -> Iterator[World]:
    with Session(engine_for(empty_db)) as session:
        yield World(session, _build(session))
        session.rollback()


def _classes(**counts: int) -> dict[str, int]:
    return {key: counts.get(key, 0) for key in CLASS_KEYS}


# --- communes per class -------------------------------------------------------------------


def test_classes_are_the_latest_stored_and_change_with_the_date(world: World) -> None:
    august = world.at(date(2025, 8, 31))
    assert august.communes == 5
    assert august.classes == _classes(
        type_1=1, insufficient_data=1, type_3=1, less_complex=1, no_data=1
    )
    september = world.at(date(2025, 9, 30))
    assert september.classes == _classes(
        drug_free=1, insufficient_data=1, type_3=1, less_complex=1, no_data=1
    )
    july = world.at(date(2025, 7, 31))
    assert july.classes == _classes(type_1=1, type_3=1, less_complex=1, no_data=2)


def test_an_area_counts_its_own_communes(world: World) -> None:
    province = world.at(date(2025, 9, 30), area="91")
    assert province.area is not None and province.area.name == "Đơn vị 91"
    assert province.communes == 3
    assert province.classes == _classes(drug_free=1, insufficient_data=1, no_data=1)
    commune = world.at(date(2025, 9, 30), area="92002")
    assert commune.communes == 1 and commune.classes == _classes(less_complex=1)


def test_before_the_merger_the_communes_of_the_time_are_counted(world: World) -> None:
    """Before 1 July 2025 the communes in force are the old ones, as the map draws them; a 2025
    province's page still finds its area and counts the old communes on its territory."""
    country = world.at(date(2025, 4, 30))
    assert country.communes == 2
    assert country.classes == _classes(type_2=1, no_data=1)
    province = world.at(date(2025, 4, 30), area="91")
    assert province.area is not None and province.area.code == "91"
    assert (province.communes, province.classes) == (2, country.classes)
    assert world.at(date(2025, 4, 30), area="92").communes == 0


# --- hotspots -------------------------------------------------------------------------------


def test_hotspot_statuses_follow_the_dated_history(world: World) -> None:
    def statuses(on: date, **kw: str) -> tuple[int, int, int, int]:
        h = world.at(on, **kw).hotspots
        return h["active"], h["under_attack"], h["cleared"], h["relapsed"]

    # h5's history starts on 1 Aug, so before it its row status (under attack) holds.
    assert statuses(date(2025, 7, 31)) == (2, 1, 0, 0)
    assert statuses(date(2025, 8, 31)) == (1, 2, 1, 0)  # h1 cleared, h2 detected, h5 tie
    assert statuses(date(2025, 9, 30)) == (1, 2, 0, 1)  # h1 relapsed
    assert statuses(date(2025, 6, 30)) == (0, 0, 0, 0)  # nothing detected yet
    assert statuses(date(2025, 9, 30), area="91") == (0, 2, 0, 1)
    assert statuses(date(2025, 9, 30), area="91001") == (0, 0, 0, 1)


# --- boards and boxes -----------------------------------------------------------------------


def test_board_and_box_coverage_and_ageing(world: World) -> None:
    september = world.at(date(2025, 9, 30))
    boards, boxes = september.boards, september.boxes
    # b1 (91001), b4 (91003), b7 (filed under 90001, standing in 91002); b2 missing, b3 not
    # yet installed, b5 deleted.
    assert (boards.communes_covered, boards.communes) == (3, 5)
    assert boards.share == Fraction(3, 5)
    assert boards.ageing == {"fresh": 1, "due": 0, "stale": 0, "never": 2}
    assert (boxes.communes_covered, boxes.installed) == (2, 2)
    assert boxes.ageing == {"fresh": 1, "due": 1, "stale": 0, "never": 0}

    assert world.at(date(2025, 11, 30)).boards.ageing == {
        "fresh": 0,
        "due": 1,
        "stale": 0,
        "never": 3,  # b3 is installed now
    }
    december = world.at(date(2025, 12, 31))
    assert december.boards.ageing["stale"] == 1 and december.boards.communes_covered == 4
    # The box's inspection of 25 Sep does not count on 20 Sep.
    assert world.at(date(2025, 9, 20)).boxes.ageing == {
        "fresh": 0,
        "due": 1,
        "stale": 0,
        "never": 1,
    }


def test_coverage_before_the_merger_uses_the_boundary_rule(world: World) -> None:
    april = world.at(date(2025, 4, 30))
    # b4 (undated) lies in 90002, b7 in 90001; b1 is not installed yet.
    assert (april.boards.communes_covered, april.boards.installed) == (2, 2)
    assert april.boxes.installed == 0  # x1 and x2 come later
    may = world.at(date(2025, 5, 31))
    assert (may.boxes.installed, may.boxes.communes_covered) == (1, 0)  # x2 lies in 92


def test_coverage_of_an_area_counts_its_own_communes(world: World) -> None:
    area = world.at(date(2025, 9, 30), area="91002")
    assert (area.boards.communes_covered, area.boards.installed) == (1, 1)  # b7
    assert (area.boxes.communes_covered, area.boxes.ageing["fresh"]) == (1, 1)  # x1


# --- scope and errors -----------------------------------------------------------------------


def test_scope_keeps_everything_inside(world: World) -> None:
    on = date(2025, 10, 31)
    scoped = world.at(on, scope="92")
    assert scoped.communes == 2
    assert scoped.classes == _classes(type_3=1, less_complex=1)
    assert scoped.hotspots == {"active": 1, "under_attack": 0, "cleared": 0, "relapsed": 0}
    assert (scoped.boards.installed, scoped.boards.communes_covered) == (1, 1)  # b3 only
    assert scoped.boxes.ageing == {"fresh": 0, "due": 0, "stale": 1, "never": 0}  # x2, 91 days
    assert world.at(on, area="92001", scope="92").communes == 1

    commune = world.at(on, scope="91001")
    assert commune.communes == 1 and commune.classes == _classes(drug_free=1)
    assert commune.hotspots["relapsed"] == 1 and sum(commune.hotspots.values()) == 1
    assert (commune.boards.installed, commune.boxes.installed) == (1, 0)


def test_an_area_outside_the_scope_is_refused(world: World) -> None:
    with pytest.raises(OutOfScope):
        world.at(date(2025, 9, 30), area="91", scope="92")
    with pytest.raises(OutOfScope):
        world.at(date(2025, 9, 30), area="91002", scope="91001")


def test_unknown_or_wrong_level_areas_are_not_found(world: World) -> None:
    with pytest.raises(NotFound, match="99999"):
        world.at(date(2025, 9, 30), area="99999")
    with pytest.raises(NotFound):
        world.at(date(2025, 9, 30), area="91001-01")  # a hamlet is not an area of the panel
    with pytest.raises(NotFound):
        world.at(date(2025, 9, 30), area="90")  # closed at the merger


# --- the layers' own rules, on the demo data ----------------------------------------------


@pytest.mark.parametrize(
    ("area", "on"),
    [
        (None, date(2024, 6, 30)),
        (None, date(2025, 3, 31)),
        (None, date(2025, 10, 31)),
        ("86", date(2025, 8, 31)),
        ("86", date(2025, 12, 31)),
    ],
)
def test_counts_agree_with_the_layers(demo_session: Session, area: str | None, on: date) -> None:
    figures = summary(demo_session, area_code=area, on=on, scope_unit_id=None)
    request = LayerQuery(as_of=on, area_code=area)
    spots = Counter(
        row["status"]
        for row in page(demo_session, FeatureQuery("hotspots", request, properties=("status",)))
    )
    assert figures.hotspots == {key: spots.get(key, 0) for key in figures.hotspots}
    assert sum(spots.values()) > 0
    for name, coverage in (("hotline_boards", figures.boards), ("tipoff_boxes", figures.boxes)):
        rows = page(demo_session, FeatureQuery(name, request, properties=("status", "ageing")))
        ageing = Counter(row["ageing"] for row in rows if row["status"] != "missing")
        assert coverage.ageing == {key: ageing.get(key, 0) for key in coverage.ageing}, name


def test_classes_agree_with_the_classification_layer(demo_session: Session) -> None:
    on = date(2025, 10, 31)
    figures = summary(demo_session, area_code="86", on=on, scope_unit_id=None)
    rows = page(
        demo_session,
        FeatureQuery(
            "classification",
            LayerQuery(as_of=on, area_code="86"),
            properties=("level", "class"),
        ),
    )
    drawn = Counter(row["class"] for row in rows if row["level"] == "commune")
    assert figures.classes == {key: drawn.get(key, 0) for key in CLASS_KEYS}
    assert figures.communes == 124


def test_scope_on_the_demo_data_matches_the_scoped_layers(demo_session: Session) -> None:
    on = date(2025, 10, 31)
    scope = demo_session.scalar(
        sa.select(AdminUnit.id).where(AdminUnit.code == "86", AdminUnit.valid_to.is_(None))
    )
    scoped = summary(demo_session, area_code=None, on=on, scope_unit_id=scope)
    province = summary(demo_session, area_code="86", on=on, scope_unit_id=None)
    assert scoped.communes == province.communes == 124
    assert scoped.classes == province.classes
    rows = page(
        demo_session,
        FeatureQuery("hotspots", LayerQuery(as_of=on, scope_unit_id=scope), properties=("status",)),
    )
    assert scoped.hotspots_total == len(rows) > 0
    national = summary(demo_session, area_code=None, on=on, scope_unit_id=None)
    assert national.communes == 3321 and national.hotspots_total > scoped.hotspots_total
    with pytest.raises(OutOfScope):
        summary(demo_session, area_code="01", on=on, scope_unit_id=scope)


# --- formatting and the partial -----------------------------------------------------------


def test_numbers_and_shares_are_formatted_per_language() -> None:
    assert number(3321, "vi") == "3.321" and number(3321, "en") == "3,321"
    assert number(1234567, "vi") == "1.234.567" and number(7, "en") == "7"
    assert percent(Fraction(1, 3), "vi") == "33,3 %" and percent(Fraction(1, 3), "en") == "33.3%"
    assert percent(Fraction(1, 16), "en") == "6.3%"  # 6.25 rounds half up
    assert percent(Fraction(1, 1), "vi") == "100,0 %" and percent(None, "vi") == "—"


def test_the_partial_in_both_languages(app: Flask, demo_session: Session) -> None:
    figures = summary(demo_session, area_code=None, on=date(2025, 10, 31), scope_unit_id=None)
    with app.test_request_context("/"):
        from flask import render_template

        vietnamese = render_template("_summary.html", summary=figures, lang="vi")
        english = render_template("_summary.html", summary=figures, lang="en")
    assert "<b>3.321</b> xã" in vietnamese and "<b>3,321</b> communes" in english
    for label in (
        "Trọng điểm loại I",
        "Không ma túy",
        "Đã triệt xóa",
        "Tái phức tạp",
        "Xã có bảng",
    ):
        assert label in vietnamese and label not in english
    for label in ("Key area type I", "Drug-free", "Cleared", "Relapsed", "Communes with a board"):
        assert label in english
    assert "--c:#b2182b" in vietnamese and "--c:#1a9850" in vietnamese  # DESIGN colours
    assert "sw-insufficient_data" in vietnamese  # hatched in summary.css
    assert "/static/summary.css" in vietnamese and "Toàn quốc" in vietnamese


# --- GET /api/summary ----------------------------------------------------------------------


def test_api_needs_a_login(client: FlaskClient) -> None:
    response = client.get("/api/summary?area=86&month=2025-10")
    assert response.status_code == 401


def test_api_answers_the_service_figures_and_the_partial(
    national_client: FlaskClient, demo_session: Session
) -> None:
    response = national_client.get("/api/summary?area=86&month=2025-10")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    body = response.get_json()
    expected = summary(demo_session, area_code="86", on=date(2025, 10, 31), scope_unit_id=None)
    assert body["on"] == "2025-10-31" and body["area"]["code"] == "86"
    assert body["communes"] == expected.communes == 124
    assert {k: v["count"] for k, v in body["classes"].items()} == expected.classes
    assert body["hotspots"]["total"] == expected.hotspots_total
    assert body["boards"]["communes_covered"] == expected.boards.communes_covered
    assert 'id="summary-panel"' in body["html"] and "Tỉnh Vĩnh Long" in body["html"]
    english = national_client.get("/api/summary?area=86&month=2025-10&lang=en").get_json()
    assert "Key area type I" in english["html"] and "Trọng điểm loại I" not in english["html"]
    assert national_client.get("/api/summary").get_json()["communes"] == 3321


def test_api_rejects_bad_months_and_unknown_areas(national_client: FlaskClient) -> None:
    for month in ("2025-13", "abc", "2025-02-30"):
        response = national_client.get(f"/api/summary?month={month}")
        assert response.status_code == 400, month
        assert "YYYY-MM" in response.get_json()["error"]
    unknown = national_client.get("/api/summary?area=00000&month=2025-10")
    assert unknown.status_code == 404 and "00000" in unknown.get_json()["error"]


def test_api_keeps_a_province_commander_in_scope(province_client: FlaskClient, app: Flask) -> None:
    outside = province_client.get("/api/summary?area=01&month=2025-10")
    assert outside.status_code == 403
    own = province_client.get("/api/summary?month=2025-10").get_json()
    assert own["communes"] == 124 and own["scoped"] is True
    assert "Trong phạm vi được giao" in own["html"] and "Toàn quốc" not in own["html"]
    inside = province_client.get("/api/summary?area=29242&month=2025-10")
    assert inside.status_code == 200 and inside.get_json()["communes"] == 1
    assert log_in(app.test_client(), "xem.vinhlong").get("/api/summary").status_code == 200
