"""Briefing maps on the demo data: the commune PDF's text and fonts, the PNG's size per paper,
the province and campaign sheets, and the web route's scope and parameter checks."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy.orm import Session

from geo_app import clock
from geo_app.domain.vocabulary import CLASSIFICATION_CLASSES, RANKED_CLASSES
from geo_app.i18n import translator
from geo_app.pages.common import PageMonth, Viewer
from geo_app.printing import briefing_map
from geo_app.printing.kit import PNG_DPI, Paper
from geo_app.services.campaigns import campaign_by_code

COMMUNE = "29410"  # Hòa Minh (Vĩnh Long), the demo officer's commune
PROVINCE = "86"
CAMPAIGN = "tra-vinh-2025"
FIVE_CLASSES_VI = [CLASSIFICATION_CLASSES.label(c, "vi") for c in RANKED_CLASSES]


def reader(scope: int | None = None) -> Viewer:
    return Viewer("vi", scope, clock.today(), translator("vi"))


def pdf_text(body: bytes, tmp_path: Path) -> str:
    path = tmp_path / "map.pdf"
    path.write_bytes(body)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def pdf_fonts(body: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(body)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    return out.splitlines()[2:]


def test_the_commune_pdf_has_title_date_month_and_the_five_classes(
    demo_session: Session, tmp_path: Path
) -> None:
    sheet = briefing_map.commune_sheet(
        demo_session, COMMUNE, PageMonth(None, clock.today()), reader()
    )
    body = briefing_map.render(sheet, Paper("A4", "landscape"), "pdf", author="test")
    text = " ".join(pdf_text(body, tmp_path).split())
    assert sheet.title and sheet.title in text
    assert "In ngày 31/12/2025" in text
    assert "Tháng số liệu:" in text
    for name in FIVE_CLASSES_VI:
        assert name in text, name
    assert "BẢN ĐỒ GIAO BAN" in text
    assert translator("vi")("DEMO DATA — for demonstration only, not real figures") in text
    fonts = pdf_fonts(body, tmp_path)
    assert fonts, "no font in the PDF"
    assert all(line.split()[-5] == "yes" for line in fonts), fonts  # the "emb" column


@pytest.mark.parametrize(
    ("name", "orientation"),
    [("A4", "landscape"), ("A4", "portrait"), ("A3", "landscape"), ("A3", "portrait")],
)
def test_a_png_is_the_size_of_the_paper_asked(
    demo_session: Session, name: str, orientation: str
) -> None:
    paper = Paper(name, orientation)  # type: ignore[arg-type]
    sheet = briefing_map.commune_sheet(
        demo_session, COMMUNE, PageMonth(None, clock.today()), reader()
    )
    image = Image.open(io.BytesIO(briefing_map.render(sheet, paper, "png", author="test")))
    width_mm, height_mm = paper.mm
    expected = (round(width_mm / 25.4 * PNG_DPI), round(height_mm / 25.4 * PNG_DPI))
    assert abs(image.size[0] - expected[0]) <= 1 and abs(image.size[1] - expected[1]) <= 1
    assert (image.size[0] > image.size[1]) == (orientation == "landscape")


def test_the_province_sheet_draws_every_commune_of_the_page(demo_session: Session) -> None:
    month = PageMonth("2025-12", clock.today())
    sheet = briefing_map.province_sheet(demo_session, PROVINCE, month, reader())
    communes = sheet.layers[0]
    assert communes.style_of == "classification"
    assert str(len(communes.features)) in sheet.subtitle
    assert len(communes.features) > 50
    assert sheet.legend[0].items[0].label == FIVE_CLASSES_VI[0]


def test_the_campaign_sheet_has_the_headline_and_every_target(demo_session: Session) -> None:
    campaign = campaign_by_code(demo_session, CAMPAIGN)
    sheet = briefing_map.campaign_sheet(demo_session, campaign.id, clock.today(), reader())
    assert len(sheet.layers[0].features) == 21
    assert "7" in sheet.subtitle and "21" in sheet.subtitle
    assert sheet.legend[0].items[0].label == "Đã được công nhận"


def test_the_route_answers_pdf_and_png(national_client: FlaskClient) -> None:
    pdf = national_client.get(f"/briefing/commune/{COMMUNE}.pdf?paper=A3&orientation=portrait")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    png = national_client.get(f"/briefing/campaign/{CAMPAIGN}.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert Image.open(io.BytesIO(png.data)).size[0] > 1700


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("paper=A5", "khổ giấy"),
        ("orientation=sideways", "hướng giấy"),
        ("month=2025-13", ""),
    ],
)
def test_bad_parameters_are_a_400_in_vietnamese(
    national_client: FlaskClient, query: str, message: str
) -> None:
    response = national_client.get(f"/briefing/commune/{COMMUNE}.pdf?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_bad_format_kind_and_codes(national_client: FlaskClient) -> None:
    assert national_client.get(f"/briefing/commune/{COMMUNE}.svg").status_code == 400
    assert national_client.get(f"/briefing/hamlet/{COMMUNE}.pdf").status_code == 404
    assert national_client.get("/briefing/commune/99999.pdf").status_code == 404
    assert national_client.get("/briefing/campaign/no-such-campaign.pdf").status_code == 404
    assert national_client.get(f"/briefing/campaign/{10**30}.pdf").status_code == 404
    english = national_client.get(f"/briefing/commune/{COMMUNE}.pdf?paper=A9&lang=en")
    assert english.status_code == 400 and "paper must be one of" in english.get_data(as_text=True)


def test_outside_the_scope_is_a_403(province_client: FlaskClient, client: FlaskClient) -> None:
    assert province_client.get("/briefing/province/01.pdf").status_code == 403  # Hà Nội
    assert province_client.get("/briefing/commune/00004.png").status_code == 403  # Ba Đình
    assert province_client.get(f"/briefing/commune/{COMMUNE}.png").status_code == 200
    assert client.get(f"/briefing/commune/{COMMUNE}.pdf").status_code in (302, 401)
