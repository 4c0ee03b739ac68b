"""Drawing a map on a printed sheet: GeoJSON layers in their layers' own colours, a scale bar,
a north arrow and the legend sections the page shows.

Geometries arrive as the GeoJSON the page modules already hold (PostGIS made it); shapely reads
them and matplotlib draws them in longitude/latitude, stretched by 1/cos(latitude) so shapes
and the scale bar are true at the map's centre (a briefing map spans one province at most,
where the error of that plate carrée stretch is far below the line width). No tiles: nothing
is fetched from outside.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path as MplPath
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from geo_app.layers import get_layer
from geo_app.pages.legend import LegendSection

BBox = tuple[float, float, float, float]
KM_PER_DEGREE = 111.32
NICE_KM = (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500)
HATCH_CODES = frozenset({"insufficient_data"})
"""Values of a layer's colour field drawn hatched, as the page draws them."""


@dataclass(frozen=True)
class MapLayer:
    """One layer of a printed map: its features (GeoJSON) drawn in the style of the registered
    layer ``style_of`` (its outline colour, and its fill colour by the field the page fills by).
    ``outline_only`` draws the areas' borders alone (the province outline, hamlets)."""

    features: Sequence[dict[str, Any]]
    style_of: str
    outline_only: bool = False
    line_width: float | None = None


def from_page_bounds(found: BBox | None) -> BBox | None:
    """The pages' (south, west, north, east), as (west, south, east, north)."""
    if found is None:
        return None
    south, west, north, east = found
    return (west, south, east, north)


def fill_colour(style_of: str, properties: dict[str, Any]) -> str:
    """The fill the page gives a feature; a hatch pattern's fallback colour where it names one
    (``url(#hatch) #9e9e9e``)."""
    chosen = str(get_layer(style_of).style.for_properties(properties)["fillColor"])
    return chosen.split()[-1]


def _area_path(geometry: BaseGeometry) -> MplPath | None:
    polygons = list(getattr(geometry, "geoms", [geometry]))
    parts = [
        MplPath.make_compound_path(
            MplPath(list(p.exterior.coords), closed=True),
            *(MplPath(list(ring.coords), closed=True) for ring in p.interiors),
        )
        for p in polygons
        if p.geom_type == "Polygon" and not p.is_empty
    ]
    return MplPath.make_compound_path(*parts) if parts else None


def _lines(geometry: BaseGeometry) -> list[list[tuple[float, float]]]:
    found = list(getattr(geometry, "geoms", [geometry]))
    return [list(line.coords) for line in found if line.geom_type == "LineString"]


def draw_layer(ax: Axes, layer: MapLayer) -> None:
    """Areas as patches, lines as a line collection, points as dots, in the layer's style."""
    style = get_layer(layer.style_of).style
    width = layer.line_width if layer.line_width is not None else max(style.weight * 0.6, 0.3)
    patches: list[PathPatch] = []
    fills: list[str] = []
    hatched: list[bool] = []
    lines: list[list[tuple[float, float]]] = []
    points: list[tuple[float, float, str]] = []
    for feature in layer.features:
        geometry = shape(feature["geometry"]) if feature.get("geometry") else None
        if geometry is None or geometry.is_empty:
            continue
        properties = feature.get("properties") or {}
        colour = fill_colour(layer.style_of, properties)
        if geometry.geom_type in ("Point", "MultiPoint"):
            points.extend((p.x, p.y, colour) for p in getattr(geometry, "geoms", [geometry]))
        elif geometry.geom_type in ("LineString", "MultiLineString"):
            lines.extend(_lines(geometry))
        elif (path := _area_path(geometry)) is not None:
            patches.append(PathPatch(path))
            fills.append("none" if layer.outline_only else colour)
            hatched.append(any(str(v) in HATCH_CODES for v in properties.values()))
    if patches:
        collection = PatchCollection(
            patches, facecolors=fills, edgecolors=style.color, linewidths=width, zorder=2
        )
        ax.add_collection(collection)
        for patch, hatch in zip(patches, hatched, strict=True):
            if hatch:
                patch.set(fill=False, hatch="///", edgecolor="#4d4d4d", linewidth=0, zorder=3)
                ax.add_patch(patch)
    if lines:
        ax.add_collection(LineCollection(lines, colors=style.color, linewidths=width, zorder=4))
    if points:
        xs, ys, colours = zip(*points, strict=True)
        ax.scatter(xs, ys, s=14, c=colours, edgecolors="#333333", linewidths=0.4, zorder=5)


def frame(ax: Axes, bounds: BBox) -> None:
    """Fit the map to ``bounds`` (with a margin), true to shape at its centre latitude."""
    west, south, east, north = bounds
    pad_x, pad_y = max((east - west) * 0.04, 0.002), max((north - south) * 0.04, 0.002)
    ax.set_xlim(west - pad_x, east + pad_x)
    ax.set_ylim(south - pad_y, north + pad_y)
    ax.set_aspect(1 / math.cos(math.radians((south + north) / 2)), adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])


def scale_bar(ax: Axes, km_label: str = "km") -> float:
    """A bar of a round length near a fifth of the map's width, bottom left; its length in km."""
    west, east = ax.get_xlim()
    south, north = ax.get_ylim()
    km_per_degree = KM_PER_DEGREE * math.cos(math.radians((south + north) / 2))
    width_km = (east - west) * km_per_degree
    length = max([k for k in NICE_KM if k <= width_km / 5] or [NICE_KM[0]])
    fraction = length / width_km
    x0, y0 = 0.04, 0.04
    ax.add_patch(
        Rectangle(
            (x0 - 0.01, y0 - 0.015),
            fraction + 0.09,
            0.07,
            transform=ax.transAxes,
            facecolor="white",
            edgecolor="none",
            alpha=0.85,
            zorder=9,
        )
    )
    for i in range(2):
        ax.add_patch(
            Rectangle(
                (x0 + i * fraction / 2, y0),
                fraction / 2,
                0.012,
                transform=ax.transAxes,
                facecolor="black" if i == 0 else "white",
                edgecolor="black",
                zorder=10,
            )
        )
    text = f"{length:g} {km_label}"
    ax.text(x0, y0 + 0.02, "0", transform=ax.transAxes, fontsize=7, zorder=10)
    ax.text(x0 + fraction, y0 + 0.02, text, transform=ax.transAxes, fontsize=7, zorder=10)
    return float(length)


def north_arrow(ax: Axes, letter: str) -> None:
    """An arrow pointing up (the map is drawn north up) with the letter for north."""
    ax.annotate(
        letter,
        xy=(0.95, 0.95),
        xytext=(0.95, 0.84),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=11,
        fontweight="bold",
        arrowprops={"facecolor": "black", "width": 4, "headwidth": 12},
        zorder=10,
    )


LEGEND_LINE_PT = 13.0  # a legend line: 8-9 pt type and the room between lines
SWATCH_PT = 12.0


def draw_legend(ax: Axes, sections: Sequence[LegendSection], columns: int = 1) -> None:
    """The page's legend sections, one swatch and label a line, top down in ``ax``: in one
    column beside a landscape map, side by side in ``columns`` below a portrait one. Lines
    are spaced in points (not in fractions of the box), so type never overlaps; a legend
    too long for its box is drawn closer."""
    ax.set_axis_off()
    box = ax.get_position()
    inches = ax.get_figure(root=True).get_size_inches()  # type: ignore[union-attr]
    width_pt, height_pt = box.width * inches[0] * 72, box.height * inches[1] * 72
    per_column = [sections[i::columns] for i in range(columns)]
    lines = max(sum(2 + len(s.items) + (1 if s.subtitle else 0) for s in c) for c in per_column)
    step = min(LEGEND_LINE_PT / height_pt, 0.98 / max(lines, 1))
    swatch = SWATCH_PT / width_pt
    for index, column in enumerate(per_column):
        _legend_column(ax, column, index / columns, step, swatch)


def _legend_column(
    ax: Axes, sections: Sequence[LegendSection], x: float, step: float, swatch: float
) -> None:
    at = ax.transAxes  # swatches drawn as markers must not move the text by autoscaling
    y = 0.99
    for section in sections:
        ax.text(x, y, section.title, fontsize=9, fontweight="bold", va="top", transform=at)
        y -= step
        if section.subtitle:
            ax.text(x, y, section.subtitle, fontsize=7, style="italic", va="top", transform=at)
            y -= step
        for item in section.items:
            size = step * 0.6
            _swatch(ax, item.colour, item.shape, item.hatch, (x, y - step * 0.75), (swatch, size))
            text = item.label if item.count is None else f"{item.label} ({item.count})"
            label = f"{item.glyph} {text}".strip()
            ax.text(x + swatch * 1.5, y, label, fontsize=8, va="top", transform=at)
            y -= step
        y -= step * 0.5


def _swatch(
    ax: Axes,
    colour: str,
    kind: str,
    hatch: bool,
    at: tuple[float, float],
    size: tuple[float, float],
) -> None:
    (x, y), (width, height) = at, size
    edge = colour if kind in ("outline", "ring") else "#333333"
    face = "none" if kind in ("outline", "ring") else colour
    if kind in ("circle", "ring"):
        ax.scatter(
            [x + width / 2],
            [y + height / 2],
            s=45,
            c=[face] if face != "none" else "none",
            edgecolors=edge,
            transform=ax.transAxes,
            clip_on=False,
        )
        return
    ax.add_patch(
        Rectangle(
            (x, y),
            width,
            height,
            facecolor=face,
            edgecolor=edge,
            hatch="///" if hatch else None,
            linewidth=0.6,
            linestyle="--" if kind == "outline" else "-",
            transform=ax.transAxes,
        )
    )


def layers_bounds(layers: Sequence[MapLayer]) -> BBox | None:
    """The bounds of every feature drawn (for a map without the page's own bounds)."""
    boxes = [
        shape(f["geometry"]).bounds for layer in layers for f in layer.features if f.get("geometry")
    ]
    if not boxes:
        return None
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )
