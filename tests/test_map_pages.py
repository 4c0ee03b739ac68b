"""The province and commune map pages: classes as of a month, legend, notes, scope, size."""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import log_in
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from geo_app import clock
from geo_app.layers.hotspots import COUNT_COLOUR
from geo_app.maps.assets import assert_no_external_assets

CAMPAIGNS = Path(__file__).resolve().parent.parent / "geo_app" / "demo" / "campaigns.json"
CLASSES_VI = (
    "Trọng điểm loại I",
    "Trọng điểm loại II",
    "Trọng điểm loại III",
    "Ít phức tạp",
    "Không ma túy",
)
TILE_URL = re.compile(
    r"'(/tiles/(\w+)/\{z\}/\{x\}/\{y\}\.mvt\?v=\d+(?:&within=\d+)?(?:&month=([\d-]+))?)'"
)
PANEL_ITEM = re.compile(
    r'<li><span class="swatch[^"]*" style="background-color:[^"]+" title="([^"]+)"></span>\s*'
    r'<span class="unit-name"><a href="/map/commune/(\w+)'
)


@pytest.fixture
def client(national_client: FlaskClient) -> FlaskClient:
    return national_client


def _get(client: FlaskClient, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def _panel_classes(html: str) -> dict[str, str]:
    return {code: label for label, code in PANEL_ITEM.findall(html)}


def _tiles(html: str) -> dict[str, str | None]:
    return {name: month or None for _, name, month in TILE_URL.findall(html)}


def test_province_page_draws_classes_from_tiles_with_a_vietnamese_legend(
    client: FlaskClient,
) -> None:
    html = _get(client, "/map/province/86")
    assert_no_external_assets(html)
    for label in CLASSES_VI:
        assert f">{label}<" in html, label  # in the legend control
    assert ">Thiếu dữ liệu<" in html and ">Chưa có số liệu<" in html
    assert re.search(r'<pattern id=\\?"geo-app-hatch\\?"', html)  # inside the legend's JSON
    # A dense tile counts its hotspots per cell: the legend says what that circle is, in the
    # colour the tiles' style gives it (one constant for both).
    counted = "Số điểm, tụ điểm trong ô (bấm để xem; phóng to để thấy từng điểm)"
    assert re.search(
        rf"background-color:{COUNT_COLOUR}[^<]*<\\?/span><span[^>]*>{re.escape(counted)}<", html
    )
    assert f'"fillColor": "{COUNT_COLOUR}"' in html  # the count layer's style in the tile config
    tiles = _tiles(html)
    assert set(tiles) == {"province", "hamlets", "hotline_boards", "tipoff_boxes"}
    # Hamlets, boards and boxes wait in the layer control; classes and hotspots are drawn, from
    # one tile per z/x/y (the "province" set) by two grids, one each.
    for name, shown in (
        ("hotline_boards", [False]),
        ("tipoff_boxes", [False]),
        ("hamlets", [False]),
        ("province", [True, True]),
    ):
        grids = re.findall(
            rf"var (vector_grid_protobuf_\w+) = L\.vectorGrid\.protobuf\(\s*'/tiles/{name}/", html
        )
        assert [f"{grid}.addTo(" in html for grid in grids] == shown, name
    panel = _panel_classes(html)
    assert len(panel) == 124
    assert set(panel.values()) <= {*CLASSES_VI, "Thiếu dữ liệu", "Chưa có số liệu"}
    assert html.count("<option value=") >= 7  # "latest" and the six months of 2025-07 … 12
    # Only the province outline is embedded, as one mask polygon with the province as a hole.
    assert html.count('"type": "Polygon"') == 1


def test_month_selector_changes_the_classes_and_the_tile_urls(
    client: FlaskClient, demo_session: Session
) -> None:
    code, first, second = demo_session.execute(
        sa.text(
            """
            SELECT u.code, to_char(a.month, 'YYYY-MM'), to_char(b.month, 'YYYY-MM')
            FROM classification a
            JOIN classification b ON b.admin_unit_id = a.admin_unit_id
                 AND b.month = a.month + interval '1 month' AND b.class <> a.class
            JOIN admin_unit u ON u.id = a.admin_unit_id AND u.valid_to IS NULL
            JOIN admin_unit p ON p.id = u.parent_id AND p.code = '86'
            ORDER BY a.month, u.code LIMIT 1
            """
        )
    ).one()
    before = _get(client, f"/map/province/86?month={first}")
    after = _get(client, f"/map/province/86?month={second}")
    assert _panel_classes(before)[code] != _panel_classes(after)[code]
    assert _tiles(before)["province"] == f"{first}-{_last_day(first)}"
    assert _tiles(after)["province"] == f"{second}-{_last_day(second)}"
    assert _tiles(after)["hotline_boards"] == f"{second}-{_last_day(second)}"
    assert f'<option value="{first}" selected>' in before
    assert f"/map/commune/{code}?month={first}" in before  # drill-down keeps the month
    assert '"linkSuffix": "?month=' + first + '"' in before
    latest = _get(client, "/map/province/86")
    assert _tiles(latest)["province"] is None  # no month: today's


def _last_day(month: str) -> str:
    import calendar

    year, number = (int(part) for part in month.split("-"))
    return f"{calendar.monthrange(year, number)[1]:02d}"


@pytest.mark.parametrize(
    ("month", "message"),
    [
        ("2025-13", "không hợp lệ"),
        ("10-2025", "không hợp lệ"),
        ("2025-10-05", "không hợp lệ"),
        ("<script>", "không hợp lệ"),
        ("2999-01", "chưa tới"),
    ],
)
def test_bad_month_is_400_with_a_message(client: FlaskClient, month: str, message: str) -> None:
    for page in ("/map/province/86", "/map/commune/29242"):
        response = client.get(page, query_string={"month": month})
        assert response.status_code == 400
        text = response.get_data(as_text=True)
        assert message in text and "<script>" not in text


def test_english_page(client: FlaskClient) -> None:
    html = _get(client, "/map/province/86?lang=en&month=2025-10")
    assert ">Key area type I<" in html and ">Drug-free<" in html
    assert '<input type="hidden" name="lang" value="en">' in html
    assert "/map/commune/29242?month=2025-10&amp;lang=en" in html


def test_commune_page_colours_the_commune_with_class_and_why(
    client: FlaskClient, demo_session: Session
) -> None:
    html = _get(client, "/map/commune/29242?month=2025-10")
    assert_no_external_assets(html)
    stored = demo_session.execute(
        sa.text(
            "SELECT CAST(c.class AS text), c.criteria FROM classification c JOIN admin_unit u"
            " ON u.id = c.admin_unit_id WHERE u.code = '29242' AND u.valid_to IS NULL"
            " AND c.month = DATE '2025-10-01'"
        )
    ).one()
    label = {"type_1": "Trọng điểm loại I", "type_2": "Trọng điểm loại II"}.get(stored[0])
    if label:
        assert f'<strong class="class-label">{label}</strong>' in html
    assert stored[1][0]["text_vi"] in html
    assert "Tháng số liệu: 2025-10" in html
    aliases = [json.loads(found) for found in re.findall(r"let aliases = (\[.*\]);", html)]
    assert ["Tên", "Mã", "Phân loại", "Tiêu chí", "Tháng số liệu", "Thuộc", ""] in aliases
    # Hotspots, boards and boxes as clustered glyph pins, with the plugin served locally.
    assert html.count("L.markerClusterGroup(") == 3
    assert "/static/vendor/leaflet.markercluster/leaflet.markercluster.js" in html
    assert 'class=\\"pin pin-square\\"' in html or 'class="pin pin-square"' in html
    assert "L.vectorGrid" not in html  # a commune page embeds its few features


def test_commune_page_is_small_on_a_first_visit(client: FlaskClient) -> None:
    """The page and every script and stylesheet it loads, gzipped, within 300 KB."""
    html = _get(client, "/map/commune/29242")
    total = len(gzip.compress(html.encode()))
    assets = set(re.findall(r'(?:src|href)="(/static/[^"]+)"', html))
    assert any("leaflet.markercluster" in path for path in assets)
    for path in assets:
        response = client.get(path)
        assert response.status_code == 200, path
        total += len(gzip.compress(response.get_data()))
        response.close()
    assert total <= 300 * 1024, total


def test_province_page_asks_few_statements(client: FlaskClient, app: Flask) -> None:
    """The page's SQL does not grow with the number of communes (no query per row).

    Speed itself is measured by ``scripts/bench/maps.py``, not by a timed test; this guards the
    shape that makes it fast: a province of 124 communes is built with a handful of statements.
    """
    _get(client, "/map/province/86")  # warm: templates compiled, caches filled
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    engine = app.extensions["geo_app.engine"]
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        html = _get(client, "/map/province/86")
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert len(_panel_classes(html)) > 100
    assert 0 < len(statements) <= 25, statements


def test_pre_2025_commune_opens_with_the_merge_note(client: FlaskClient) -> None:
    html = _get(client, "/map/commune/29392")  # Xã Song Lộc, merged into 29386 on 1/7/2025
    assert "Xã Song Lộc (mã 29392) không còn từ ngày 01/07/2025: đã sáp nhập vào" in html
    assert '<a href="/map/commune/29386">Xã Song Lộc (29386)</a>' in html
    assert "đến ngày 30/06/2025" in html
    assert '<option value="2025-06" selected>' in html  # its last month, not today
    assert '<option value="2024-01">' in html
    assert 'href="/map/province/84?month=2025-06"' in html  # its own (old) province
    english = _get(client, "/map/commune/29392?lang=en")
    assert "merged into" in english and "/map/commune/29386?lang=en" in english


def test_old_commune_without_a_gso_code_names_its_successors(client: FlaskClient) -> None:
    html = _get(client, "/map/commune/vn2009-2090309")
    assert "đã sáp nhập vào" in html
    assert re.search(r'<a href="/map/commune/\d{5}">[^<]+ \(\d{5}\) — \d+ %</a>', html)


def test_a_reused_code_before_the_merger_shows_the_old_commune(client: FlaskClient) -> None:
    now = _get(client, "/map/commune/29386")
    assert "<strong>Xã Song Lộc</strong>" in now
    assert "Trước ngày 01/07/2025, mã 29386 là Xã Lương Hoà A" in now
    then = _get(client, "/map/commune/29386?month=2025-03")
    assert "<strong>Xã Lương Hoà A</strong>" in then and "đã sáp nhập vào" in then


def test_every_tra_vinh_target_opens(client: FlaskClient) -> None:
    campaigns = json.loads(CAMPAIGNS.read_text(encoding="utf-8"))["campaigns"]
    targets = next(c for c in campaigns if c["code"] == "tra-vinh-2025")["targets"]
    assert len(targets) >= 20
    outcomes: Counter[str] = Counter()
    for target in targets:
        html = _get(client, f"/map/commune/{target['code_gso']}")
        assert 'class="class-summary"' in html
        outcomes["merged" if "đã sáp nhập vào" in html else "current"] += 1
    assert outcomes["merged"] and outcomes["current"]


def test_old_province_opens_on_its_last_day(client: FlaskClient) -> None:
    html = _get(client, "/map/province/84")
    assert "đã sáp nhập vào" in html and '<a href="/map/province/86">' in html
    assert _tiles(html)["province"] == "2025-06-30"
    assert len(_panel_classes(html)) > 90  # its own communes, as they were


@pytest.mark.parametrize("path", ["/", "/map/province/86", "/map/commune/29242"])
def test_map_pages_load_none_of_folium_s_unused_scripts_and_styles(
    client: FlaskClient, path: str
) -> None:
    html = _get(client, path).lower()
    for unused in ("jquery", "bootstrap", "fontawesome", "awesome-markers", "glyphicons"):
        assert unused not in html, unused
    assert "vendor/leaflet/leaflet.js" in html
    assert '"fadeanimation": false' in html  # no tile fade: a phone restyles no tile per frame


def test_national_page_asks_one_tile_set_for_its_two_grids(client: FlaskClient) -> None:
    html = _get(client, "/")
    assert set(_tiles(html)) == {"country"}
    grids = re.findall(r"L\.vectorGrid\.protobuf\(\s*'/tiles/country/", html)
    assert len(grids) == 2  # areas as SVG, points on a canvas, one request per tile
    assert '"skip": ["hotspots", "hotspots_count"' in html  # the areas grid leaves the points
    assert '"bounds": [[7.0, 101.8], [23.6, 118.0]]' in html  # no tiles asked outside
    assert "map.options.zoomSnap" in html  # opens at a zoom drawn with the fewer tiles


def test_the_commune_page_without_tiles_fits_its_bounds_as_they_are(client: FlaskClient) -> None:
    html = _get(client, "/map/commune/29242")
    assert ".fitBounds(" in html and "map.options.zoomSnap" not in html


def test_unknown_codes_are_404(client: FlaskClient) -> None:
    assert client.get("/map/province/99").status_code == 404
    assert client.get("/map/commune/00000").status_code == 404


def test_pages_outside_the_scope_are_403(app: Flask, province_client: FlaskClient) -> None:
    assert province_client.get("/map/province/86").status_code == 200
    assert province_client.get("/map/commune/29242").status_code == 200
    assert province_client.get("/map/commune/29392").status_code == 200  # old, inside 86
    assert province_client.get("/map/province/79").status_code == 403
    assert province_client.get("/map/commune/26848").status_code == 403  # in Hồ Chí Minh
    officer = log_in(app.test_client(), "canbo.hoaminh")  # scope: commune 29410
    assert officer.get("/map/commune/29410").status_code == 200
    assert officer.get("/map/province/86").status_code == 403
    assert officer.get("/map/commune/29242").status_code == 403


def test_pages_need_a_login(app: Flask) -> None:
    anonymous = app.test_client()
    response = anonymous.get("/map/province/86")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- the summary panel and the campaign links (every map page) ---------------------------------

SUMMARY_CLASS = re.compile(
    r'<li class="summary-class-(\w+)">.*?<b class="summary-num">([\d.]+)</b>', re.S
)


def _summary_classes(html: str) -> dict[str, int]:
    panel = html[html.index('id="summary-panel"') :]
    panel = panel[: panel.index("</section>")]
    return {key: int(count.replace(".", "")) for key, count in SUMMARY_CLASS.findall(panel)}


def _campaign_ids(session: Session) -> dict[str, int]:
    from geo_app.models import Campaign

    return {c.code: c.id for c in session.scalars(sa.select(Campaign))}


@pytest.mark.parametrize(
    ("path", "area", "on"),
    [
        ("/map/province/86?month=2025-10", "86", "2025-10-31"),
        ("/map/commune/29242?month=2025-10", "29242", "2025-10-31"),
    ],
)
def test_unit_pages_show_the_summary_panel_as_of_their_month(
    client: FlaskClient, demo_session: Session, path: str, area: str, on: str
) -> None:
    from datetime import date

    from geo_app.services.summary import CLASS_KEYS, summary

    html = _get(client, path)
    assert html.count('id="summary-panel"') == 1
    assert f'data-on="{on}" data-area="{area}"' in html
    expected = summary(demo_session, area_code=area, on=date.fromisoformat(on), scope_unit_id=None)
    shown = _summary_classes(html)
    assert set(shown) == set(CLASS_KEYS)
    assert shown == expected.classes
    if area == "86":
        assert sum(shown.values()) == 124 and shown["no_data"] < 124  # classes really counted
    assert "Tóm tắt" in html and "Phân loại xã" in html
    assert "Điểm, tụ điểm ma túy" in html and "Bảng đường dây nóng" in html


def test_the_province_summary_follows_the_month_selector(client: FlaskClient) -> None:
    early = _summary_classes(_get(client, "/map/province/86?month=2025-02"))
    late = _summary_classes(_get(client, "/map/province/86?month=2025-11"))
    assert early != late  # the demo's classes change over the campaign


def test_national_page_shows_the_summary_and_every_campaign(
    client: FlaskClient, demo_session: Session
) -> None:

    from geo_app.services.summary import summary

    html = _get(client, "/")
    assert f'data-on="{clock.today().isoformat()}" data-area=""' in html
    expected = summary(demo_session, area_code=None, on=clock.today(), scope_unit_id=None)
    assert _summary_classes(html) == expected.classes
    assert sum(expected.classes.values()) > 3000  # the whole country's communes
    ids = _campaign_ids(demo_session)
    assert len(ids) == 4
    for campaign_id in ids.values():
        assert f'href="/map/campaign/{campaign_id}"' in html
    assert "Kế hoạch (4)" in html or ">Kế hoạch <" in html


def test_province_page_links_the_campaigns_touching_it(
    client: FlaskClient, demo_session: Session
) -> None:
    ids = _campaign_ids(demo_session)
    html = _get(client, "/map/province/86")
    links = set(re.findall(r'href="/map/campaign/(\d+)[^"]*"', html))
    assert links == {str(ids["tra-vinh-2025"])}
    assert "trên địa bàn tỉnh Trà Vinh năm 2025</a>" in html
    page = _get(client, f"/map/campaign/{ids['tra-vinh-2025']}")
    assert "mục tiêu đã được công nhận" in page
    english = _get(client, "/map/province/86?lang=en")
    assert f'href="/map/campaign/{ids["tra-vinh-2025"]}?lang=en"' in english
    assert "Campaigns" in english and "Summary" in english
    # Hóc Môn's campaign lies in Hồ Chí Minh City (79), not in Vĩnh Long.
    hcm = _get(client, "/map/province/79")
    assert f'href="/map/campaign/{ids["hoc-mon-2024"]}"' in hcm
    assert f'href="/map/campaign/{ids["tra-vinh-2025"]}"' not in hcm


def test_commune_page_links_the_campaigns_targeting_it(
    client: FlaskClient, demo_session: Session
) -> None:
    from geo_app.models import AdminUnit, CampaignTarget

    ids = _campaign_ids(demo_session)
    code = demo_session.scalar(
        sa.select(AdminUnit.code)
        .join(CampaignTarget, CampaignTarget.admin_unit_id == AdminUnit.id)
        .where(CampaignTarget.campaign_id == ids["tra-vinh-2025"])
        .order_by(AdminUnit.code)
        .limit(1)
    )
    assert code is not None
    html = _get(client, f"/map/commune/{code}")
    assert f'href="/map/campaign/{ids["tra-vinh-2025"]}"' in html
    assert 'id="summary-panel"' in html


def test_a_scoped_user_sees_no_campaign_outside_the_scope(
    province_client: FlaskClient, demo_session: Session
) -> None:
    from geo_app.models import User
    from geo_app.services.campaigns.listing import campaigns_touching

    ids = _campaign_ids(demo_session)
    html = _get(province_client, "/map/province/86")
    assert set(re.findall(r'href="/map/campaign/(\d+)', html)) == {str(ids["tra-vinh-2025"])}
    assert 'data-area="86"' in html
    # Everything the user may see: the national overview sends them home; the listing keeps
    # only the campaign of their province.
    assert province_client.get("/").status_code == 302
    scope = demo_session.scalar(sa.select(User.scope_unit_id).where(User.login == "vinhlong"))
    assert scope is not None
    found = campaigns_touching(demo_session, None, None, scope)
    assert [c.code for c in found] == ["tra-vinh-2025"]
    assert province_client.get(f"/map/campaign/{ids['hoc-mon-2024']}").status_code == 403
