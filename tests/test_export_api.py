"""The export API, the export dialog on the pages and the admin's export log."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pyogrio
import pytest
import sqlalchemy as sa
from conftest import log_in
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from werkzeug.test import TestResponse

from geo_app import features
from geo_app.layers.base import LayerQuery
from geo_app.models import AuditLog

OFFICER = "canbo.hoaminh"  # officer of commune 29410
VIEWER = "xem.vinhlong"


def _get(client: FlaskClient, url: str) -> TestResponse:
    """The answer, read whole and closed (a sent file stays open until its answer is)."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def _save(response: TestResponse, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.write_bytes(response.get_data())
    return path


def _exports(demo_db: str, engine_for: Callable[[str], Engine]) -> int:
    with engine_for(demo_db).connect() as conn:
        return int(conn.scalar(sa.select(sa.func.count()).where(AuditLog.action == "export")))


def _count(demo_db: str, engine_for: Callable[[str], Engine], layer: str, area: str) -> int:
    from sqlalchemy.orm import Session

    with Session(engine_for(demo_db)) as session:
        q = features.FeatureQuery(layer=layer, filters=LayerQuery(area_code=area))
        return features.count(session, q).value


def test_one_layer_as_an_attachment(
    national_client: FlaskClient, demo_db: str, engine_for: Callable[[str], Engine], tmp_path: Path
) -> None:
    before = _exports(demo_db, engine_for)
    response = _get(national_client, "/api/exports/hotspots?format=gpkg&area=86&month=2025-12")
    assert response.status_code == 200, response.get_data(as_text=True)
    disposition = response.headers["Content-Disposition"]
    assert "attachment" in disposition and "hotspots_86_2025-12.gpkg" in disposition
    frame = pyogrio.read_dataframe(_save(response, tmp_path, "h.gpkg"))
    assert len(frame) == _count(demo_db, engine_for, "hotspots", "86") > 0
    assert _exports(demo_db, engine_for) == before + 1


def test_several_layers_in_one_geopackage(national_client: FlaskClient, tmp_path: Path) -> None:
    response = _get(national_client, "/api/exports?layers=hotspots,communes&format=gpkg&area=86")
    assert response.status_code == 200
    path = _save(response, tmp_path, "two.gpkg")
    assert {str(n) for n, _ in pyogrio.list_layers(path)} == {"hotspots", "communes"}


@pytest.mark.parametrize(
    ("url", "status", "words"),
    [
        ("/api/exports/hotspots?format=dwg", 400, "định dạng"),
        ("/api/exports/hotspots?format=dwg&lang=en", 400, "no format"),
        ("/api/exports/nothing?format=csv", 404, "không có lớp"),
        ("/api/exports/hotspots?format=csv&month=2025-13", 400, ""),
        ("/api/exports/hotspots?format=csv&area=99999", 404, "địa bàn"),
        ("/api/exports/hotspots?format=csv&generalised=maybe", 400, "generalised"),
        ("/api/exports/hotspots?format=csv&campaign=x", 400, "kế hoạch"),
        ("/api/exports/hotspots?format=csv&status=gone", 400, "tình trạng"),
        ("/api/exports/hotspots?format=csv&campaign=1", 400, "bộ lọc"),
        ("/api/exports?layers=hotspots,communes&format=csv&area=86", 400, "gpkg"),
        ("/api/exports?format=gpkg", 400, "một lớp"),
        ("/api/exports/routes?format=gpkg&generalised=1", 400, "khái quát"),
    ],
)
def test_bad_input_is_a_clear_4xx(
    national_client: FlaskClient, url: str, status: int, words: str
) -> None:
    response = _get(national_client, url)
    assert response.status_code == status, response.get_data(as_text=True)
    assert words in response.get_json()["error"]


def test_officers_get_only_generalised_data_of_their_commune(app: Flask, tmp_path: Path) -> None:
    officer = log_in(app.test_client(), OFFICER)
    refused = _get(officer, "/api/exports/hotspots?format=csv")
    assert refused.status_code == 403
    assert "khái quát" in refused.get_json()["error"]
    response = _get(officer, "/api/exports/hotspots?format=csv&generalised=1")
    assert response.status_code == 200
    frame = pyogrio.read_dataframe(
        _save(response, tmp_path, "o.csv"), X_POSSIBLE_NAMES="lon", Y_POSSIBLE_NAMES="lat"
    )
    assert len(frame) > 0
    assert {code.split("-")[0] for code in frame["unit_code"].astype(str)} == {"29410"}
    assert frame["watermark"].str.startswith(f"{OFFICER}, ").all()
    assert "khai-quat" in response.headers["Content-Disposition"]


def test_viewers_get_no_sensitive_field(app: Flask) -> None:
    viewer = log_in(app.test_client(), VIEWER)
    response = _get(viewer, "/api/exports/hotspots?format=csv&area=86")
    assert response.status_code == 200
    header = io.StringIO(response.get_data(as_text=True)).readline()
    assert "case_ref" not in header and "notes" not in header and "lon,lat" in header


def test_the_dialog_is_on_the_province_commune_and_campaign_pages(
    national_client: FlaskClient, app: Flask
) -> None:
    province = _get(national_client, "/map/province/86?month=2025-11").get_data(as_text=True)
    assert 'id="export-dialog"' in province and 'name="area" value="86"' in province
    assert 'name="month" value="2025-11"' in province and "Xuất dữ liệu" in province
    national = _get(national_client, "/").get_data(as_text=True)
    assert 'id="export-dialog"' not in national
    officer = log_in(app.test_client(), OFFICER)
    commune = _get(officer, "/map/commune/29410").get_data(as_text=True)
    assert '<input type="checkbox" checked disabled>' in commune
    assert 'name="generalised" value="1"' in commune


def test_admin_export_log_lists_exports(national_client: FlaskClient, app: Flask) -> None:
    _get(national_client, "/api/exports/hotspots?format=kml&area=86")
    page = _get(national_client, "/admin/exports")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Nhật ký xuất dữ liệu" in text and "kml" in text and "quantri" in text
    assert _get(national_client, "/admin/exports?page=x").status_code == 400
    commander = log_in(app.test_client(), "vinhlong")
    assert commander.get("/admin/exports").status_code == 403


def test_an_area_outside_the_officers_scope_is_refused(app: Flask) -> None:
    officer = log_in(app.test_client(), OFFICER)
    before = _exports_logged(app)
    refused = _get(officer, "/api/exports/hotspots?format=csv&generalised=1&area=86")
    assert refused.status_code == 403
    assert refused.get_json()["error"] == "địa bàn «86» nằm ngoài phạm vi của bạn"
    assert _exports_logged(app) == before  # refused before anything was written or logged
    own = _get(officer, "/api/exports/hotspots?format=csv&generalised=1&area=29410")
    assert own.status_code == 200


def _exports_logged(app: Flask) -> int:
    with app.extensions["geo_app.engine"].connect() as connection:
        return int(
            connection.scalar(sa.text("SELECT count(*) FROM audit_log WHERE action = 'export'"))
        )
