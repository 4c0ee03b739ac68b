"""The one month type and parser: what it accepts, every refusal, and the same rule over HTTP."""

from __future__ import annotations

from datetime import date

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from geo_app.cli import main
from geo_app.domain.indicators import FieldError, parse_month
from geo_app.domain.month import EARLIEST, Month, MonthError, as_of
from geo_app.errors import InvalidInput
from geo_app.web.errors import month_message

TODAY = date(2025, 12, 31)


def test_a_month_parses_and_prints_back() -> None:
    month = Month.parse("2025-10", today=TODAY)
    assert month == Month(2025, 10)
    assert str(month) == "2025-10"
    assert month.first_day == date(2025, 10, 1)
    assert month.last_day == date(2025, 10, 31)
    assert Month.parse("2000-01", today=TODAY) == EARLIEST
    assert Month.parse("2025-12", today=TODAY) == Month.of(TODAY)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("２０２５-１０", "format"),  # full-width digits
        ("٢٠٢٥-١٠", "format"),  # Arabic-Indic digits
        ("2025-1", "format"),
        ("2025-13", "format"),
        ("2025-00", "format"),
        ("2025-10-01", "format"),
        (" 2025-10", "format"),
        ("2025 -10", "format"),
        ("2025-10\n", "format"),
        ("2025-10\x00", "format"),
        ("", "format"),
        ("2025-10" * 1000, "format"),
        ("1999-12", "too_early"),
        ("0000-01", "too_early"),
        ("2026-01", "future"),
        ("9999-12", "future"),
    ],
)
def test_every_refusal_has_its_reason(text: str, reason: str) -> None:
    with pytest.raises(MonthError) as caught:
        Month.parse(text, today=TODAY)
    assert caught.value.reason == reason
    assert isinstance(caught.value, InvalidInput) and caught.value.status == 400
    assert len(caught.value.value) <= 21 and "\x00" not in caught.value.value


def test_the_english_messages_name_the_value() -> None:
    with pytest.raises(MonthError, match="Month 9999-12 is in the future"):
        Month.parse("9999-12", today=TODAY)
    with pytest.raises(MonthError, match="Month 1999-12 is before 2000-01"):
        Month.parse("1999-12", today=TODAY)
    with pytest.raises(MonthError, match="Month «2025-1» is not valid: use YYYY-MM"):
        Month.parse("2025-1", today=TODAY)


def test_ordering_and_neighbours() -> None:
    assert Month(2024, 12) < Month(2025, 1) < Month(2025, 2)
    assert sorted([Month(2025, 3), Month(2024, 11), Month(2025, 1)]) == [
        Month(2024, 11),
        Month(2025, 1),
        Month(2025, 3),
    ]
    assert Month(2024, 12).next() == Month(2025, 1)
    assert Month(2025, 1).previous() == Month(2024, 12)
    assert Month(2025, 5).shift(-17) == Month(2023, 12)
    assert Month.of(date(2024, 2, 10)).last_day == date(2024, 2, 29)  # leap year
    assert Month(2025, 2).last_day == date(2025, 2, 28)
    assert Month(2000, 2).last_day == date(2000, 2, 29)
    assert Month(1900, 2).last_day == date(1900, 2, 28)
    with pytest.raises(ValueError):
        Month(2025, 13)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, TODAY),
        ("", TODAY),
        ("2025-02", date(2025, 2, 28)),
        ("2025-12", TODAY),
        ("2025-11-30", date(2025, 11, 30)),
        ("2024-02-29", date(2024, 2, 29)),
    ],
)
def test_as_of_reads_a_month_or_a_day(text: str | None, expected: date) -> None:
    assert as_of(text, today=TODAY) == expected


def test_as_of_clamps_to_today_within_the_current_month() -> None:
    assert as_of("2025-12-31", today=date(2025, 12, 15)) == date(2025, 12, 15)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2025-02-30", "format"),
        ("2025-02-00", "format"),
        ("2025-2-01", "format"),
        ("２０２５-１０-０１", "format"),
        ("9999-12-31", "future"),
        ("1999-12-31", "too_early"),
    ],
)
def test_as_of_refuses_bad_days_by_the_same_rules(text: str, reason: str) -> None:
    with pytest.raises(MonthError) as caught:
        as_of(text, today=TODAY)
    assert caught.value.reason == reason
    assert caught.value.value == text  # the whole value is named


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("2025-13", "bad_month"),
        ("２０２５-１０", "bad_month"),
        ("1999-12", "early_month"),
        ("2026-01", "future_month"),
        ("", "missing"),
        (None, "missing"),
        (202510, "bad_month"),
    ],
)
def test_form_and_csv_months_become_field_errors(value: object, kind: str) -> None:
    parsed = parse_month(value, row=3, latest=TODAY)
    assert isinstance(parsed, FieldError)
    assert (parsed.row, parsed.column, parsed.kind) == (3, "month", kind)


def test_form_months_accept_what_month_parse_accepts() -> None:
    assert parse_month(" 2025-10 ", row=1, latest=TODAY) == date(2025, 10, 1)  # a trimmed cell
    assert parse_month("2026-01", row=1) == date(2026, 1, 1)  # no latest: no future check
    early = parse_month("1999-12", row=1, latest=TODAY)
    assert isinstance(early, FieldError) and "before 2000-01" in early.message("en")
    assert "trước tháng 2000-01" in early.message("vi")


def test_the_web_wording_follows_the_language(app: Flask) -> None:
    error = MonthError("too_early", "1999-12")
    with app.test_request_context("/?lang=en"):
        assert month_message(error) == error.message
    with app.test_request_context("/"):
        assert month_message(error) == (
            "Tháng 1999-12 trước 2000-01: chọn tháng 2000-01 hoặc muộn hơn."
        )


def test_the_cli_prints_the_english_text() -> None:
    result = CliRunner().invoke(
        main, ["statutory", "--province", "86", "--month", "9999-12"], catch_exceptions=False
    )
    assert result.exit_code == 2
    assert "Month 9999-12 is in the future" in result.output


# -- over HTTP: pages, tiles and the layers API refuse the same months ---------------------------

PATHS = (
    "/map/province/86",
    "/tiles/admin/1/0/0.mvt",
    "/api/layers/communes/features?bbox=106,9,106.1,9.1",
)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("month", "vietnamese", "english"),
    [
        ("9999-12", "Tháng 9999-12 chưa tới", "Month 9999-12 is in the future"),
        (
            "２０２５-１０",
            "Tháng «２０２５-１０» không hợp lệ",
            "Month «２０２５-１０» is not valid",
        ),
        ("1999-12", "Tháng 1999-12 trước 2000-01", "Month 1999-12 is before 2000-01"),
    ],
)
def test_pages_tiles_and_api_refuse_the_same_months(
    national_client: FlaskClient, path: str, month: str, vietnamese: str, english: str
) -> None:
    join = "&" if "?" in path else "?"
    for lang, expected, other in (("", vietnamese, english), ("&lang=en", english, vietnamese)):
        response = national_client.get(f"{path}{join}month={month}{lang}")
        assert response.status_code == 400
        text = response.get_data(as_text=True)
        if not path.startswith("/map/"):
            text = response.get_json()["error"]
        assert expected in text and other not in text


def test_the_month_of_today_is_still_served(national_client: FlaskClient) -> None:
    assert national_client.get("/tiles/admin/1/0/0.mvt?month=2025-12").status_code == 200
    assert national_client.get("/tiles/admin/1/0/0.mvt?month=2025-12-31").status_code == 200
