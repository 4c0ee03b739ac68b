"""Vietnamese and English words for the codes stored in the database, in one place.

Layers turn codes into labels in SQL (a CASE over this table) so popups, exports and tooltips
all say the same thing.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from geo_app.layers.base import Lang

LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "hotspot_kind": {
        "complex_point": ("Điểm phức tạp", "Complex point"),
        "den": ("Tụ điểm", "Den"),
        "retail": ("Điểm bán lẻ", "Retail point"),
        "use_site": ("Điểm tổ chức, chứa chấp sử dụng", "Use site"),
    },
    "hotspot_status": {
        "active": ("Đang hoạt động", "Active"),
        "under_attack": ("Đang đấu tranh", "Under attack"),
        "cleared": ("Đã triệt xóa", "Cleared"),
        "relapsed": ("Tái phức tạp", "Relapsed"),
    },
    "hotspot_source": {
        "tip_off": ("Tin báo, tố giác", "Tip-off"),
        "patrol": ("Tuần tra", "Patrol"),
        "survey": ("Rà soát", "Survey"),
        "other": ("Khác", "Other"),
    },
    "facility_site": {
        "police_hq": ("Trụ sở Công an", "Police station"),
        "committee_hq": ("Trụ sở UBND", "People's Committee"),
        "cultural_house": ("Nhà văn hóa", "Cultural house"),
        "community_hall": ("Nhà sinh hoạt cộng đồng", "Community hall"),
        "public_place": ("Nơi công cộng", "Public place"),
        "other": ("Khác", "Other"),
    },
    "facility_condition": {
        "good": ("Tốt", "Good"),
        "damaged": ("Hư hỏng", "Damaged"),
        "missing": ("Mất", "Missing"),
    },
    "cultivation_status": {
        "active": ("Đang trồng", "Active"),
        "eradicated": ("Đã nhổ bỏ", "Eradicated"),
        "replanted": ("Trồng lại", "Replanted"),
    },
    "route_kind": {
        "road": ("Đường bộ", "Road"),
        "waterway": ("Đường thủy", "Waterway"),
        "border_path": ("Đường mòn biên giới", "Border path"),
        "other": ("Khác", "Other"),
    },
    "ageing": {
        "fresh": ("Dưới 30 ngày", "Under 30 days"),
        "due": ("30–90 ngày", "30–90 days"),
        "stale": ("Trên 90 ngày", "Over 90 days"),
        "never": ("Chưa kiểm tra", "Never checked"),
    },
    "classification_class": {
        "type_1": ("Trọng điểm loại I", "Key area type I"),
        "type_2": ("Trọng điểm loại II", "Key area type II"),
        "type_3": ("Trọng điểm loại III", "Key area type III"),
        "less_complex": ("Ít phức tạp", "Less complex"),
        "drug_free": ("Không ma túy", "Drug-free"),
        "insufficient_data": ("Thiếu dữ liệu", "Insufficient data"),
        "no_data": ("Chưa có số liệu", "No data"),
    },
    "campaign_progress": {
        "recognised": ("Đã được công nhận", "Recognised"),
        "share_high": ("Đạt từ 75 % tiêu chí", "75 % of criteria met or more"),
        "share_mid": ("Đạt 50–75 % tiêu chí", "50–75 % of criteria met"),
        "share_low": ("Đạt 25–50 % tiêu chí", "25–50 % of criteria met"),
        "share_none": ("Đạt dưới 25 % tiêu chí", "Under 25 % of criteria met"),
        "not_evaluated": ("Chưa đánh giá", "Not evaluated yet"),
    },
    "evaluation_verdict": {
        "recognised": ("Đủ điều kiện công nhận", "Recognised"),
        "not_recognised": ("Chưa đạt", "Not recognised"),
        "insufficient_data": ("Chưa đủ dữ liệu", "Insufficient data"),
    },
    "criterion_verdict": {
        "met": ("Đạt", "Met"),
        "not_met": ("Không đạt", "Not met"),
        "insufficient_data": ("Chưa đủ dữ liệu", "Insufficient data"),
        "not_checked": ("Chưa kiểm tra", "Not checked"),
    },
}


def label(vocabulary: str, code: str, lang: Lang) -> str:
    """The label of one code (the code itself when unknown, so nothing disappears)."""
    pair = LABELS[vocabulary].get(code)
    if pair is None:
        return code
    return pair[0] if lang == "vi" else pair[1]


def label_sql(vocabulary: str, column: Any, lang: Lang) -> sa.ColumnElement[str]:
    """A SQL CASE that renders ``column``'s code as its label in ``lang``."""
    text_column = sa.cast(column, sa.String)
    whens = [
        (text_column == code, pair[0] if lang == "vi" else pair[1])
        for code, pair in LABELS[vocabulary].items()
    ]
    return sa.case(*whens, else_=text_column)


def ageing_sql(last_verified: Any, on: Any) -> sa.ColumnElement[str]:
    """fresh (< 30 days), due (< 90), stale (older), never: how long since last verified."""
    days = on - last_verified
    return sa.case(
        (last_verified.is_(None), "never"),
        (days < 30, "fresh"),
        (days < 90, "due"),
        else_="stale",
    )
