"""Map pages: the national overview, a province's communes, a commune's hamlets.

The overview and the province pages draw units and points from vector tiles (``/tiles/``), so
they embed at most one province outline; only the commune page embeds its own polygons.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, url_for
from sqlalchemy.orm import Session

from geo_app.layers import get_layer
from geo_app.layers.base import Lang, LayerQuery
from geo_app.maps import builder
from geo_app.maps.tile_styles import tile_config
from geo_app.services import areas
from geo_app.services.features import bounds, feature_collection, listing
from geo_app.services.layer_api import layer_versions, tile_url
from geo_app.web.context import lang, read_session, settings

bp = Blueprint("maps", __name__)

# Display simplification of the embedded province outline (degrees).
PROVINCE_SIMPLIFY = 0.0002
PANEL_COLUMNS = ("code", "name", "kind", "link")
TILE_SETS = {
    "admin": ("Đơn vị hành chính", "Administrative units"),
    "points": ("Điểm, bảng tin, hòm thư", "Hotspots, boards and boxes"),
}


# Point and line layers embedded over a commune's areas.
COMMUNE_POINT_LAYERS = (
    "cultivation_sites",
    "routes",
    "hotline_boards",
    "tipoff_boxes",
    "hotspots",
)
# Hotspots, boards and boxes come as tiles on the province page; fields and routes are few.
PROVINCE_POINT_LAYERS = ("cultivation_sites", "routes")


def _point_layers(
    session: Session, area_code: str, language: Lang, names: tuple[str, ...]
) -> dict[str, dict[str, Any]]:
    return {
        name: feature_collection(
            session, get_layer(name), LayerQuery(area_code=area_code, lang=language)
        )
        for name in names
    }


def _draw_points(
    fmap: Any, collections: dict[str, dict[str, Any]], language: Lang, *, shown: tuple[str, ...]
) -> None:
    for name, collection in collections.items():
        if collection["features"]:
            builder.add_layer(fmap, get_layer(name), collection, language, show=name in shown)


def _static(path: str) -> str:
    return url_for("static", filename=path)


def _page(title: str, fmap: Any, panel: list[dict[str, Any]], **context: Any) -> str:
    language = lang()
    parts = builder.components(fmap, _static, language)
    return render_template(
        "map_page.html", title=title, map=parts, panel=panel, lang=language, **context
    )


def _panel(collection: dict[str, Any]) -> list[dict[str, Any]]:
    items = [
        {name: f["properties"].get(name) for name in PANEL_COLUMNS} for f in collection["features"]
    ]
    return sorted(items, key=lambda item: str(item["name"]))


def _units(session: Session, layer: str, request: LayerQuery) -> list[dict[str, Any]]:
    """The panel's unit list, read without geometry."""
    items = listing(session, get_layer(layer), request, PANEL_COLUMNS)
    return sorted(items, key=lambda item: str(item["name"]))


def _add_tiles(fmap: Any, versions: dict[str, int], language: Lang) -> None:
    for name, titles in TILE_SETS.items():
        builder.add_vector_tiles(
            fmap,
            tile_url(name, versions),
            tile_config(name, language),
            name=titles[0] if language == "vi" else titles[1],
            script_url=_static("js/vector_tiles.js"),
        )


@bp.get("/")
def national() -> str:
    language = lang()
    with read_session() as session:
        provinces = _units(session, "provinces", LayerQuery())
        versions = layer_versions(session)
        demo = areas.demo_loaded(session)
    fmap = builder.new_map(settings().basemap)
    builder.fit(fmap, None)  # before the tiles, so they load at the final zoom only
    _add_tiles(fmap, versions, language)
    title = "Việt Nam — 34 tỉnh, thành phố" if language == "vi" else "Viet Nam — 34 provinces"
    return _page(title, fmap, provinces, demo=demo, crumbs=[], count=len(provinces))


@bp.get("/map/province/<code>")
def province(code: str) -> str:
    language = lang()
    with read_session() as session:
        unit = areas.unit_in_force(session, code, "province")
        communes = _units(session, "communes", LayerQuery(area_code=code))
        outline = feature_collection(
            session,
            get_layer("provinces"),
            LayerQuery(area_code=code, simplify_degrees=PROVINCE_SIMPLIFY),
            decimals=5,
        )
        demo = areas.demo_loaded(session)
        points = _point_layers(session, code, language, PROVINCE_POINT_LAYERS)
        versions = layer_versions(session)
    fmap = builder.new_map(settings().basemap)
    builder.add_layer(fmap, get_layer("provinces"), outline, language)
    builder.fit(fmap, bounds(outline))  # before the tiles, so they load at the final zoom only
    _add_tiles(fmap, versions, language)
    _draw_points(fmap, points, language, shown=PROVINCE_POINT_LAYERS)
    crumbs = [{"name": "Việt Nam" if language == "vi" else "Viet Nam", "link": "/"}]
    return _page(unit.name, fmap, communes, demo=demo, crumbs=crumbs, count=len(communes))


@bp.get("/map/commune/<code>")
def commune(code: str) -> str:
    language = lang()
    with read_session() as session:
        unit = areas.unit_in_force(session, code, "commune")
        outline = feature_collection(session, get_layer("communes"), LayerQuery(area_code=code))
        hamlets = feature_collection(session, get_layer("hamlets"), LayerQuery(area_code=code))
        demo = areas.demo_loaded(session)
        points = _point_layers(session, code, language, COMMUNE_POINT_LAYERS)
    fmap = builder.new_map(settings().basemap)
    builder.add_layer(fmap, get_layer("communes"), outline, language)
    if hamlets["features"]:
        builder.add_layer(fmap, get_layer("hamlets"), hamlets, language)
    _draw_points(fmap, points, language, shown=COMMUNE_POINT_LAYERS)
    builder.fit(fmap, bounds(outline))
    crumbs: list[dict[str, str | None]] = [
        {"name": "Việt Nam" if language == "vi" else "Viet Nam", "link": "/"}
    ]
    if unit.parent_code:
        crumbs.append({"name": unit.parent_name, "link": f"/map/province/{unit.parent_code}"})
    return _page(
        unit.name, fmap, _panel(hamlets), demo=demo, crumbs=crumbs, count=len(hamlets["features"])
    )
