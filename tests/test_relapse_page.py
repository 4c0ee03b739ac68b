"""Relapse candidates on the demo data: a hotspot marked 150 m from a cleared one (by the field
service itself) is listed and ringed on its commune page and counted by the summary."""

from __future__ import annotations

import json
import math
import uuid

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from test_pages import reader, unit_id

from geo_app import clock
from geo_app.maps.page_maps import draw_commune
from geo_app.pages.common import PageMonth
from geo_app.pages.commune import commune_page
from geo_app.pages.summary_panel import view
from geo_app.services.field import edit
from geo_app.services.field.inputs import Writer
from geo_app.services.summary import summary

NOW = PageMonth(None, clock.today())
CLEARED = """
SELECT h.id, c.code, ST_X(h.geom) AS lon, ST_Y(h.geom) AS lat
FROM hotspot h
JOIN admin_unit c ON c.level = 'commune' AND c.valid_to IS NULL AND ST_Covers(c.geom, h.geom)
CROSS JOIN LATERAL hotspot_status_on(h.id, h.status, h.cleared_on, h.relapsed_on, :on) s(status)
WHERE h.deleted_at IS NULL AND s.status = 'cleared'
  AND ST_Covers(c.geom, ST_SetSRID(ST_MakePoint(ST_X(h.geom), ST_Y(h.geom) + :dlat), 4326))
ORDER BY h.id
LIMIT 1
"""
METRES_PER_DEGREE = 111_320.0


@pytest.fixture
def marked(demo_session: Session) -> tuple[str, int, int]:
    """(commune code, cleared id, new id): a hotspot marked 150 m north of a cleared one."""
    dlat = 150 / METRES_PER_DEGREE
    row = demo_session.execute(sa.text(CLEARED), {"on": clock.today(), "dlat": dlat}).one()
    writer = Writer("canbo.test", "admin", None, "vi")
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [row.lon, row.lat + dlat]},
        "properties": {"client_id": str(uuid.uuid4()), "kind": "retail", "source": "patrol"},
    }
    made = edit.create(demo_session, writer, "hotspots", feature, relapse_radius_m=300)
    flag = made.body["flags"]["relapse_candidate"]
    assert flag is not None  # this one, or another cleared one even nearer
    assert flag["id"] != row.id or math.isclose(flag["distance_m"], 150, abs_tol=3)
    return row.code, int(flag["id"]), int(made.body["id"])


def test_the_commune_page_lists_and_rings_a_relapse_candidate(
    demo_session: Session, marked: tuple[str, int, int]
) -> None:
    code, cleared, new = marked
    page = commune_page(demo_session, code, NOW, reader())
    [item] = [i for i in page.relapse.items if i.id == new]
    assert item.text.startswith(f"Nghi tái phức tạp: gần điểm đã triệt xóa #{cleared}, ")
    metres = int(item.text.rsplit(", ", 1)[1].removesuffix(" m"))
    assert 0 <= metres <= 150 + 3
    assert page.relapse.title == "Nghi tái phức tạp"
    html = draw_commune(page, "none").get_root().render()
    assert json.dumps(f"#{new} {item.kind_label}: {item.text}")[1:-1] in html
    legend = {i.label: i for section in page.legend for i in section.items}
    assert legend["Nghi tái phức tạp (gần điểm đã triệt xóa)"].shape == "ring"
    english = commune_page(demo_session, code, NOW, reader("en"))
    assert [i.text for i in english.relapse.items if i.id == new] == [
        f"Suspected relapse: near cleared point #{cleared}, {metres} m"
    ]


def test_the_summary_counts_relapse_candidates_of_the_unit_and_scope(
    demo_session: Session, marked: tuple[str, int, int]
) -> None:
    code, _cleared, _new = marked
    here = summary(demo_session, area_code=code, on=clock.today(), scope_unit_id=None)
    listed = commune_page(demo_session, code, NOW, reader()).relapse.items
    assert here.relapse_candidates == len(listed) >= 1
    assert here.as_dict()["relapse_candidates"] == here.relapse_candidates
    country = summary(demo_session, area_code=None, on=clock.today(), scope_unit_id=None)
    assert country.relapse_candidates >= here.relapse_candidates
    own = summary(
        demo_session, area_code=None, on=clock.today(), scope_unit_id=unit_id(demo_session, code)
    )
    assert own.relapse_candidates == here.relapse_candidates
    other = "29410" if code != "29410" else "29242"
    scoped = summary(
        demo_session, area_code=None, on=clock.today(), scope_unit_id=unit_id(demo_session, other)
    )
    there = summary(demo_session, area_code=other, on=clock.today(), scope_unit_id=None)
    assert scoped.relapse_candidates == there.relapse_candidates  # ours is not in their scope
    earlier = clock.today().replace(year=2020)
    before = summary(demo_session, area_code=code, on=earlier, scope_unit_id=None)
    assert before.relapse_candidates == here.relapse_candidates - 1  # ours: detected today
    words = view(here, "vi", reader().gettext)
    assert words["relapse_candidates"] == str(here.relapse_candidates)
    assert words["text"]["relapse"] == "Nghi tái phức tạp (gần điểm đã triệt xóa)"


def test_the_summary_panel_shows_the_relapse_line(national_client: FlaskClient) -> None:
    html = national_client.get("/map/commune/29410").get_data(as_text=True)
    assert '<p class="summary-relapse">Nghi tái phức tạp (gần điểm đã triệt xóa): <b' in html


def test_a_cleared_point_outside_the_readers_scope_is_not_named(demo_session: Session) -> None:
    """The link crosses the border (commune 29410's hotspot near one cleared elsewhere): the
    commune's officer learns there is one outside the area, a national reader which one."""
    here = unit_id(demo_session, "29410")
    row = demo_session.execute(
        sa.text(
            """
            SELECT (SELECT h.id FROM hotspot h WHERE h.deleted_at IS NULL
                      AND ST_Covers(u.geom, h.geom) AND h.detected_on <= :on
                    ORDER BY h.id LIMIT 1) AS mine,
                   (SELECT h.id FROM hotspot h WHERE h.deleted_at IS NULL
                      AND h.status = 'cleared' AND NOT ST_Intersects(u.geom, h.geom)
                    ORDER BY h.id LIMIT 1) AS theirs
            FROM admin_unit u WHERE u.id = :unit
            """
        ),
        {"unit": here, "on": clock.today()},
    ).one()
    demo_session.execute(
        sa.text(
            "UPDATE hotspot SET relapse_of_id = :theirs, relapse_distance_m = 123 WHERE id = :mine"
        ),
        {"mine": row.mine, "theirs": row.theirs},
    )
    scoped = commune_page(demo_session, "29410", NOW, reader(scope=here))
    [item] = [i for i in scoped.relapse.items if i.id == row.mine]
    assert item.text == "Nghi tái phức tạp: gần một điểm đã triệt xóa ở ngoài địa bàn của bạn"
    national = commune_page(demo_session, "29410", NOW, reader())
    [item] = [i for i in national.relapse.items if i.id == row.mine]
    assert item.text == f"Nghi tái phức tạp: gần điểm đã triệt xóa #{row.theirs}, 123 m"
