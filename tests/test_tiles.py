"""Vector tiles on real PostGIS: zoom gates, counts, as-of month, gzip, ETag, versions, cache."""

from __future__ import annotations

import gzip
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mapbox_vector_tile
import pytest
import sqlalchemy as sa
from _browser import CHROMIUM
from conftest import NATIONAL_LOGIN, add_national_admin, browser_log_in, log_in, make_settings
from flask.testing import FlaskClient
from playwright.sync_api import sync_playwright
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from geo_app import clock, create_app
from geo_app.layers.hotspots import DENSE_TILE
from geo_app.services.tiles import render
from geo_app.services.tiles.cache import TileCache


@pytest.fixture
def client(national_client: FlaskClient) -> FlaskClient:
    """These pages and APIs need a login: the demo admin (national scope) sees everything."""
    return national_client


TRA_VINH = (106.343, 9.935)  # Phường Trà Vinh
EXTENT = 4096


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


def fetch(client: FlaskClient, path: str, **headers: str) -> tuple[TestResponse, dict[str, Any]]:
    response = client.get(path, headers=headers)
    body = response.data
    if response.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    layers = mapbox_vector_tile.decode(body) if response.status_code == 200 else {}
    return response, layers


def tile_path(name: str, z: int, lon: float = TRA_VINH[0], lat: float = TRA_VINH[1]) -> str:
    x, y = tile_of(lon, lat, z)
    return f"/tiles/{name}/{z}/{x}/{y}.mvt"


def props(layers: dict[str, Any], layer: str) -> list[dict[str, Any]]:
    return [f["properties"] for f in layers[layer]["features"]]


def test_admin_set_follows_the_zoom_gates(client: FlaskClient) -> None:
    response, layers = fetch(client, tile_path("admin", 5))
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.mapbox-vector-tile"
    assert set(layers) == {"provinces"}
    assert {"code": "86", "link": "/map/province/86"}.items() <= _by_code(layers, "provinces")[
        "86"
    ].items()
    _, layers = fetch(client, tile_path("admin", 8))
    assert set(layers) == {"provinces", "communes"}
    _, layers = fetch(client, tile_path("admin", 12))
    assert set(layers) == {"communes", "hamlets"}
    ward = _by_code(layers, "communes")["29242"]
    assert ward["name"] == "Phường Trà Vinh" and ward["link"] == "/map/commune/29242"
    hamlets = props(layers, "hamlets")
    assert hamlets and all("(demo)" in h["name"] and "link" not in h for h in hamlets)


def _by_code(layers: dict[str, Any], layer: str) -> dict[str, dict[str, Any]]:
    return {p["code"]: p for p in props(layers, layer)}


def test_month_draws_the_units_in_force_then(client: FlaskClient) -> None:
    _, now = fetch(client, tile_path("admin", 9))
    _, before = fetch(client, tile_path("admin", 9) + "?month=2024-06")
    assert "districts" in before and "districts" not in now
    old, new = set(_by_code(before, "communes")), set(_by_code(now, "communes"))
    assert old and new and old != new


def _in_tile(feature: dict[str, Any]) -> bool:
    x, y = feature["geometry"]["coordinates"]
    return 0 <= x < EXTENT and 0 <= y < EXTENT


def _counted(client: FlaskClient, z: int, x: int, y: int) -> tuple[int, int]:
    _, layers = fetch(client, f"/tiles/points/{z}/{x}/{y}.mvt")
    cells = [f for f in layers.get("hotspots_count", {"features": []})["features"] if _in_tile(f)]
    return sum(c["properties"]["count"] for c in cells), sum(
        c["properties"]["active"] for c in cells
    )


def test_points_below_zoom_10_are_counts_that_add_up(
    client: FlaskClient, demo_session: Session
) -> None:
    _, layers = fetch(client, tile_path("points", 10))
    assert {"hotspots", "hotline_boards", "tipoff_boxes"} <= set(layers)
    statuses = {p["status"] for p in props(layers, "hotspots")}
    assert statuses <= {"active", "under_attack", "cleared", "relapsed"} and statuses
    x, y = tile_of(*TRA_VINH, 8)
    total, active = _counted(client, 8, x, y)
    children = [_counted(client, 9, 2 * x + i, 2 * y + j) for i in (0, 1) for j in (0, 1)]
    assert total == sum(c[0] for c in children)
    assert active == sum(c[1] for c in children) and 0 < active < total
    expected = demo_session.execute(
        sa.text(
            "SELECT count(*) FROM hotspot WHERE deleted_at IS NULL AND detected_on <= :d "
            "AND ST_Intersects(geom, ST_Transform(ST_TileEnvelope(8, :x, :y), 4326))"
        ),
        {"d": clock.today(), "x": x, "y": y},
    ).scalar_one()
    assert total == expected > 0
    _, counts = fetch(client, f"/tiles/points/8/{x}/{y}.mvt")
    assert "hotspots" not in counts and "hotspots_count" in counts


def _by_id(layer: dict[str, Any]) -> dict[Any, Any]:
    """A decoded MVT layer's features by id: PostGIS gives no order within a layer."""
    return {feature["id"]: feature for feature in layer["features"]}


def test_a_page_s_tile_set_carries_all_its_layers_in_one_tile(client: FlaskClient) -> None:
    """The sets the pages ask (one request per z/x/y) hold what the separate tiles held."""
    _, country = fetch(client, tile_path("country", 6))
    assert {"provinces", "hotspots_count", "hotline_boards_count", "tipoff_boxes_count"} <= set(
        country
    )
    _, admin = fetch(client, tile_path("admin", 6))
    _, points = fetch(client, tile_path("points", 6))
    separate = {**admin, **points}
    assert set(country) == set(separate)
    assert all(_by_id(country[name]) == _by_id(separate[name]) for name in country)
    _, province = fetch(client, tile_path("province", 10))
    assert set(province) == {"classification", "hotspots"}
    _, classes = fetch(client, tile_path("classification", 10))
    assert _by_id(province["classification"]) == _by_id(classes["classification"])
    response, _ = fetch(client, tile_path("campaign", 10))
    assert response.status_code == 400  # the campaign's progress needs ?campaign=<id>


def _province_of(client: FlaskClient, codes: set[str], on: str = "2025-12-31") -> set[str]:
    """The 2025 province code of each commune code (the parent chain, on ``on``)."""
    engine = client.application.extensions["geo_app.engine"]
    with engine.connect() as connection:
        return set(
            connection.execute(
                sa.text(
                    "SELECT p.code FROM admin_unit c JOIN admin_unit p ON p.id = c.parent_id "
                    "WHERE c.code = ANY(:codes) AND c.level = 'commune' AND p.level = 'province' "
                    "AND c.valid_from <= :on AND (c.valid_to IS NULL OR c.valid_to > :on)"
                ),
                {"codes": sorted(codes), "on": on},
            ).scalars()
        )


def _unit_id(client: FlaskClient, code: str) -> int:
    engine = client.application.extensions["geo_app.engine"]
    with engine.connect() as connection:
        return int(
            connection.execute(
                sa.text("SELECT id FROM admin_unit WHERE code = :code AND valid_to IS NULL"),
                {"code": code},
            ).scalar_one()
        )


def test_within_draws_a_national_user_s_tile_inside_one_province(client: FlaskClient) -> None:
    """The province page asks its tiles ``within`` its province: the neighbours' communes and
    hotspots are left out for everyone, as a province commander's tiles leave them out."""
    path = tile_path("province", 8)
    _, everything = fetch(client, path)
    vinh_long = _unit_id(client, "86")
    _, within = fetch(client, f"{path}?within={vinh_long}")
    all_codes = {f["code"] for f in props(everything, "classification")}
    codes = {f["code"] for f in props(within, "classification")}
    assert len(_province_of(client, all_codes)) > 1  # the tile reaches over the border
    assert codes and codes < all_codes
    assert _province_of(client, codes) == {"86"}
    assert _province_of(client, all_codes - codes) and "86" not in _province_of(
        client, all_codes - codes
    )
    counted = [sum(f["count"] for f in props(t, "hotspots_count")) for t in (within, everything)]
    assert 0 < counted[0] < counted[1]  # at zoom 8 hotspots come as counts per cell


def test_within_never_widens_a_scoped_user_s_tiles(
    client: FlaskClient, province_client: FlaskClient
) -> None:
    """A province commander asking another province's tiles still gets only their own."""
    path = tile_path("province", 8)
    _, own = fetch(province_client, path)
    can_tho = _unit_id(client, "92")
    _, asked = fetch(province_client, f"{path}?within={can_tho}")
    assert _by_id(asked["classification"]) == _by_id(own["classification"])
    assert _province_of(client, {f["code"] for f in props(asked, "classification")}) == {"86"}


def test_warming_makes_the_pages_first_tiles_and_then_only_checks_them(
    demo_session: Session,
) -> None:
    from geo_app.services.tiles import warm

    connection = demo_session.connection()
    planned = warm.planned(connection)
    zooms = {(name, z) for name, z, _, _ in planned}
    assert zooms == {("country", z) for z in (5, 6, 7)} | {("province", z) for z in (9, 10)}
    x, y = tile_of(*TRA_VINH, 10)
    assert ("province", 10, x, y) in planned
    assert ("province", 10, 0, 0) not in planned  # no land there: never asked
    cache = TileCache()
    assert warm.warm(connection, cache) == len(planned) == len(cache) == cache.misses
    warm.warm(connection, cache)
    assert cache.misses == len(planned) and cache.hits == len(planned)


def test_gzip_etag_and_not_modified(client: FlaskClient) -> None:
    path = tile_path("admin", 11)
    plain, plain_layers = fetch(client, path, **{"Accept-Encoding": "identity"})
    zipped, zipped_layers = fetch(client, path, **{"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert len(zipped.data) < len(plain.data) and zipped_layers == plain_layers
    # Tiles differ by encoding and by who asks (the scope rides on the session cookie).
    assert {"Accept-Encoding", "Cookie"} <= {v.strip() for v in zipped.headers["Vary"].split(",")}
    etag = zipped.headers["ETag"]
    assert etag == plain.headers["ETag"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert client.get(path, headers={"If-None-Match": 'W/"other"'}).status_code == 200


def test_data_version_in_the_url(client: FlaskClient) -> None:
    template = next(s["tiles"] for s in client.get("/api/layers").get_json()["sets"])
    version = template.rsplit("?v=", 1)[1]
    x, y = tile_of(*TRA_VINH, 9)
    path = template.replace("{z}", "9").replace("{x}", str(x)).replace("{y}", str(y))
    current = client.get(path)
    assert current.headers["X-Data-Version"] == version and int(version) > 0
    assert current.headers["Cache-Control"] == "private, max-age=3600"
    stale = client.get(path.replace(f"?v={version}", "?v=0"))
    assert stale.headers["Cache-Control"] == "private, no-cache"
    assert stale.headers["ETag"] == current.headers["ETag"]


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/tiles/admin/23/0/0.mvt", 400, "zoom 23 is out of range"),
        ("/tiles/admin/2/4/0.mvt", 400, "x and y must be 0 to 3"),
        ("/tiles/admin/2/0/-1.mvt", 400, "x and y must be 0 to 3"),
        ("/tiles/admin/z/0/0.mvt", 400, "tile z 'z' is not a whole number"),
        ("/tiles/admin/1/0/0.mvt?month=2025-13", 400, "Tháng «2025-13» không hợp lệ"),
        ("/tiles/admin/1/0/0.mvt?month=9999-12", 400, "Tháng 9999-12 chưa tới"),
        ("/tiles/admin/1/0/0.mvt?month=2026-01&lang=en", 400, "Month 2026-01 is in the future"),
        ("/tiles/nothing/1/0/0.mvt", 404, "no tile layer or set"),
        ("/tiles/admin/1/0/0.mvt?within=-5", 400, "within '-5' is not a unit id"),
        ("/tiles/admin/1/0/0.mvt?within=%C2%B2", 400, "is not a unit id"),
        ("/tiles/admin/1/0/0.mvt?within=" + "9" * 20, 400, "is not a unit id"),
        ("/tiles/communes/1/0/0.mvt", 200, ""),
    ],
)
def test_bad_tile_requests(client: FlaskClient, path: str, status: int, message: str) -> None:
    response = client.get(path)
    assert response.status_code == status
    if status != 200:  # errors of machine paths are JSON
        assert message in response.get_json()["error"]


# --- an edit invalidates exactly the tiles it touched --------------------------------------

NEAR, FAR, MOVED = (106.305, 9.905), (105.80, 21.00), (106.60, 10.30)


def _seed(engine: Engine) -> None:
    with engine.begin() as conn:
        unit = conn.execute(
            sa.text(
                "INSERT INTO admin_unit (code, name, level, layout, geom, valid_from, source) "
                "VALUES ('29242', 'Phường Thử', 'commune', '2025', ST_GeomFromEWKT("
                "'SRID=4326;MULTIPOLYGON(((106.30 9.90,106.31 9.90,106.31 9.91,106.30 9.91,"
                "106.30 9.90)))'), '2025-07-01', 'test') RETURNING id"
            )
        ).scalar_one()
        for lon, lat in (NEAR, FAR):
            conn.execute(
                sa.text(
                    "INSERT INTO hotspot (geom, kind, status, detected_on, source, admin_unit_id) "
                    "VALUES (ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), 'den', 'active', "
                    "'2025-01-05', 'patrol', :u)"
                ),
                {"lon": lon, "lat": lat, "u": unit},
            )


def _edit(engine: Engine, sql: str, lon: float, lat: float) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(sql), {"lon": lon, "lat": lat})


def test_an_edit_invalidates_only_the_tiles_it_touched(
    empty_db: str, engine_for: Callable[[str], Engine]
) -> None:
    engine = engine_for(empty_db)
    _seed(engine)
    add_national_admin(empty_db)
    app = create_app(make_settings(), database_url=empty_db)
    client = log_in(app.test_client(), NATIONAL_LOGIN)
    paths = {
        name: tile_path("hotspots", 12, *where)
        for name, where in (("near", NEAR), ("far", FAR), ("moved", MOVED))
    }
    first = {name: fetch(client, path) for name, path in paths.items()}
    cache: TileCache = app.extensions["geo_app.tile_cache"]
    assert cache.misses == 3
    found = [len(first[n][1].get("hotspots", {"features": []})["features"]) for n in paths]
    assert found == [1, 1, 0]
    _edit(
        engine,
        "UPDATE hotspot SET status = 'under_attack' WHERE ST_X(geom) = :lon AND ST_Y(geom) = :lat",
        *NEAR,
    )

    def revalidate(name: str) -> TestResponse:
        return client.get(paths[name], headers={"If-None-Match": first[name][0].headers["ETag"]})

    assert revalidate("far").status_code == 304
    assert cache.misses == 3 and cache.hits == 1  # the far tile was not even rebuilt
    near, near_layers = fetch(client, paths["near"])
    assert near.headers["ETag"] != first["near"][0].headers["ETag"] and cache.misses == 4
    assert props(near_layers, "hotspots")[0]["status"] == "under_attack"
    assert (
        int(near.headers["X-Data-Version"]) == int(first["near"][0].headers["X-Data-Version"]) + 1
    )
    # Moving a hotspot touches where it was and where it went, and nothing else.
    _edit(
        engine,
        "UPDATE hotspot SET geom = ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) "
        "WHERE ST_Y(geom) > 20",
        *MOVED,
    )
    assert revalidate("near").status_code == 200  # changed earlier, old ETag
    assert (
        client.get(paths["near"], headers={"If-None-Match": near.headers["ETag"]}).status_code
        == 304
    )
    assert revalidate("far").status_code == 200
    moved, moved_layers = fetch(client, paths["moved"])
    assert moved.headers["ETag"] != first["moved"][0].headers["ETag"]
    assert len(props(moved_layers, "hotspots")) == 1
    with engine.connect() as conn:
        edits = conn.execute(sa.text("SELECT layer, count(*) FROM layer_edit GROUP BY 1")).all()
    # The seeded commune (for its own layer and the classification layer); hotspots: 2 inserted,
    # 1 updated, 1 moved (2).
    assert dict(edits) == {"communes": 1, "classification": 1, "hotspots": 5}


def test_a_dropped_database_connection_costs_no_failed_tile(
    empty_db: str, engine_for: Callable[[str], Engine]
) -> None:
    add_national_admin(empty_db)
    app = create_app(make_settings(), database_url=empty_db)
    client = log_in(app.test_client(), NATIONAL_LOGIN)
    assert client.get("/tiles/admin/5/25/15.mvt").status_code == 200
    with engine_for(empty_db).connect() as conn:  # as a database restart would
        dropped = conn.execute(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    assert dropped >= 1
    assert client.get("/tiles/admin/5/25/16.mvt").status_code == 200


# --- in the browser: tiles are drawn and a click on a commune opens its popup ---------------

POINT_IN = (
    "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM admin_unit "
    "WHERE code = '29242' AND valid_to IS NULL) s"
)
CLICK_AT = """([lat, lon]) => {
  const map = Object.keys(window).filter(k => k.startsWith("map_")).map(k => window[k])
    .find(m => m instanceof L.Map);
  Object.keys(window).filter(k => k.startsWith("vector_grid")).map(k => window[k])
    .filter(g => g.options.geoApp.layers.hotspots).forEach(g => map.removeLayer(g));
  const p = map.latLngToContainerPoint([lat, lon]);
  const box = map.getContainer().getBoundingClientRect();
  return [box.left + p.x, box.top + p.y];
}"""


def test_clicking_a_commune_tile_opens_its_popup(
    live_url: str, demo_session: Session, output_dir: Path
) -> None:
    lon, lat = demo_session.execute(sa.text(POINT_IN)).one()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        browser_log_in(page, live_url)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        tiles: list[str] = []
        page.on("response", lambda r: "/tiles/" in r.url and tiles.append(r.url))
        page.goto(live_url + "/map/province/86", wait_until="networkidle")
        assert tiles and all("?v=" in url for url in tiles)
        assert page.locator(".leaflet-geoAppTiles-pane svg path").count() > 100
        x, y = page.evaluate(CLICK_AT, [lat, lon])
        page.mouse.click(x, y)
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for(timeout=5000)
        text = popup.inner_text()
        page.screenshot(path=str(output_dir / "tile_popup_province_86.png"))
        link = popup.locator("a").get_attribute("href")
        browser.close()
    assert "Phường Trà Vinh" in text and "29242" in text
    assert link == "/map/commune/29242"
    assert errors == []


def _tile_centre(z: int, x: int, y: int) -> tuple[float, float]:
    n = 2**z
    lon = (x + 0.5) / n * 360 - 180
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + 0.5) / n))))
    return lon, lat


def test_a_tile_with_more_hotspots_than_a_phone_should_draw_shows_counts(
    empty_db: str, engine_for: Callable[[str], Engine]
) -> None:
    """From the points' min zoom on, a tile holding more than DENSE_TILE hotspots carries their
    counts per cell instead (all of them counted); one fewer and each is drawn again."""
    engine = engine_for(empty_db)
    _seed(engine)
    x, y = tile_of(*NEAR, 12)
    lon, lat = _tile_centre(12, x, y)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO hotspot (geom, kind, status, detected_on, source, admin_unit_id) "
                "SELECT ST_SetSRID(ST_MakePoint(:lon + (i % 20) * 0.001, :lat + (i / 20) * 0.001),"
                " 4326), 'den', 'active', '2025-01-05', 'patrol', (SELECT min(id) FROM admin_unit) "
                "FROM generate_series(1, :n) i"
            ),
            {"lon": lon - 0.01, "lat": lat - 0.01, "n": DENSE_TILE},  # with NEAR: one too many
        )

    def drawn() -> dict[str, Any]:
        with engine.connect() as conn:
            body = render.render(conn, "province", 12, x, y, clock.today()).body
        return mapbox_vector_tile.decode(body)

    dense = drawn()
    assert "hotspots" not in dense
    cells = [f for f in dense["hotspots_count"]["features"] if _in_tile(f)]
    assert sum(c["properties"]["count"] for c in cells) == DENSE_TILE + 1
    assert len(cells) <= render.CELLS_PER_TILE**2
    assert "classification" in dense  # the areas are drawn as before
    _edit(
        engine,
        "UPDATE hotspot SET deleted_at = now() WHERE ST_X(geom) = :lon AND ST_Y(geom) = :lat",
        *NEAR,
    )
    sparse = drawn()
    assert "hotspots_count" not in sparse
    assert len(sparse["hotspots"]["features"]) == DENSE_TILE
