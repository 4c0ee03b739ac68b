"""The classification map pages in real headless Chromium (Debian's /usr/bin/chromium).

Offline (every request to the app itself), no console error, the Vietnamese legend, a click on a
commune opening its class and criteria, the month selector redrawing the tiles, a phone-sized
viewport without horizontal scrolling. Screenshots go to test-output/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import sqlalchemy as sa
from _browser import assert_local, open_page
from playwright.sync_api import (
    Browser,
    Page,
)
from sqlalchemy.orm import Session

CLASSES_VI = (
    "Trọng điểm loại I",
    "Trọng điểm loại II",
    "Trọng điểm loại III",
    "Ít phức tạp",
    "Không ma túy",
)
MAP_OBJECT = "Object.keys(window).find((k) => k.startsWith('map_') && window[k].getZoom)"


def test_province_page_loads_offline_with_the_vietnamese_legend(
    browser: Browser, live_url: str, output_dir: Path
) -> None:
    page, watch = open_page(browser, live_url + "/map/province/86", 1920, 1080)
    assert watch.errors == []
    assert_local(watch, live_url)
    assert watch.tiles("province")  # classes and hotspots: one tile per z/x/y
    assert not watch.tiles("classification") and not watch.tiles("hotspots")
    assert not watch.tiles("hotline_boards")  # hidden until chosen in the layer control
    legend = page.locator(".geo-app-legend")
    assert legend.is_visible()
    text = legend.inner_text()
    for label in CLASSES_VI:
        assert label in text, label
    assert "Thiếu dữ liệu" in text and "Chưa có số liệu" in text
    # The communes are drawn by class: the DESIGN colours are on the map's paths.
    fills = page.evaluate(
        "() => Array.from(document.querySelectorAll('.leaflet-geoAppTiles-pane path'))"
        ".map((p) => p.getAttribute('fill'))"
    )
    assert "#b2182b" in fills or "#ef8a62" in fills
    assert any(f and f.startswith("url(#geo-app-hatch)") for f in fills)
    assert page.locator(".leaflet-control-layers").count() == 1
    assert page.locator(".leaflet-control-scale").count() == 1
    page.screenshot(path=str(output_dir / "maps_province_86_1920x1080.png"))
    page.close()


def _clickable_commune(session: Session) -> dict[str, Any]:
    """A classified commune of province 86 with criteria that fired, whose inscribed circle's
    centre lies away from routes, fields and hotspots (which are drawn over the communes)."""
    row = session.execute(
        sa.text(
            """
            SELECT u.code, u.name, ST_X(m.center) AS lon, ST_Y(m.center) AS lat,
                   c.criteria -> 0 ->> 'text_vi' AS criterion
            FROM admin_unit u
            JOIN admin_unit p ON p.id = u.parent_id AND p.code = '86'
            CROSS JOIN LATERAL ST_MaximumInscribedCircle(u.geom) m
            CROSS JOIN LATERAL (
                SELECT k.class, k.criteria FROM classification k
                WHERE k.admin_unit_id = u.id ORDER BY k.month DESC LIMIT 1
            ) c
            WHERE u.valid_to IS NULL
              AND c.class IN ('type_1', 'type_2', 'type_3')
              AND jsonb_array_length(c.criteria) > 0
              AND NOT EXISTS (SELECT 1 FROM route r
                              WHERE ST_DWithin(r.geom::geography, m.center::geography, 2000))
              AND NOT EXISTS (SELECT 1 FROM cultivation_site s
                              WHERE ST_DWithin(s.geom::geography, m.center::geography, 1500))
              AND NOT EXISTS (SELECT 1 FROM hotspot h
                              WHERE ST_DWithin(h.geom::geography, m.center::geography, 1500))
            ORDER BY m.radius DESC
            LIMIT 1
            """
        )
    ).one()
    return dict(row._mapping)


def _click_at(page: Page, lat: float, lon: float) -> None:
    x, y = page.evaluate(
        f"""([lat, lon]) => {{
            const map = window[{MAP_OBJECT}];
            const point = map.latLngToContainerPoint([lat, lon]);
            const box = map.getContainer().getBoundingClientRect();
            return [point.x + box.left, point.y + box.top];
        }}""",
        [lat, lon],
    )
    page.mouse.click(x, y)


def test_clicking_a_commune_opens_its_class_and_criteria(
    browser: Browser, live_url: str, demo_session: Session, output_dir: Path
) -> None:
    commune = _clickable_commune(demo_session)
    page, watch = open_page(browser, live_url + "/map/province/86", 1920, 1080)
    zoom = page.evaluate(f"() => window[{MAP_OBJECT}].getZoom()")
    assert zoom >= 7  # the classification tiles are drawn from zoom 7
    assert zoom % 1 < 0.5  # opens where Leaflet asks the lower zoom's (fewer, larger) tiles
    _click_at(page, commune["lat"], commune["lon"])
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5000)
    text = popup.inner_text()
    assert commune["name"] in text
    assert "Phân loại" in text and any(label in text for label in CLASSES_VI[:3])
    assert "Tiêu chí" in text and commune["criterion"] in text
    assert "Tháng số liệu" in text
    link = popup.locator("a")
    assert link.get_attribute("href") == f"/map/commune/{commune['code']}"
    page.wait_for_timeout(400)  # the popup fades in
    page.screenshot(path=str(output_dir / "maps_province_86_popup.png"))
    assert watch.errors == []
    page.close()


DRAWN_POINT = f"""() => {{
  const map = window[{MAP_OBJECT}];
  const box = map.getContainer().getBoundingClientRect();
  for (const grid of Object.values(map._layers)) {{
    for (const canvas of Object.values(grid._geoAppCanvases || {{}})) {{
      const tile = canvas.getCoord();
      if (!canvas._map || tile.z !== grid._tileZoom) continue;
      for (const point of Object.values(canvas._layers)) {{
        const pixel = tile.scaleBy(canvas._size).add(point._point);
        const at = map.latLngToContainerPoint(map.unproject(pixel, tile.z));
        if (at.x > 80 && at.y > 80 && at.x < box.width - 350 && at.y < box.height - 80) {{
          const layer = grid.options.geoApp.layers[point.properties.geoAppLayer];
          return [box.left + at.x, box.top + at.y, layer.title];
        }}
      }}
    }}
  }}
  return null;
}}"""


def test_points_are_drawn_on_a_canvas_and_open_their_popup(browser: Browser, live_url: str) -> None:
    page, watch = open_page(browser, live_url + "/map/province/86", 1920, 1080)
    assert page.locator(".leaflet-geoAppTiles-pane canvas").count() > 0
    found = page.evaluate(DRAWN_POINT)
    assert found, "no hotspot drawn on the canvas"
    x, y, title = found
    page.mouse.click(x, y)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5000)
    assert title in popup.inner_text()  # the point's (or count's) popup, not the commune's
    assert watch.errors == []
    page.close()


def test_month_selector_redraws_the_map_as_of_that_month(browser: Browser, live_url: str) -> None:
    page, watch = open_page(browser, live_url + "/map/province/86", 1280, 800)
    assert all("month=" not in url for url in watch.tiles("province"))
    with page.expect_navigation():
        page.select_option("#month-select", "2025-08")
    page.wait_for_load_state("networkidle")
    assert parse_qs(urlparse(page.url).query)["month"] == ["2025-08"]
    redrawn = [url for url in watch.tiles("province") if "month=2025-08-31" in url]
    assert redrawn
    assert page.locator("#month-select").input_value() == "2025-08"
    assert "08/2025" in page.locator(".geo-app-legend").inner_text()
    assert watch.errors == []
    page.close()


def test_phone_viewport_shows_map_and_panel_without_horizontal_scroll(
    browser: Browser, live_url: str, output_dir: Path
) -> None:
    page, watch = open_page(browser, live_url + "/map/province/86", 360, 740)
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    map_box = page.locator(".leaflet-container").bounding_box()
    assert map_box is not None and map_box["width"] <= 360 and map_box["height"] > 300
    legend = page.locator(".geo-app-legend details")
    assert legend.get_attribute("open") is None  # collapsed at first on a phone
    page.screenshot(path=str(output_dir / "maps_province_86_360x740.png"))
    page.locator(".month-form").scroll_into_view_if_needed()
    assert page.locator(".month-form select").is_visible()
    summary = page.locator("#summary-panel")
    summary.scroll_into_view_if_needed()
    box = summary.bounding_box()
    map_box = page.locator(".leaflet-container").bounding_box()  # in the same scroll position
    assert box is not None and map_box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert box["y"] >= map_box["y"] + map_box["height"] - 1  # below the map
    assert page.locator("#summary-panel .summary-class-type_1").is_visible()
    page.screenshot(path=str(output_dir / "maps_province_86_360x740_summary.png"))
    assert watch.errors == []
    page.close()


def test_projector_shows_the_summary_and_campaigns_beside_the_map(
    browser: Browser, live_url: str, output_dir: Path
) -> None:
    page, watch = open_page(browser, live_url + "/map/province/86", 1920, 1080)
    map_box = page.locator(".leaflet-container").bounding_box()
    summary = page.locator("#summary-panel")
    box = summary.bounding_box()
    assert map_box is not None and box is not None
    assert box["x"] >= map_box["x"] + map_box["width"] - 1  # in the side panel
    assert box["y"] + box["height"] <= 1080  # whole, without scrolling
    assert "Tóm tắt" in summary.inner_text()
    link = page.locator(".campaign-links a")
    assert link.count() == 1 and "Trà Vinh" in link.inner_text()
    link.click()
    page.wait_for_selector("#campaign-headline")
    assert "/map/campaign/" in page.url
    assert "mục tiêu đã được công nhận" in page.inner_text("#campaign-headline")
    page.screenshot(path=str(output_dir / "maps_province_86_to_campaign.png"))
    assert watch.errors == []
    page.close()


def test_commune_page_draws_pins_with_popups(
    browser: Browser, live_url: str, output_dir: Path
) -> None:
    page, watch = open_page(browser, live_url + "/map/commune/29242", 1920, 1080)
    assert watch.errors == []
    assert_local(watch, live_url)
    assert not watch.tiles("classification")  # a commune's features are embedded
    pins = page.locator(".geo-app-pin")
    assert pins.count() > 0
    pins.first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5000)
    assert "Tình trạng" in popup.inner_text()
    page.wait_for_timeout(400)
    page.screenshot(path=str(output_dir / "maps_commune_29242_1920x1080.png"))
    page.close()


def test_pre_2025_commune_page_shows_the_merge(
    browser: Browser, live_url: str, output_dir: Path
) -> None:
    page, watch = open_page(browser, live_url + "/map/commune/29392", 360, 740)
    note = page.locator(".page-note-merged")
    assert note.is_visible() or note.count() == 1
    assert "đã sáp nhập vào" in note.inner_text()
    assert note.locator("a").get_attribute("href") == "/map/commune/29386"
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    page.screenshot(path=str(output_dir / "maps_commune_29392_360x740.png"), full_page=True)
    assert watch.errors == []
    page.close()
