"""Offline front-end assets: folium pages must load nothing from a CDN."""

from __future__ import annotations

import re
from pathlib import Path

import branca.colormap
import folium
import pytest
from branca.element import CssLink, Figure, JavascriptLink
from folium import plugins
from folium.elements import JSCSSMixin

from geo_app.maps.assets import (
    VENDORED_ASSETS,
    ExternalAssetError,
    UnvendoredAssetError,
    assert_no_external_assets,
    localize,
)

STATIC = Path(__file__).resolve().parents[1] / "geo_app" / "static"
VENDOR = STATIC / "vendor"

# Exactly what folium 0.20 declares for the map and the plugins we use.  If a
# folium upgrade changes one of these, re-vendor that package (VENDORED.md).
UPSTREAM = {
    "leaflet": "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js",
    "jquery": "https://code.jquery.com/jquery-3.7.1.min.js",
    "bootstrap": "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js",
    "awesome_markers": "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.js",
    "leaflet_css": "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css",
    "bootstrap_css": "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css",
    "glyphicons_css": "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css",
    "awesome_markers_font_css": "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css",
    "awesome_markers_css": "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.css",
    "awesome_rotate_css": "https://cdn.jsdelivr.net/gh/python-visualization/folium/folium/templates/leaflet.awesome.rotate.min.css",
    "markerclusterjs": "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/leaflet.markercluster.js",
    "markerclustercss": "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.css",
    "markerclusterdefaultcss": "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.Default.css",
    "vectorGrid": "https://unpkg.com/leaflet.vectorgrid@latest/dist/Leaflet.VectorGrid.bundled.js",
    "Control.Fullscreen.js": "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.min.js",
    "Control.FullScreen.css": "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.css",
    "Control_MousePosition_js": "https://cdn.jsdelivr.net/gh/ardhi/Leaflet.MousePosition/src/L.Control.MousePosition.min.js",
    "Control_MousePosition_css": "https://cdn.jsdelivr.net/gh/ardhi/Leaflet.MousePosition/src/L.Control.MousePosition.min.css",
    "Control_locate_min_js": "https://cdnjs.cloudflare.com/ajax/libs/leaflet-locatecontrol/0.66.2/L.Control.Locate.min.js",
    "Control_locate_min_css": "https://cdnjs.cloudflare.com/ajax/libs/leaflet-locatecontrol/0.66.2/L.Control.Locate.min.css",
    "leaflet_draw_js": "https://cdnjs.cloudflare.com/ajax/libs/leaflet.draw/1.0.2/leaflet.draw.js",
    "leaflet_draw_css": "https://cdnjs.cloudflare.com/ajax/libs/leaflet.draw/1.0.2/leaflet.draw.css",
    "d3v4": "https://d3js.org/d3.v4.min.js",
    "moment": "https://cdnjs.cloudflare.com/ajax/libs/moment.js/2.18.1/moment.min.js",
    "leaflet-heat.js": "https://cdn.jsdelivr.net/gh/python-visualization/folium@main/folium/templates/leaflet_heat.min.js",
    "featuregroupsubgroupjs": "https://unpkg.com/leaflet.featuregroup.subgroup@1.0.2/dist/leaflet.featuregroup.subgroup.js",
    "leaflet.groupedlayercontrol.min.js": "https://cdnjs.cloudflare.com/ajax/libs/leaflet-groupedlayercontrol/0.6.1/leaflet.groupedlayercontrol.min.js",
    "leaflet.groupedlayercontrol.min.css": "https://cdnjs.cloudflare.com/ajax/libs/leaflet-groupedlayercontrol/0.6.1/leaflet.groupedlayercontrol.min.css",
}  # fmt: skip

PLUGINS: tuple[type[JSCSSMixin], ...] = (
    plugins.MarkerCluster,
    plugins.FastMarkerCluster,
    plugins.VectorGridProtobuf,
    plugins.Fullscreen,
    plugins.MousePosition,
    plugins.LocateControl,
    plugins.Draw,
    plugins.TimeSliderChoropleth,
    plugins.HeatMap,
    plugins.FeatureGroupSubGroup,
    plugins.GroupedLayerControl,
)

EXTERNAL_TAG = re.compile(
    r"""<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE
)
EXTERNAL_CSS = re.compile(r"""(?:url\(|@import)\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)
LOCAL_REF = re.compile(r"""<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)\"""")
CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+?)["']?\s*\)""")


def static_url(path: str) -> str:
    return "/static/" + path


def full_map() -> folium.Map:
    """A map using the base assets plus every plugin the app may use."""
    m = folium.Map(location=[21.03, 105.85], zoom_start=6)
    folium.Marker([21.03, 105.85], icon=folium.Icon(icon="info-sign")).add_to(m)
    folium.Marker([21.0, 105.8], icon=folium.Icon(icon="flag", prefix="fa", angle=45)).add_to(m)
    cluster = plugins.MarkerCluster().add_to(m)
    folium.Marker([21.1, 105.9]).add_to(cluster)
    plugins.FastMarkerCluster([[16.05, 108.2], [10.78, 106.7]]).add_to(m)
    plugins.VectorGridProtobuf("/tiles/{z}/{x}/{y}.pbf", "communes").add_to(m)
    plugins.Fullscreen().add_to(m)
    plugins.MousePosition().add_to(m)
    plugins.LocateControl().add_to(m)
    plugins.Draw().add_to(m)
    features = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": "0",
                "properties": {},
                "geometry": {"type": "Point", "coordinates": [105.85, 21.03]},
            }
        ],
    }
    styles = {"0": {"1700000000": {"color": "#ff0000", "opacity": 1.0}}}
    plugins.TimeSliderChoropleth(features, styledict=styles).add_to(m)
    plugins.HeatMap([[21.03, 105.85, 1.0], [10.78, 106.7, 0.5]]).add_to(m)
    parent = folium.FeatureGroup("all communes").add_to(m)
    plugins.FeatureGroupSubGroup(parent, "drug-free").add_to(m)
    grouped = folium.FeatureGroup("provinces").add_to(m)
    plugins.GroupedLayerControl({"Admin": [grouped]}).add_to(m)
    return m


@pytest.fixture(scope="module")
def html() -> str:
    m = full_map()
    localize(m, static_url)
    return m.get_root().render()


def test_rendered_page_has_no_external_assets(html: str) -> None:
    assert_no_external_assets(html)
    assert not EXTERNAL_TAG.search(html)
    assert not EXTERNAL_CSS.search(html)
    assert "cdn" not in " ".join(LOCAL_REF.findall(html)).lower()


def test_every_referenced_asset_is_a_vendored_file(html: str) -> None:
    refs = LOCAL_REF.findall(html)
    assert set(refs) == {static_url(path) for path in VENDORED_ASSETS.values()}
    for ref in refs:
        assert ref.startswith("/static/vendor/"), ref
        assert (STATIC / ref.removeprefix("/static/")).is_file(), ref


def test_urls_inside_vendored_css_resolve() -> None:
    stylesheets = sorted(VENDOR.rglob("*.css"))
    assert stylesheets
    for css in stylesheets:
        text = css.read_text(encoding="utf-8")
        assert "@import" not in text, css
        for url in CSS_URL.findall(text):
            if url.startswith(("data:", "#")):
                continue
            assert not re.match(r"(?:[a-z]+:)?//", url, re.IGNORECASE), (css, url)
            target = (css.parent / re.split(r"[?#]", url)[0]).resolve()
            assert target.is_file(), (css, url)
            assert VENDOR in target.parents, (css, url)


def test_vendored_packages_are_licensed_and_listed() -> None:
    listing = (VENDOR / "VENDORED.md").read_text(encoding="utf-8")
    packages = [d for d in VENDOR.iterdir() if d.is_dir()]
    assert packages
    for package in packages:
        assert any("licen" in f.name.lower() for f in package.iterdir()), package
        assert f"`{package.name}/`" in listing, package
    assert not list(VENDOR.rglob("*.map"))


def test_folium_still_declares_the_vendored_versions() -> None:
    declared: dict[str, str] = {}
    classes: tuple[type[JSCSSMixin], ...] = (folium.Map, *PLUGINS)
    for cls in classes:
        declared.update(cls.default_js)
        declared.update(cls.default_css)
    assert declared == UPSTREAM
    assert set(VENDORED_ASSETS) == set(UPSTREAM)


def test_localize_is_per_instance_and_idempotent() -> None:
    m = folium.Map()
    localize(m, static_url)
    localize(m, static_url)
    assert m.default_js[0] == ("leaflet", "/static/vendor/leaflet/leaflet.js")
    assert dict(folium.Map.default_js)["leaflet"] == UPSTREAM["leaflet"]
    assert_no_external_assets(m.get_root().render())


def test_localize_rewrites_links_from_an_earlier_render() -> None:
    m = folium.Map()
    root = m.get_root()
    assert isinstance(root, Figure)
    root.render()
    localize(m, static_url)
    links = [
        child
        for child in root.header._children.values()
        if isinstance(child, (JavascriptLink, CssLink))
    ]
    assert links
    assert all(link.url.startswith("/static/vendor/") for link in links)


def test_unknown_asset_raises_and_changes_nothing() -> None:
    class Mystery(JSCSSMixin):
        default_js = [("mystery_js", "https://cdn.example.com/mystery.js")]

    m = folium.Map()
    Mystery().add_to(m)
    with pytest.raises(UnvendoredAssetError, match="mystery_js"):
        localize(m, static_url)
    assert dict(m.default_js)["leaflet"] == UPSTREAM["leaflet"]


def test_branca_colormap_cdn_script_is_caught() -> None:
    # branca adds d3 v3 from a CDN inside ColorMap.render(); localize() cannot
    # rewrite it, the final check must catch it.
    m = folium.Map()
    branca.colormap.LinearColormap(["white", "red"], vmin=0, vmax=1).add_to(m)
    localize(m, static_url)
    with pytest.raises(ExternalAssetError, match="d3"):
        assert_no_external_assets(m.get_root().render())


@pytest.mark.parametrize(
    "snippet",
    [
        '<script src="https://cdn.example.com/a.js"></script>',
        "<link rel='stylesheet' href='//cdn.example.com/a.css'>",
        "<link rel=preload href=http://cdn.example.com/font.woff2>",
        '<style>@import "https://fonts.example.com/css";</style>',
        "<style>.a { background: url(http://cdn.example.com/a.png) }</style>",
        "<div style=\"background-image: url('https://cdn.example.com/i.png')\"></div>",
    ],
)
def test_assert_no_external_assets_detects(snippet: str) -> None:
    with pytest.raises(ExternalAssetError):
        assert_no_external_assets(f"<html><head></head><body>{snippet}</body></html>")


def test_assert_no_external_assets_ignores_tiles_and_links() -> None:
    assert_no_external_assets(
        '<link href="/static/vendor/leaflet/leaflet.css" rel="stylesheet">'
        '<a href="https://www.openstreetmap.org/copyright">OSM</a>'
        '<script>L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png");'
        'var s = "<link href=\\"https://x\\">";</script>'
        '<style>.x { background: url("data:image/svg+xml,'
        "%3csvg xmlns='http://www.w3.org/2000/svg'/%3e\") }</style>"
    )
