"""The 2025 merger crosswalk: stored, linked to units, and checked by spatial overlay."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pytest
import sqlalchemy as sa
from shapely.geometry import box
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from geo_app.services.boundaries.crosswalk import load_crosswalk, read_merges
from geo_app.services.boundaries.importer import FieldMap, import_frame


def _units(session: Session, layout: str, level: str, rows: list[tuple[str, str, object]]) -> None:
    frame = gpd.GeoDataFrame(
        {"code": [r[0] for r in rows], "name": [r[1] for r in rows]},
        geometry=[r[2] for r in rows],
        crs=4326,
    )
    import_frame(
        session, frame, level=level, layout=layout, fields=FieldMap(), actor="test", source="t"
    )


def _merges(path: Path, communes: list[dict[str, object]]) -> Path:
    path.write_text(
        json.dumps(
            {
                "data": [
                    {
                        "level1_id": "86",
                        "name": "Tỉnh Vĩnh Long",
                        "merges": [{"old_id": "84", "name": "Tỉnh Trà Vinh", "type": "full"}],
                        "level2s": communes,
                    }
                ]
            }
        )
    )
    return path


def test_overlay_confirms_and_flags_rows(
    empty_db: str, tmp_path: Path, engine_for: Callable[[str], Engine]
) -> None:
    old_a, old_b, old_c = (
        box(106.0, 9.9, 106.1, 10.0),
        box(106.1, 9.9, 106.2, 10.0),
        box(106.2, 9.9, 106.3, 10.0),
    )
    merges = _merges(
        tmp_path / "merges.json",
        [
            {
                "level2_id": "29242",
                "name": "Phường Mới",
                "merges": [
                    {"old_id": "29239", "name": "Phường 1", "type": "full"},
                    # Listed as full, but only half of it lies in the new ward:
                    {"old_id": "29260", "name": "Phường 9", "type": "full"},
                ],
            }
        ],
    )
    with Session(engine_for(empty_db)) as session, session.begin():
        _units(
            session,
            "pre2025",
            "commune",
            [("29239", "Phường 1", old_a), ("29260", "Phường 9", old_b), ("29263", "Xã Ba", old_c)],
        )
        # The new ward covers A and B and most of C, which no mapping row mentions.
        _units(session, "2025", "commune", [("29242", "Phường Mới", box(106.0, 9.9, 106.28, 10.0))])
        report = load_crosswalk(session, merges, actor="test")
    assert report.rows == 3  # the province row 84 → 86 and two commune rows
    assert report.checked == 2  # only rows whose old and new boundaries are both loaded
    assert report.disagreements == []
    assert report.unlisted == []  # 29263 is in no mapping row, so it is not "unlisted"
    with engine_for(empty_db).connect() as conn:
        rows = {
            r.old_code: r
            for r in conn.execute(
                sa.text(
                    "SELECT old_code, share_of_old, share_of_new, overlay_checked, overlay_note "
                    "FROM crosswalk"
                )
            )
        }
    assert rows["84"].overlay_checked is False
    for code in ("29239", "29260"):
        assert rows[code].overlay_checked is True
        assert float(rows[code].share_of_old) == pytest.approx(1.0, abs=1e-6)
        assert rows[code].overlay_note is None
    assert float(rows["29239"].share_of_new) == pytest.approx(0.1 / 0.28, rel=1e-3)


def test_full_row_with_small_overlap_is_reported(
    empty_db: str, tmp_path: Path, engine_for: Callable[[str], Engine]
) -> None:
    merges = _merges(
        tmp_path / "merges.json",
        [
            {
                "level2_id": "29242",
                "name": "Phường Mới",
                "merges": [
                    {"old_id": "29239", "name": "Phường 1", "type": "full"},
                    {"old_id": "29260", "name": "Phường 9", "type": "full"},
                ],
            },
            {
                "level2_id": "29300",
                "name": "Xã Bên",
                "merges": [{"old_id": "29260", "name": "Phường 9", "type": "partial"}],
            },
        ],
    )
    with Session(engine_for(empty_db)) as session, session.begin():
        _units(
            session,
            "pre2025",
            "commune",
            [
                ("29239", "Phường 1", box(106.0, 9.9, 106.1, 10.0)),
                ("29260", "Phường 9", box(106.1, 9.9, 106.2, 10.0)),
            ],
        )
        _units(
            session,
            "2025",
            "commune",
            [
                ("29242", "Phường Mới", box(106.0, 9.9, 106.15, 10.0)),
                ("29300", "Xã Bên", box(106.15, 9.9, 106.3, 10.0)),
            ],
        )
        report = load_crosswalk(session, merges, actor="test")
    assert report.checked == 3
    assert len(report.disagreements) == 1
    assert "29260 Phường 9 → 29242 Phường Mới" in report.disagreements[0]
    assert "listed as full, but only 50.0 %" in report.disagreements[0]
    with engine_for(empty_db).connect() as conn:
        note = conn.scalar(
            sa.text(
                "SELECT overlay_note FROM crosswalk WHERE old_code = '29260' AND new_code = '29242'"
            )
        )
        audited = conn.scalar(
            sa.text("SELECT count(*) FROM audit_log WHERE action = 'load_crosswalk'")
        )
    assert note and "50.0 %" in note
    assert audited == 1


def test_unlisted_overlap_is_reported(
    empty_db: str, tmp_path: Path, engine_for: Callable[[str], Engine]
) -> None:
    merges = _merges(
        tmp_path / "merges.json",
        [
            {
                "level2_id": "29242",
                "name": "Phường Mới",
                "merges": [{"old_id": "29239", "name": "Phường 1", "type": "partial"}],
            },
        ],
    )
    with Session(engine_for(empty_db)) as session, session.begin():
        _units(session, "pre2025", "commune", [("29239", "Phường 1", box(106.0, 9.9, 106.2, 10.0))])
        _units(
            session,
            "2025",
            "commune",
            [
                ("29242", "Phường Mới", box(106.0, 9.9, 106.1, 10.0)),
                ("29300", "Xã Bên", box(106.1, 9.9, 106.2, 10.0)),
            ],
        )
        report = load_crosswalk(session, merges, actor="test")
    assert report.disagreements == []
    assert len(report.unlisted) == 1
    assert "29239 Phường 1 overlaps 29300 Xã Bên by 50.0 %" in report.unlisted[0]


def test_real_mapping_file_reads() -> None:
    path = Path(__file__).resolve().parent.parent / "data/boundaries/crosswalk/merges.json"
    rows = read_merges(path)
    new_provinces = {r["new_code"] for r in rows if len(r["new_code"]) == 2}
    assert len(new_provinces) == 34
    assert {
        "old_code": "84",
        "old_name": "Tỉnh Trà Vinh",
        "new_code": "86",
        "new_name": "Tỉnh Vĩnh Long",
        "relation": "full",
    } in rows
    assert len({r["new_code"] for r in rows if len(r["new_code"]) == 5}) == 3321
