"""The parts several pages share: who reads the page, the month shown and its notes, the
breadcrumbs, the month selector, the campaign links and the panel's unit rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from sqlalchemy.orm import Session

from geo_app import urls
from geo_app.errors import NotFound
from geo_app.layers.base import Lang
from geo_app.layers.classification import CLASS_COLOURS, INSUFFICIENT, months_query
from geo_app.services.accounts.scope import OutOfScope, unit_in_scope
from geo_app.services.boundaries import versions as unit_versions
from geo_app.services.boundaries.versions import UnitVersion
from geo_app.services.campaigns.listing import campaigns_touching


class Translate(Protocol):
    """``gettext``: an English msgid (with ``%(name)s`` variables) in the reader's language."""

    def __call__(self, string: str, **variables: Any) -> str: ...


@dataclass(frozen=True)
class Viewer:
    """Who reads the page and when: the language, a translator speaking it, the user's scope
    unit (None = national) and today's date."""

    lang: Lang
    scope_unit_id: int | None
    today: date
    gettext: Translate


@dataclass(frozen=True)
class PageMonth:
    """The month a page was asked for (``YYYY-MM``, None = now) and its as-of date."""

    asked: str | None
    on: date


@dataclass(frozen=True)
class Link:
    href: str
    text: str


@dataclass(frozen=True)
class Crumb:
    """A step of the way back up; ``link`` is None where the reader may not open that page."""

    name: str
    link: str | None


@dataclass(frozen=True)
class Note:
    """A sentence above the panel explaining what the page shows instead of what was asked."""

    kind: str
    text: str
    links: tuple[Link, ...] = ()
    after: str = ""


@dataclass(frozen=True)
class CampaignItem:
    title: str
    link: str
    years: str


@dataclass(frozen=True)
class MonthOptions:
    """The month selector: (value, label) newest first, and the one selected ("" = latest)."""

    options: tuple[tuple[str, str], ...]
    selected: str


@dataclass(frozen=True)
class PanelItem:
    """A row of the panel's unit list (values escaped by the features service)."""

    code: str
    name: str
    link: str | None = None
    klass: str | None = None
    class_label: str | None = None
    colour: str | None = None
    hatch: bool = False


@dataclass(frozen=True)
class Shown:
    """What a unit page draws: the version, the as-of date inside its validity, the month its
    links and tiles carry, and notes explaining any difference from what was asked."""

    unit: UnitVersion
    on: date
    link_month: str | None
    tile_month: str | None
    notes: tuple[Note, ...] = field(default=())

    @property
    def link_query(self) -> dict[str, str]:
        """The query drill-down links keep (the month), for the tile popups' config."""
        return {"month": self.link_month} if self.link_month else {}


def day_text(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def month_label(value: date) -> str:
    return value.strftime("%m/%Y")


def unit_for_page(
    session: Session, code: str, level: str, month: PageMonth, viewer: Viewer
) -> UnitVersion:
    """The version of ``code`` a page shows for the month; NotFound (404) for an unknown code,
    OutOfScope (403) for a unit outside the reader's scope, both in the reader's language."""
    _ = viewer.gettext
    try:
        unit = unit_versions.version_for_page(session, code, level, month.on)
    except NotFound:
        if level == "province":
            raise NotFound(_("no province with code %(code)s", code=repr(code[:20]))) from None
        raise NotFound(_("no commune with code %(code)s", code=repr(code[:20]))) from None
    if not unit_in_scope(session, viewer.scope_unit_id, unit.id):
        raise OutOfScope(_("this area is outside your scope"))
    return unit


def shown(session: Session, unit: UnitVersion, month: PageMonth, viewer: Viewer) -> Shown:
    """The date shown (inside the version's validity), the month links keep, and the notes."""
    on = unit.clamp(month.on)
    notes: list[Note] = []
    if unit.closed and unit.valid_to is not None:
        notes.append(_merged_note(session, unit, on, viewer))
    elif on > month.on:
        notes.append(
            Note(
                "starts",
                viewer.gettext(
                    "%(name)s exists from %(date)s; the map shows that day.",
                    name=unit.name,
                    date=day_text(on),
                ),
            )
        )
    if not unit.closed:
        previous = _previous_note(session, unit, viewer)
        if previous is not None:
            notes.append(previous)
    asked = on.strftime("%Y-%m") if on != month.on else month.asked
    tile_month = on.isoformat() if on != month.on or month.asked else None
    return Shown(unit, on, asked, tile_month, tuple(notes))


def _merged_note(session: Session, unit: UnitVersion, on: date, viewer: Viewer) -> Note:
    _ = viewer.gettext
    assert unit.valid_to is not None
    found = unit_versions.successors(session, unit)
    links = []
    for successor in found:
        text = f"{successor.name} ({successor.code})"
        if len(found) > 1 and successor.share_of_old is not None:
            text += f" — {successor.share_of_old * 100:.0f} %"
        links.append(Link(urls.unit_url(unit.level, successor.code, lang=viewer.lang), text))
    return Note(
        "merged",
        _(
            "%(name)s (code %(code)s) ceased on %(date)s: merged into",
            name=unit.name,
            code=unit.code,
            date=day_text(unit.valid_to),
        ),
        tuple(links),
        _("The map shows the former unit's boundary and data as of %(date)s.", date=day_text(on)),
    )


def _previous_note(session: Session, unit: UnitVersion, viewer: Viewer) -> Note | None:
    _ = viewer.gettext
    before = unit_versions.previous_version(session, unit)
    if before is None or before.valid_to is None:
        return None
    last = before.clamp(before.valid_to)
    href = urls.unit_url(unit.level, unit.code, last.strftime("%Y-%m"), viewer.lang)
    return Note(
        "previous",
        _(
            "Before %(date)s, code %(code)s was %(name)s:",
            date=day_text(unit.valid_from),
            code=unit.code,
            name=before.name,
        ),
        (Link(href, _("see the map of %(month)s", month=month_label(last))),),
    )


def month_options(
    session: Session, unit: UnitVersion, scope: int | None, at: Shown
) -> MonthOptions:
    """The month selector: the months with stored classifications in the area, newest first."""
    months = session.scalars(months_query(unit.code, (unit.valid_from, unit.valid_to), scope))
    options = [(m.strftime("%Y-%m"), month_label(m)) for m in months]
    selected = at.link_month or ""
    if selected and selected not in {value for value, _ in options}:
        options.insert(0, (selected, month_label(at.on)))
    return MonthOptions(tuple(options), selected)


def crumbs(session: Session, unit: UnitVersion, at: Shown, viewer: Viewer) -> tuple[Crumb, ...]:
    """The way up from a unit page: the country, then the province of a commune; a step is a
    link only where the reader may open that page."""
    out = [country_crumb(viewer)]
    if unit.level != "province" and unit.province_code and unit.province_name:
        out.append(province_crumb(session, unit.province_code, unit.province_name, at, viewer))
    return tuple(out)


def country_crumb(viewer: Viewer) -> Crumb:
    """The national page opens for national scope only (a scoped user is sent home)."""
    link = urls.national_url(viewer.lang) if viewer.scope_unit_id is None else None
    return Crumb(viewer.gettext("Viet Nam"), link)


def province_crumb(
    session: Session, code: str, name: str, at: Shown | None, viewer: Viewer
) -> Crumb:
    """The province's page, linked if it opens for the reader on the date shown."""
    month = at.link_month if at is not None else None
    on = at.on if at is not None else viewer.today
    link = urls.province_url(code, month, viewer.lang)
    if viewer.scope_unit_id is not None:
        try:
            version = unit_versions.version_for_page(session, code, "province", on)
        except NotFound:
            return Crumb(name, None)
        if not unit_in_scope(session, viewer.scope_unit_id, version.id):
            return Crumb(name, None)
    return Crumb(name, link)


def campaign_items(
    session: Session, area_id: int | None, province_code: str | None, viewer: Viewer
) -> tuple[CampaignItem, ...]:
    """The campaigns touching the area that the reader may see, linked in the page language."""
    found = campaigns_touching(session, area_id, province_code, viewer.scope_unit_id)
    return tuple(
        CampaignItem(
            c.title,
            urls.campaign_url(c.id, lang=viewer.lang),
            f"{c.starts_on.year}–{c.ends_on.year}"
            if c.ends_on and c.ends_on.year != c.starts_on.year
            else str(c.starts_on.year),
        )
        for c in found
    )


def class_items(rows: Iterable[Mapping[str, Any]]) -> tuple[PanelItem, ...]:
    """Panel rows coloured by class (hatched for insufficient data), sorted by name."""
    items = [
        PanelItem(
            code=str(row.get("code")),
            name=str(row.get("name")),
            link=row.get("link"),
            klass=row.get("class"),
            class_label=row.get("class_label"),
            colour=CLASS_COLOURS.get(str(row["class"]), CLASS_COLOURS["no_data"])
            if row.get("class")
            else None,
            hatch=row.get("class") == INSUFFICIENT,
        )
        for row in rows
    ]
    return tuple(sorted(items, key=lambda item: item.name))
