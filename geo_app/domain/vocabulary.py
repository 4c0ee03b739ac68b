"""The programme's words, in one place: every code the database stores, with its labels and colour.

Why here: the list of classes, statuses and levels used to be copied into layers, services, rule
schemas, models and the demo, and the copies drifted. Everything else imports these definitions
(the SQLAlchemy enums, the rule-set schema, the legend, the tiles); labels are (Vietnamese,
English) pairs because they travel with the data (exports, tiles, APIs carry both).

Pure: imports nothing of geo_app but the domain and ``geo_app.errors``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

Lang = Literal["vi", "en"]
Pair = tuple[str, str]
"""A label in Vietnamese and in English."""


@dataclass(frozen=True)
class Term:
    """One code with its labels and, where the map draws it, its colour."""

    code: str
    vi: str
    en: str
    colour: str | None = None

    def label(self, lang: Lang) -> str:
        return self.vi if lang == "vi" else self.en


@dataclass(frozen=True)
class Vocabulary:
    """An ordered list of terms (the order is the legend's and the enum's)."""

    name: str
    terms: tuple[Term, ...]

    def __post_init__(self) -> None:
        assert len(self.codes) == len(set(self.codes)), f"{self.name}: a code is repeated"

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(t.code for t in self.terms)

    @property
    def labels(self) -> dict[str, Pair]:
        """code -> (vi, en), in order."""
        return {t.code: (t.vi, t.en) for t in self.terms}

    @property
    def colours(self) -> dict[str, str]:
        """code -> colour, for the terms that have one, in order."""
        return {t.code: t.colour for t in self.terms if t.colour is not None}

    def label(self, code: str, lang: Lang) -> str:
        """The label of ``code`` (the code itself when unknown, so nothing disappears)."""
        for term in self.terms:
            if term.code == code:
                return term.label(lang)
        return code


def _vocabulary(name: str, *terms: Term) -> Vocabulary:
    return Vocabulary(name, terms)


# -- administrative units --------------------------------------------------------------------------

ADMIN_LEVELS = _vocabulary(
    "admin_level",
    Term("province", "Tỉnh, thành phố", "Province"),
    Term("district", "Huyện, quận, thị xã", "District"),
    Term("commune", "Xã, phường, đặc khu", "Commune"),
    Term("hamlet", "Thôn, ấp, bản", "Hamlet"),
    Term("residential_group", "Tổ dân phố", "Residential group"),
)
"""From the top down; districts exist only in layouts before July 2025."""
LEVEL_RANK: dict[str, int] = {code: rank for rank, code in enumerate(ADMIN_LEVELS.codes)}
"""Level as a number, province 0 … residential group 4 (deeper is larger)."""


@dataclass(frozen=True)
class Layout:
    """An administrative layout and the period it was in force."""

    name: str
    starts_on: date
    ends_on: date | None


LAYOUTS: dict[str, Layout] = {
    # The census-based pre-2025 data reflects the layout of about 2009-2013; it ends at the merger.
    "pre2025": Layout("pre2025", date(2009, 4, 1), date(2025, 7, 1)),
    "2025": Layout("2025", date(2025, 7, 1), None),
}

# -- classification (DESIGN §4) --------------------------------------------------------------------

INSUFFICIENT = "insufficient_data"
NO_DATA = "no_data"
CLASSIFICATION_CLASSES = _vocabulary(
    "classification_class",
    Term("type_1", "Trọng điểm loại I", "Key area type I", "#b2182b"),
    Term("type_2", "Trọng điểm loại II", "Key area type II", "#ef8a62"),
    Term("type_3", "Trọng điểm loại III", "Key area type III", "#fddbc7"),
    Term("less_complex", "Ít phức tạp", "Less complex", "#d1e5f0"),
    Term("drug_free", "Không ma túy", "Drug-free", "#1a9850"),
    Term(INSUFFICIENT, "Thiếu dữ liệu", "Insufficient data", "#9e9e9e"),
    Term(NO_DATA, "Chưa có số liệu", "No data", "#e0e0e0"),
)
"""Legend order: the five classes from the most serious, then the two kinds of "unknown".
Colour-blind safe; insufficient data is grey and hatched on the map. ``no_data`` (nothing stored)
is never stored; ``insufficient_data`` is (classified, but a missing input could change it)."""
RANKED_CLASSES: tuple[str, ...] = CLASSIFICATION_CLASSES.codes[:5]
"""The classes a rule set can give, from the highest (type_1) to the lowest (drug_free)."""
STORED_CLASSES: tuple[str, ...] = (*RANKED_CLASSES, INSUFFICIENT)
"""What a stored classification can say (the ``classification_class`` database enum)."""
MAP_CLASSES: tuple[str, ...] = CLASSIFICATION_CLASSES.codes
"""What the map can show: the stored classes and ``no_data``."""

# -- hotspots --------------------------------------------------------------------------------------

HOTSPOT_KINDS = _vocabulary(
    "hotspot_kind",
    Term("complex_point", "Điểm phức tạp", "Complex point"),
    Term("den", "Tụ điểm", "Den"),
    Term("retail", "Điểm bán lẻ", "Retail point"),
    Term("use_site", "Điểm tổ chức, chứa chấp sử dụng", "Use site"),
)
HOTSPOT_STATUSES = _vocabulary(
    "hotspot_status",
    Term("active", "Đang hoạt động", "Active", "#d7301f"),
    Term("under_attack", "Đang đấu tranh", "Under attack", "#fc8d59"),
    Term("cleared", "Đã triệt xóa", "Cleared", "#1a9850"),
    Term("relapsed", "Tái phức tạp", "Relapsed", "#7b3294"),
)
ACTIVE_HOTSPOT_STATUSES: tuple[str, ...] = ("active", "under_attack", "relapsed")
"""Statuses of a hotspot still operating (everything but cleared)."""
HOTSPOT_SOURCES = _vocabulary(
    "hotspot_source",
    Term("tip_off", "Tin báo, tố giác", "Tip-off"),
    Term("patrol", "Tuần tra", "Patrol"),
    Term("survey", "Rà soát", "Survey"),
    Term("other", "Khác", "Other"),
)
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    "active": frozenset({"under_attack", "cleared"}),
    "under_attack": frozenset({"cleared", "active"}),
    "cleared": frozenset({"relapsed"}),
    "relapsed": frozenset({"under_attack", "cleared"}),
}
"""Allowed status changes (DESIGN §3 and the demo's histories): a hotspot is attacked and
cleared, an attack may be called off, and a cleared one can only relapse (it is never simply
"active" again, so the relapse stays on record)."""
assert set(STATUS_TRANSITIONS) == set(HOTSPOT_STATUSES.codes)


def can_change(before: str, after: str) -> bool:
    """Whether a hotspot with status ``before`` may be given status ``after``."""
    return after in STATUS_TRANSITIONS.get(before, frozenset())


# -- facilities, cultivation, routes ---------------------------------------------------------------

FACILITY_SITES = _vocabulary(
    "facility_site",
    Term("police_hq", "Trụ sở Công an", "Police station"),
    Term("committee_hq", "Trụ sở UBND", "People's Committee"),
    Term("cultural_house", "Nhà văn hóa", "Cultural house"),
    Term("community_hall", "Nhà sinh hoạt cộng đồng", "Community hall"),
    Term("public_place", "Nơi công cộng", "Public place"),
    Term("other", "Khác", "Other"),
)
FACILITY_CONDITIONS = _vocabulary(
    "facility_condition",
    Term("good", "Tốt", "Good"),
    Term("damaged", "Hư hỏng", "Damaged"),
    Term("missing", "Mất", "Missing"),
)
AGEING = _vocabulary(
    "ageing",
    Term("fresh", "Dưới 30 ngày", "Under 30 days", "#1a9850"),
    Term("due", "30–90 ngày", "30–90 days", "#fdae61"),
    Term("stale", "Trên 90 ngày", "Over 90 days", "#d73027"),
    Term("never", "Chưa kiểm tra", "Never checked", "#999999"),
)
"""How long since a board or box was last checked."""
CULTIVATION_STATUSES = _vocabulary(
    "cultivation_status",
    Term("active", "Đang trồng", "Active", "#8c2d04"),
    Term("eradicated", "Đã nhổ bỏ", "Eradicated", "#74c476"),
    Term("replanted", "Trồng lại", "Replanted", "#e6550d"),
)
ROUTE_KINDS = _vocabulary(
    "route_kind",
    Term("road", "Đường bộ", "Road"),
    Term("waterway", "Đường thủy", "Waterway"),
    Term("border_path", "Đường mòn biên giới", "Border path"),
    Term("other", "Khác", "Other"),
)

LOCATION_METHODS = _vocabulary(
    "location_method",
    Term("gps", "Theo GPS", "By GPS"),
    Term("tap", "Chọn trên bản đồ", "Tapped on the map"),
)
"""How a feature placed in the field got its position (NULL for rows not placed there)."""

# -- campaigns -------------------------------------------------------------------------------------

CAMPAIGN_PROGRESS = _vocabulary(
    "campaign_progress",
    Term("recognised", "Đã được công nhận", "Recognised", "#1a9850"),
    Term("share_high", "Đạt từ 75 % tiêu chí", "75 % of criteria met or more", "#54278f"),
    Term("share_mid", "Đạt 50–75 % tiêu chí", "50–75 % of criteria met", "#756bb1"),
    Term("share_low", "Đạt 25–50 % tiêu chí", "25–50 % of criteria met", "#9e9ac8"),
    Term("share_none", "Đạt dưới 25 % tiêu chí", "Under 25 % of criteria met", "#dadaeb"),
    Term("not_evaluated", "Chưa đánh giá", "Not evaluated yet", "#bdbdbd"),
)
"""Recognised in the DESIGN's drug-free green; the shares on a sequential purple ramp (darker is
further), so they never read as a classification colour; not evaluated in grey."""
EVALUATION_VERDICTS = _vocabulary(
    "evaluation_verdict",
    Term("recognised", "Đủ điều kiện công nhận", "Recognised"),
    Term("not_recognised", "Chưa đạt", "Not recognised"),
    Term(INSUFFICIENT, "Chưa đủ dữ liệu", "Insufficient data"),
)
CRITERION_VERDICTS = _vocabulary(
    "criterion_verdict",
    Term("met", "Đạt", "Met"),
    Term("not_met", "Không đạt", "Not met"),
    Term(INSUFFICIENT, "Chưa đủ dữ liệu", "Insufficient data"),
    Term("not_checked", "Chưa kiểm tra", "Not checked"),
)

# -- users ----------------------------------------------------------------------------------------

USER_ROLES = _vocabulary(
    "user_role",
    Term("admin", "Quản trị hệ thống", "Administrator"),
    Term("commander", "Chỉ huy", "Commander"),
    Term("staff", "Cán bộ tham mưu", "Staff officer"),
    Term("officer", "Cán bộ địa bàn", "Field officer"),
    Term("viewer", "Người xem", "Viewer"),
)
"""What a login may do (DESIGN §1); the labels are shown beside the login on every page."""

VOCABULARIES: dict[str, Vocabulary] = {
    v.name: v
    for v in (
        ADMIN_LEVELS,
        HOTSPOT_KINDS,
        HOTSPOT_STATUSES,
        HOTSPOT_SOURCES,
        FACILITY_SITES,
        FACILITY_CONDITIONS,
        CULTIVATION_STATUSES,
        ROUTE_KINDS,
        LOCATION_METHODS,
        AGEING,
        CLASSIFICATION_CLASSES,
        CAMPAIGN_PROGRESS,
        EVALUATION_VERDICTS,
        CRITERION_VERDICTS,
        USER_ROLES,
    )
}
"""Every vocabulary by name (the names of the database enums where there is one)."""
