"""Coverage gaps on the demo data: the hamlets lacking a working board or a box, by the same
rule as the checklist counts, listed on the commune page and outlined on its map."""

from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from geoalchemy2 import WKTElement
from sqlalchemy.orm import Session
from test_pages import reader, unit_id

from geo_app import clock
from geo_app.errors import NotFound
from geo_app.maps.page_maps import draw_commune
from geo_app.models import AdminUnit, FacilityCondition, FacilitySite, HotlineBoard, TipoffBox
from geo_app.pages.common import PageMonth
from geo_app.pages.commune import commune_page
from geo_app.services.classification.derived import unit_inputs
from geo_app.services.coverage import coverage, gaps

HOA_MINH = "29410"
"""Every hamlet has a good board and a box in the demo data."""
HAMLET = "29410-T02"
"""Its only board is this hamlet's one."""
ON = date(2025, 12, 31)


def _in_hamlet(model: type[HotlineBoard] | type[TipoffBox]) -> sa.ColumnElement[bool]:
    hamlet = sa.select(AdminUnit.geom).where(AdminUnit.code == HAMLET).scalar_subquery()
    return sa.and_(sa.func.ST_Covers(hamlet, model.geom), model.deleted_at.is_(None))


def _damage_the_board(session: Session) -> None:
    [board] = session.scalars(sa.select(HotlineBoard).where(_in_hamlet(HotlineBoard))).all()
    board.condition = FacilityCondition.damaged
    session.flush()


def _point(geometry: dict[str, object]) -> WKTElement:
    lon, lat = geometry["coordinates"]  # type: ignore[misc]
    return WKTElement(f"POINT({lon} {lat})", srid=4326)


def test_a_hamlet_whose_only_board_is_damaged_is_listed_until_a_good_one_is_added(
    demo_session: Session,
) -> None:
    commune = unit_id(demo_session, HOA_MINH)
    assert gaps(demo_session, commune, ON) == ()
    _damage_the_board(demo_session)
    [gap] = gaps(demo_session, commune, ON)
    assert (gap.code, gap.level, gap.lacks) == (HAMLET, "hamlet", ("board",))
    assert gap.geometry["type"] in ("Polygon", "MultiPolygon")
    counts = unit_inputs(demo_session, commune, ON)
    assert counts["hamlets_with_good_board"] == counts["hamlets_total"] - 1  # the same rule
    board = HotlineBoard(
        geom=_point(gap.point),
        site=FacilitySite.public_place,
        phones=["0294 3000 000"],
        condition=FacilityCondition.good,
        installed_on=date(2025, 12, 1),
        admin_unit_id=commune,
    )
    demo_session.add(board)
    demo_session.flush()
    assert gaps(demo_session, commune, ON) == ()
    assert gaps(demo_session, commune, date(2025, 11, 30))[0].code == HAMLET  # not yet installed


def test_a_missing_box_and_a_damaged_board_are_both_named(demo_session: Session) -> None:
    commune = unit_id(demo_session, HOA_MINH)
    _damage_the_board(demo_session)
    missing = FacilityCondition.missing
    demo_session.execute(
        sa.update(TipoffBox).where(_in_hamlet(TipoffBox)).values(condition=missing)
    )
    found = coverage(demo_session, commune, ON)
    assert found.subunits == unit_inputs(demo_session, commune, ON)["subunits_total"]
    assert [(g.code, g.lacks) for g in found.gaps] == [(HAMLET, ("board", "box"))]
    with pytest.raises(NotFound):
        gaps(demo_session, -1, ON)


def test_the_commune_page_lists_and_outlines_the_gaps(demo_session: Session) -> None:
    _damage_the_board(demo_session)
    page = commune_page(demo_session, HOA_MINH, PageMonth(None, clock.today()), reader())
    assert page.coverage.title == "Thôn, tổ chưa có bảng tin / hòm thư"
    [item] = page.coverage.items
    assert (item.code, item.level_label) == (HAMLET, "Thôn, ấp, bản")
    assert item.lacks_label == "chưa có bảng tin còn tốt"
    [feature] = page.coverage.collection["features"]
    assert feature["properties"]["lacks_label"] == f"{item.name}: chưa có bảng tin còn tốt"
    legend = {i.label: i for section in page.legend for i in section.items}
    assert legend["Thôn, tổ chưa có bảng tin hoặc hòm thư"].shape == "outline"
    html = draw_commune(page, "none").get_root().render()
    assert '"dashArray": "6 4"' in html
    assert json.dumps(f"{item.name}: chưa có bảng tin còn tốt")[1:-1] in html
    english = commune_page(demo_session, HOA_MINH, PageMonth(None, clock.today()), reader("en"))
    assert english.coverage.items[0].lacks_label == "no hotline board in good condition"


def test_the_commune_page_view_shows_the_list_and_the_legend_line(
    national_client: FlaskClient, demo_session: Session
) -> None:
    code = "06058"  # Quốc Việt: several hamlets lack a board or a box in the demo data
    expected = gaps(demo_session, unit_id(demo_session, code), clock.today())
    assert expected
    html = national_client.get(f"/map/commune/{code}").get_data(as_text=True)
    assert "Thôn, tổ chưa có bảng tin / hòm thư" in html
    assert f'<span class="coverage-gaps-count">({len(expected)})</span>' in html
    for gap in expected:
        assert f'<span class="unit-code">{gap.code}</span>' in html
    assert "swatch-outline" in html and "Thôn, tổ chưa có bảng tin hoặc hòm thư" in html
    english = national_client.get(f"/map/commune/{code}?lang=en").get_data(as_text=True)
    assert "Hamlets and groups without a hotline board / tip-off box" in english
    full = national_client.get(f"/map/commune/{HOA_MINH}").get_data(as_text=True)
    assert "Mọi thôn, tổ đều có bảng tin còn tốt và hòm thư." in full
