"""Map pages: the national overview, a province's communes, a commune's hamlets."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, url_for
from sqlalchemy.orm import Session

from geo_app.layers import get_layer
from geo_app.layers.base import Lang, LayerQuery
from geo_app.maps import builder
from geo_app.services import areas
from geo_app.services.features import bounds, feature_collection
from geo_app.web.context import lang, read_session, settings

bp = Blueprint("maps", __name__)

# Display simplification per page (degrees): what the eye can see at that page's zoom.
NATIONAL_SIMPLIFY = 0.002
PROVINCE_SIMPLIFY = 0.0002


# Point and line layers drawn over the areas; on a province page boards and boxes start hidden
# (hundreds of them), one click in the layer control shows them.
COMMUNE_POINT_LAYERS = (
    "cultivation_sites",
    "routes",
    "hotline_boards",
    "tipoff_boxes",
    "hotspots",
)
PROVINCE_POINT_LAYERS = COMMUNE_POINT_LAYERS
PROVINCE_POINT_LAYERS_SHOWN = ("cultivation_sites", "routes", "hotspots")


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
        {
            "code": f["properties"].get("code"),
            "name": f["properties"].get("name"),
            "kind": f["properties"].get("kind"),
            "link": f["properties"].get("link"),
        }
        for f in collection["features"]
    ]
    return sorted(items, key=lambda item: str(item["name"]))


@bp.get("/")
def national() -> str:
    language = lang()
    spec = get_layer("provinces")
    with read_session() as session:
        provinces = feature_collection(
            session, spec, LayerQuery(simplify_degrees=NATIONAL_SIMPLIFY), decimals=4
        )
        demo = areas.demo_loaded(session)
    fmap = builder.new_map(settings().basemap)
    builder.add_layer(fmap, spec, provinces, language)
    builder.fit(fmap, bounds(provinces))
    title = "Việt Nam — 34 tỉnh, thành phố" if language == "vi" else "Viet Nam — 34 provinces"
    return _page(
        title, fmap, _panel(provinces), demo=demo, crumbs=[], count=len(provinces["features"])
    )


@bp.get("/map/province/<code>")
def province(code: str) -> str:
    language = lang()
    with read_session() as session:
        unit = areas.unit_in_force(session, code, "province")
        communes = feature_collection(
            session,
            get_layer("communes"),
            LayerQuery(area_code=code, simplify_degrees=PROVINCE_SIMPLIFY),
            decimals=5,
        )
        outline = feature_collection(
            session,
            get_layer("provinces"),
            LayerQuery(area_code=code, simplify_degrees=PROVINCE_SIMPLIFY),
            decimals=5,
        )
        demo = areas.demo_loaded(session)
        points = _point_layers(session, code, language, PROVINCE_POINT_LAYERS)
    fmap = builder.new_map(settings().basemap)
    builder.add_layer(fmap, get_layer("provinces"), outline, language)
    builder.add_layer(fmap, get_layer("communes"), communes, language)
    _draw_points(fmap, points, language, shown=PROVINCE_POINT_LAYERS_SHOWN)
    builder.fit(fmap, bounds(outline) or bounds(communes))
    crumbs = [{"name": "Việt Nam" if language == "vi" else "Viet Nam", "link": "/"}]
    return _page(
        unit.name, fmap, _panel(communes), demo=demo, crumbs=crumbs, count=len(communes["features"])
    )


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
