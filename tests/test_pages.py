"""The page functions (geo_app/pages) called directly on the demo database, without Flask:
what each page shows, inside the reader's scope, in the reader's language."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo_app import clock, urls
from geo_app.domain.month import MonthError
from geo_app.errors import NotFound
from geo_app.i18n import translator
from geo_app.layers.base import Lang
from geo_app.pages.campaign import as_of, campaign_page, report
from geo_app.pages.common import Crumb, PageMonth, Viewer
from geo_app.pages.commune import commune_page
from geo_app.pages.national import national_page
from geo_app.pages.province import province_page
from geo_app.services.accounts.scope import OutOfScope
from geo_app.services.campaigns import campaign_by_code, campaign_progress
from geo_app.services.summary import summary

OCTOBER = PageMonth("2025-10", date(2025, 10, 31))


def reader(lang: Lang = "vi", scope: int | None = None) -> Viewer:
    """A reader outside any request: the package's catalog speaks ``lang``."""
    return Viewer(lang, scope, clock.today(), translator(lang))


def unit_id(session: Session, code: str) -> int:
    return int(
        session.execute(
            sa.text("SELECT id FROM admin_unit WHERE code = :c AND valid_to IS NULL"), {"c": code}
        ).scalar_one()
    )


def test_the_province_page_counts_what_its_panel_lists(demo_session: Session) -> None:
    page = province_page(demo_session, "86", OCTOBER, reader())
    assert page.title == page.unit.name and page.shown.on == date(2025, 10, 31)
    assert len(page.communes) == 124
    counted = Counter(str(item.klass) for item in page.communes)
    assert {k: v for k, v in page.summary.classes.items() if v} == dict(counted)
    assert page.class_counts == dict(counted)
    legend_counts = {item.label: item.count for item in page.legend[0].items}
    assert sum(c or 0 for c in legend_counts.values()) == 124
    assert page.summary.on == date(2025, 10, 31) and page.summary.area is not None
    assert page.link_suffix == "?month=2025-10"
    assert all(item.link == urls.commune_url(item.code) for item in page.communes)
    assert [t.url.endswith("&month=2025-10-31") for t in page.tiles] == [True] * 5
    assert page.months.selected == "2025-10"
    assert page.outline["features"] and page.outline["features"][0]["properties"]["code"] == "86"


def test_the_province_panel_lists_only_communes_in_the_province(demo_session: Session) -> None:
    expected = set(
        demo_session.execute(
            sa.text(
                "SELECT c.code FROM admin_unit c JOIN admin_unit p ON p.id = c.parent_id "
                "WHERE p.code = '86' AND c.level = 'commune' AND p.valid_to IS NULL "
                "AND c.valid_from <= '2025-10-31' "
                "AND (c.valid_to IS NULL OR c.valid_to > '2025-10-31')"
            )
        ).scalars()
    )
    national = province_page(demo_session, "86", OCTOBER, reader())
    scoped = province_page(demo_session, "86", OCTOBER, reader(scope=unit_id(demo_session, "86")))
    assert {item.code for item in national.communes} == expected
    assert scoped.communes == national.communes
    officer = reader(scope=unit_id(demo_session, "29410"))
    with pytest.raises(OutOfScope, match="ngoài phạm vi"):
        province_page(demo_session, "86", OCTOBER, officer)
    with pytest.raises(NotFound, match="no province with code 'ZZ'"):
        province_page(demo_session, "ZZ", OCTOBER, reader("en"))


def test_the_commune_page_shows_its_class_and_hamlets(demo_session: Session) -> None:
    page = commune_page(demo_session, "29242", OCTOBER, reader("en"))
    assert page.unit_class is not None and page.unit_class.heading == "Classification"
    own = page.own["features"]
    assert len(own) == 1 and own[0]["properties"]["link"] is None  # no link to itself
    assert page.unit_class.klass == own[0]["properties"]["class"]
    assert len(page.panel) == len(page.hamlets["features"]) >= 2
    assert all(item.link is None for item in page.panel)
    assert page.count_label == "hamlets and residential groups"
    assert page.link_suffix == "?month=2025-10&lang=en"
    assert page.bounds is not None
    expected = summary(demo_session, area_code="29242", on=date(2025, 10, 31), scope_unit_id=None)
    assert expected == page.summary


def test_a_merged_commune_explains_itself_and_links_its_successor(demo_session: Session) -> None:
    page = commune_page(demo_session, "29392", PageMonth(None, clock.today()), reader())
    merged = [note for note in page.notes if note.kind == "merged"]
    assert len(merged) == 1 and "đã sáp nhập vào" in merged[0].text
    assert [link.href for link in merged[0].links] == [urls.commune_url("29386")]
    assert page.shown.link_month == "2025-06"  # the former unit's last month
    assert page.crumbs[1] == Crumb(
        page.unit.province_name or "", urls.province_url("84", "2025-06")
    )


def test_breadcrumbs_link_only_to_pages_the_reader_may_open(demo_session: Session) -> None:
    now = PageMonth(None, clock.today())
    national = commune_page(demo_session, "29410", now, reader()).crumbs
    assert [c.link for c in national] == ["/", urls.province_url("86")]
    assert national[0].name == "Việt Nam"
    commander = commune_page(demo_session, "29410", now, reader(scope=unit_id(demo_session, "86")))
    assert [c.link for c in commander.crumbs] == [None, urls.province_url("86")]
    officer = commune_page(demo_session, "29410", now, reader(scope=unit_id(demo_session, "29410")))
    assert [c.link for c in officer.crumbs] == [None, None]
    assert [c.name for c in officer.crumbs] == [c.name for c in national]


def test_the_national_page_lists_the_provinces_and_the_campaigns(demo_session: Session) -> None:
    page = national_page(demo_session, reader("en"))
    assert page.title == "Viet Nam — 34 provinces" and len(page.provinces) == 34
    assert page.provinces[0].link == urls.province_url(page.provinces[0].code)
    assert len(page.campaigns) == 4
    assert all(c.link.endswith("?lang=en") for c in page.campaigns)
    assert page.summary.area is None and page.summary.on == clock.today()
    assert [t.name for t in page.tiles] == ["admin", "points"]


def test_the_campaign_headline_reads_as_the_page_does(demo_session: Session) -> None:
    campaign = campaign_by_code(demo_session, "tra-vinh-2025")
    on = date(2025, 12, 14)
    expected = campaign_progress(demo_session, campaign.id, on)
    page = campaign_page(demo_session, campaign.id, on, reader())
    assert page.report["headline"] == (
        "7/21 mục tiêu đã được công nhận; chỉ tiêu 21 (20 % của 104)"
    )
    assert expected.recognised == 7 and expected.targets == 21
    assert page.report["as_of"] == "2025-12-14"  # the day after phase 3 closed
    assert page.report["phase"] == {
        "position": "after",
        "ordinal": None,
        "text": "Sau các giai đoạn",
    }
    assert page.months[0] == "2025-02" and page.months[-1] == "2025-12"
    assert len(page.timeline["phases"]) == 3
    assert [c.link for c in page.crumbs] == ["/", urls.province_url("86")]
    english = report(demo_session, campaign, on, reader("en"))
    assert english["headline"] == "7 of 21 targets recognised; goal 21 (20 % of 104)"
    assert all(
        t["link"] is None or t["link"] == urls.commune_url(t["now_in"]["code"])
        for t in english["targets"]
    )


def test_campaign_months_go_through_the_one_month_parser() -> None:
    assert as_of(None, reader()) == clock.today()
    assert as_of("2025-10", reader()) == date(2025, 10, 31)
    assert as_of("2025-10-15", reader()) == date(2025, 10, 15)
    with pytest.raises(MonthError) as future:
        as_of("2999-01", reader())
    assert future.value.reason == "future"
    with pytest.raises(MonthError) as malformed:
        as_of("May", reader("en"))
    assert malformed.value.reason == "format"
