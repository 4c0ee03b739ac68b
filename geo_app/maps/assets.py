"""Serve folium's front-end assets from our own static folder instead of CDNs.

The app must work without internet access, but folium elements declare their
JavaScript/CSS as ``default_js`` / ``default_css`` lists of ``(name, cdn_url)``
pairs, which ``folium.elements.JSCSSMixin.render`` turns into ``<script src>`` /
``<link href>`` tags in the root Figure's header *at render time*.
:func:`localize` therefore rewrites those lists on every element of the tree to
point at the copies vendored under ``geo_app/static/vendor`` (see VENDORED.md).

Usage, after the map is fully built and just before rendering it::

    localize(m, lambda path: url_for("static", filename=path))
    html = m.get_root().render()
    assert_no_external_assets(html)

Elements added to the map *after* :func:`localize` keep their CDN URLs, so call
it last. ``branca`` colormaps (e.g. the legend of ``folium.Choropleth``) add a
d3 v3 ``<script>`` from a CDN inside their own ``render``; that cannot be
rewritten here and is reported by :func:`assert_no_external_assets`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from html.parser import HTMLParser
from types import MappingProxyType
from typing import Final

from branca.element import CssLink, Element, JavascriptLink

__all__ = [
    "VENDORED_ASSETS",
    "ExternalAssetError",
    "UnvendoredAssetError",
    "assert_no_external_assets",
    "drop_unused_assets",
    "localize",
]

# folium asset name -> path relative to geo_app/static.  Versions are those
# folium 0.20 asks for; see geo_app/static/vendor/VENDORED.md.
VENDORED_ASSETS: Final[Mapping[str, str]] = MappingProxyType(
    {
        # folium.Map
        "leaflet": "vendor/leaflet/leaflet.js",
        "leaflet_css": "vendor/leaflet/leaflet.css",
        "jquery": "vendor/jquery/jquery.min.js",
        "bootstrap": "vendor/bootstrap/js/bootstrap.bundle.min.js",
        "bootstrap_css": "vendor/bootstrap/css/bootstrap.min.css",
        "glyphicons_css": "vendor/bootstrap3-glyphicons/css/bootstrap-glyphicons.min.css",
        "awesome_markers": "vendor/leaflet.awesome-markers/leaflet.awesome-markers.min.js",
        "awesome_markers_css": "vendor/leaflet.awesome-markers/leaflet.awesome-markers.css",
        "awesome_markers_font_css": "vendor/fontawesome-free/css/all.min.css",
        "awesome_rotate_css": "vendor/folium/leaflet.awesome.rotate.min.css",
        # plugins.MarkerCluster, plugins.FastMarkerCluster
        "markerclusterjs": "vendor/leaflet.markercluster/leaflet.markercluster.js",
        "markerclustercss": "vendor/leaflet.markercluster/MarkerCluster.css",
        "markerclusterdefaultcss": "vendor/leaflet.markercluster/MarkerCluster.Default.css",
        # plugins.VectorGridProtobuf
        "vectorGrid": "vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js",
        # plugins.Fullscreen
        "Control.Fullscreen.js": "vendor/leaflet.fullscreen/Control.FullScreen.js",
        "Control.FullScreen.css": "vendor/leaflet.fullscreen/Control.FullScreen.css",
        # plugins.MousePosition
        "Control_MousePosition_js": "vendor/leaflet-mouse-position/L.Control.MousePosition.js",
        "Control_MousePosition_css": "vendor/leaflet-mouse-position/L.Control.MousePosition.css",
        # plugins.LocateControl
        "Control_locate_min_js": "vendor/leaflet.locatecontrol/L.Control.Locate.min.js",
        "Control_locate_min_css": "vendor/leaflet.locatecontrol/L.Control.Locate.min.css",
        # plugins.Draw
        "leaflet_draw_js": "vendor/leaflet-draw/leaflet.draw.js",
        "leaflet_draw_css": "vendor/leaflet-draw/leaflet.draw.css",
        # plugins.TimeSliderChoropleth
        "d3v4": "vendor/d3-v4/d3.min.js",
        "moment": "vendor/moment/moment.min.js",
        # plugins.HeatMap
        "leaflet-heat.js": "vendor/leaflet.heat/leaflet_heat.min.js",
        # plugins.FeatureGroupSubGroup
        "featuregroupsubgroupjs": (
            "vendor/leaflet.featuregroup.subgroup/leaflet.featuregroup.subgroup.js"
        ),
        # plugins.GroupedLayerControl
        "leaflet.groupedlayercontrol.min.js": (
            "vendor/leaflet-groupedlayercontrol/leaflet.groupedlayercontrol.min.js"
        ),
        "leaflet.groupedlayercontrol.min.css": (
            "vendor/leaflet-groupedlayercontrol/leaflet.groupedlayercontrol.min.css"
        ),
    }
)

UNUSED_MAP_ASSETS: Final = frozenset(
    {
        "jquery",
        "bootstrap",
        "bootstrap_css",
        "glyphicons_css",
        "awesome_markers",
        "awesome_markers_css",
        "awesome_markers_font_css",
        "awesome_rotate_css",
    }
)
"""What ``folium.Map`` loads by default that our pages never use: the pins are div icons, the
popups, layer control and legend are Leaflet's own, and every GeoJSON is embedded (folium needs
jQuery only to fetch a GeoJSON by URL or to parse a ``folium.Popup``). About 760 KiB a phone
would parse on every first visit."""

_ASSET_LISTS: Final = ("default_js", "default_css")
# Containers that branca/folium render but do not keep in ``_children``
# (Figure, Div and Popup hold their header/html/script this way).
_CONTAINER_ATTRS: Final = ("header", "html", "script")
_EXTERNAL_URL: Final = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
_CSS_REF: Final = re.compile(
    r"""url\(\s*["']?\s*([^"')\s]*)|@import\s+["']([^"']*)""", re.IGNORECASE
)


class UnvendoredAssetError(LookupError):
    """A folium element declares a JS/CSS asset that has no vendored copy."""

    def __init__(self, missing: list[tuple[str, str, str]]) -> None:
        self.missing = missing
        details = "; ".join(f"{name!r} ({url}) used by {owner}" for name, url, owner in missing)
        super().__init__(
            f"asset(s) not vendored: {details}. Vendor them under geo_app/static/vendor, "
            "list them in VENDORED.md and add them to VENDORED_ASSETS in geo_app/maps/assets.py."
        )


class ExternalAssetError(AssertionError):
    """Rendered HTML would load a script, stylesheet, font or image from the internet."""


def _walk(root: Element) -> Iterator[tuple[str, Element]]:
    """Yield ``(child_name, element)`` for every element reachable from ``root``."""
    stack: list[tuple[str, Element]] = [(root.get_name(), root)]
    seen: set[int] = set()
    while stack:
        key, element = stack.pop()
        if id(element) in seen:
            continue
        seen.add(id(element))
        yield key, element
        for attr in _CONTAINER_ATTRS:
            container = getattr(element, attr, None)
            if isinstance(container, Element):
                stack.append((attr, container))
        stack.extend(element._children.items())


def drop_unused_assets(element: Element) -> None:
    """Leave :data:`UNUSED_MAP_ASSETS` out of ``element``'s header (its own lists only)."""
    for attr in _ASSET_LISTS:
        declared: list[tuple[str, str]] = getattr(element, attr, [])
        setattr(element, attr, [(n, url) for n, url in declared if n not in UNUSED_MAP_ASSETS])


def localize(element: Element, static_url: Callable[[str], str]) -> None:
    """Point every JS/CSS asset of the tree containing ``element`` at vendored files.

    The whole tree is walked from ``element.get_root()`` (the Figure of a Map),
    because assets are emitted into the root's header.  ``static_url`` maps a
    path relative to the static folder to a URL, e.g.
    ``lambda p: url_for("static", filename=p)``.  New lists are assigned per
    instance, so folium's class-level defaults stay untouched.  Idempotent.

    Raises:
        UnvendoredAssetError: if any element declares an asset name that is not
            in :data:`VENDORED_ASSETS`; nothing is modified in that case.
    """
    local: dict[str, str] = {}
    missing: list[tuple[str, str, str]] = []

    def resolve(name: str, url: str, owner: Element) -> None:
        if name in VENDORED_ASSETS:
            local.setdefault(name, static_url(VENDORED_ASSETS[name]))
        else:
            missing.append((name, url, type(owner).__name__))

    asset_lists: list[tuple[Element, str, list[tuple[str, str]]]] = []
    links: list[tuple[JavascriptLink | CssLink, str]] = []
    for key, node in _walk(element.get_root()):
        for attr in _ASSET_LISTS:
            declared: list[tuple[str, str]] | None = getattr(node, attr, None)
            if declared:
                asset_lists.append((node, attr, declared))
                for name, url in declared:
                    resolve(name, url, node)
        # Links already placed in a header by an earlier render().
        if isinstance(node, (JavascriptLink, CssLink)) and _EXTERNAL_URL.match(node.url):
            links.append((node, key))
            resolve(key, node.url, node)
    if missing:
        raise UnvendoredAssetError(missing)

    for node, attr, declared in asset_lists:
        setattr(node, attr, [(name, local[name]) for name, _ in declared])
    for link, key in links:
        link.url = local[key]


class _AssetRefCollector(HTMLParser):
    """Collect ``(where, url)`` for URLs a browser fetches as page assets."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs: list[tuple[str, str]] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "script" and values.get("src"):
            self.refs.append(("<script src>", values["src"]))
        elif tag == "link" and values.get("href"):
            self.refs.append(("<link href>", values["href"]))
        if values.get("style"):
            self._css(values["style"], f"<{tag} style>")
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self._css(data, "<style>")

    def _css(self, css: str, where: str) -> None:
        for match in _CSS_REF.finditer(css):
            if match.group(1) is not None:
                self.refs.append((f"{where} url()", match.group(1)))
            else:
                self.refs.append((f"{where} @import", match.group(2)))


def assert_no_external_assets(html: str) -> None:
    """Raise :class:`ExternalAssetError` if ``html`` loads any asset from another host.

    Checks ``<script src>``, ``<link href>`` and ``url(...)`` / ``@import`` in
    ``<style>`` blocks and ``style`` attributes for ``http://``, ``https://`` (or
    any other ``scheme://``) and protocol-relative ``//`` URLs.  URLs inside
    JavaScript (e.g. the basemap tile template) and ordinary ``<a href>`` links
    are deliberately not checked.
    """
    collector = _AssetRefCollector()
    collector.feed(html)
    collector.close()
    external = sorted(
        {f"{where} {url}" for where, url in collector.refs if _EXTERNAL_URL.match(url)}
    )
    if external:
        raise ExternalAssetError("page loads assets from the internet: " + ", ".join(external))
