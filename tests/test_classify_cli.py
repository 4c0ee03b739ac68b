"""``geo-app classify``: CSV in, CSV out, all or nothing; the --db mode's wiring and errors.

Pure except ``test_db_mode_reports_an_unknown_province`` (an empty PostGIS database).
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from geo_app.cli import main
from geo_app.services.classification.spreadsheet import COLUMNS, OUTPUT_COLUMNS

HEADER = ",".join(COLUMNS)

# code, A, H, P, S, offenders, population, T, users, cases -> class, criteria, missing
ANNEX_ROWS: list[tuple[str, str, str, str]] = [
    ("DF,0,0,0,0,0,1000,false,0,0", "drug_free", "df.none", ""),
    ("A19,19,0,0,0,0,1000,false,0,0", "less_complex", "lc.presence", ""),
    ("A20,20,0,0,0,0,1000,false,0,0", "type_3", "t3.addicts", ""),
    ("A59,59,0,0,0,0,1000,false,0,0", "type_3", "t3.addicts", ""),
    ("A60,60,0,0,0,0,1000,false,0,0", "type_2", "t2.addicts", ""),
    ("A99,99,0,0,0,0,1000,false,0,0", "type_2", "t2.addicts", ""),
    ("A100,100,0,0,0,0,1000,false,0,0", "type_1", "t1.addicts", ""),
    ("H2,0,2,0,0,0,1000,false,0,0", "type_3", "t3.hotspots", ""),
    ("H3,0,3,0,0,0,1000,false,0,0", "type_2", "t2.hotspots", ""),
    ("H4,0,4,0,0,0,1000,false,0,0", "type_2", "t2.hotspots", ""),
    ("H5,0,5,0,0,0,1000,false,0,0", "type_1", "t1.hotspots", ""),
    ("P499,0,0,499,0,0,1000,false,0,0", "type_3", "t3.plants", ""),
    ("P500,0,0,500,0,0,1000,false,0,0", "type_2", "t2.plants", ""),
    ("P3000,0,0,3000,0,0,1000,false,0,0", "type_1", "t1.plants", ""),
    ("S999.5,0,0,0,999.5,0,1000,false,0,0", "type_3", "t3.plants", ""),
    ("S1000,0,0,0,1000.0,0,1000,false,0,0", "type_2", "t2.plants", ""),
    ("S1999.99,0,0,0,1999.99,0,1000,false,0,0", "type_2", "t2.plants", ""),
    ("S2000,0,0,0,2000,0,1000,false,0,0", "type_1", "t1.plants", ""),
    ("R<0.1,0,0,0,0,1,1001,false,0,0", "less_complex", "lc.presence", ""),
    ("R0.1,0,0,0,0,1,1000,false,0,0", "type_3", "t3.offenders", ""),
    ("R0.3,0,0,0,0,3,1000,false,0,0", "type_2", "t2.offenders", ""),
    ("R<0.5,0,0,0,0,5,1001,false,0,0", "type_2", "t2.offenders", ""),
    ("R0.5,0,0,0,0,5,1000,false,0,0", "type_1", "t1.offenders", ""),
    ("III+T,30,0,0,0,0,1000,true,0,0", "type_2", "t2.route", ""),
    ("II+T,70,0,0,0,0,1000,TRUE,0,0", "type_1", "t1.route", ""),
    ("I+T,150,3,0,0,0,1000,1,0,0", "type_1", "t1.addicts;t1.route", ""),
    ("LC+T,5,0,0,0,0,1000,True,0,0", "less_complex", "lc.presence", ""),
    ("DF+T,0,0,0,0,0,1000,1,0,0", "drug_free", "df.none", ""),
    ("noA,,0,0,0,0,1000,0,0,0", "insufficient_data", "", "addicts_registered"),
    ("noPop,0,0,0,0,2,,0,0,0", "insufficient_data", "", "population"),
    ("noPop0,0,0,0,0,0,,0,0,0", "drug_free", "df.none", ""),
    ("noT,30,0,0,0,0,1000,,0,0", "insufficient_data", "", "on_key_route"),
    ("noT-I,100,0,0,0,0,1000,,0,0", "type_1", "t1.addicts", ""),
    (
        "nothing,,,,,,,,,",
        "insufficient_data",
        "",
        "addicts_registered;active_hotspots;plants;plant_area_m2;offenders_resident;"
        "population;on_key_route;drug_users;drug_cases_by_residents",
    ),
]


def _annex_csv() -> str:
    return "\n".join([HEADER, *(row for row, *_ in ANNEX_ROWS)]) + "\n"


def _invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, ["classify", *args], env=env)


def _read(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _check_annex_output(text: str) -> None:
    records = _read(text)
    assert list(records[0]) == list(OUTPUT_COLUMNS)
    assert len(records) == len(ANNEX_ROWS)
    for record, (row, klass, criteria, missing) in zip(records, ANNEX_ROWS, strict=True):
        assert ",".join(record[c] for c in COLUMNS) == row  # the input round-trips as written
        assert (record["class"], record["criteria"], record["missing"]) == (
            klass,
            criteria,
            missing,
        ), record["code"]


def test_annex_table_round_trips_to_stdout(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(_annex_csv(), encoding="utf-8")
    result = _invoke("--rules", "tra-vinh-2025", "--input", str(source))
    assert result.exit_code == 0, result.output
    _check_annex_output(result.stdout)


def test_annex_table_round_trips_to_a_file(tmp_path: Path) -> None:
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_text("\ufeff" + _annex_csv(), encoding="utf-8")  # a BOM, as Excel writes
    result = _invoke("--rules", "tra-vinh-2025", "--input", str(source), "--output", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    _check_annex_output(target.read_text(encoding="utf-8"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.csv"]


def test_the_installed_command_runs(tmp_path: Path) -> None:
    """The real ``.venv/bin/geo-app`` (console script), not only the click object."""
    command = Path(sys.executable).with_name("geo-app")
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_text(_annex_csv(), encoding="utf-8")
    done = subprocess.run(
        [
            str(command),
            "classify",
            "--rules",
            "tra-vinh-2025",
            "--input",
            str(source),
            "--output",
            str(target),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    _check_annex_output(target.read_text(encoding="utf-8"))
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{HEADER}\nX,-1,0,0,0,0,1000,false,0,0\n", encoding="utf-8")
    refused = subprocess.run(
        [
            str(command),
            "classify",
            "--rules",
            "tra-vinh-2025",
            "--input",
            str(bad),
            "--output",
            str(tmp_path / "never.csv"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 2
    assert "line 2, column 2 (addicts_registered): '-1' is negative" in refused.stderr
    assert not (tmp_path / "never.csv").exists()


# -- refused input: exit 2, line and column, nothing written ---------------------------------------

BAD_FILES: list[tuple[str, str, list[str]]] = [
    (
        "negative",
        f"{HEADER}\nA,1,0,0,0,0,1000,false,0,0\nB,-3,0,0,0,0,1000,false,0,0\n",
        ["line 3, column 2 (addicts_registered): '-3' is negative"],
    ),
    (
        "not a number",
        f"{HEADER}\nA,1,0,many,0,0,1000,false,0,0\n",
        ["line 2, column 4 (plants): 'many' is not a whole number"],
    ),
    (
        "fractional count",
        f"{HEADER}\nA,1.5,0,0,0,0,1000,false,0,0\n",
        ["line 2, column 2 (addicts_registered): '1.5' is not a whole number"],
    ),
    (
        "decimal comma",
        f'{HEADER}\nA,1,0,0,"999,5",0,1000,false,0,0\n',
        ["line 2, column 5 (plant_area_m2): '999,5' is not a number"],
    ),
    (
        "negative area",
        f"{HEADER}\nA,1,0,0,-0.5,0,1000,false,0,0\n",
        ["line 2, column 5 (plant_area_m2): '-0.5' is negative"],
    ),
    (
        "bad flag",
        f"{HEADER}\nA,1,0,0,0,0,1000,yes,0,0\n",
        ["line 2, column 8 (on_key_route): 'yes' is not true, false, 1 or 0"],
    ),
    (
        "every problem at once",
        f"{HEADER}\nA,-1,x,0,0,0,1000,false,0,0\nB,1,0,0,0,0,1000,maybe,0,0\n",
        [
            "line 2, column 2 (addicts_registered): '-1' is negative",
            "line 2, column 3 (active_hotspots): 'x' is not a whole number",
            "line 3, column 8 (on_key_route): 'maybe' is not true, false, 1 or 0",
        ],
    ),
    (
        "wrong header",
        HEADER.replace("active_hotspots", "hotspots") + "\nA,1,0,0,0,0,1000,false,0,0\n",
        ["line 1, column 3: expected 'active_hotspots', found 'hotspots'"],
    ),
    (
        "missing column",
        HEADER.removesuffix(",drug_cases_by_residents") + "\nA,1,0,0,0,0,1000,false,0\n",
        ["line 1: expected 10 columns"],
    ),
    (
        "short row",
        f"{HEADER}\nA,1,0,0,0,0,1000,false,0\n",
        ["line 2: expected 10 cells, found 9"],
    ),
    (
        "duplicate code",
        f"{HEADER}\nA,1,0,0,0,0,1000,false,0,0\nA,2,0,0,0,0,1000,false,0,0\n",
        ["line 3, column 1 (code): duplicate of line 2"],
    ),
    ("empty code", f"{HEADER}\n,1,0,0,0,0,1000,false,0,0\n", ["line 2, column 1 (code)"]),
    ("empty file", "", ["line 1: the header is missing"]),
]


@pytest.mark.parametrize(
    ("content", "messages"), [case[1:] for case in BAD_FILES], ids=[c[0] for c in BAD_FILES]
)
def test_bad_input_exits_2_and_writes_nothing(
    tmp_path: Path, content: str, messages: list[str]
) -> None:
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_text(content, encoding="utf-8")
    result = _invoke("--rules", "tra-vinh-2025", "--input", str(source), "--output", str(target))
    assert result.exit_code == 2
    assert "nothing was written" in result.stderr
    for message in messages:
        assert message in result.stderr
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_an_existing_output_is_left_untouched_on_error(tmp_path: Path) -> None:
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_text(f"{HEADER}\nA,-1,0,0,0,0,1000,false,0,0\n", encoding="utf-8")
    target.write_text("earlier result\n", encoding="utf-8")
    result = _invoke("--rules", "tra-vinh-2025", "--input", str(source), "--output", str(target))
    assert result.exit_code == 2
    assert target.read_text(encoding="utf-8") == "earlier result\n"


def test_not_utf8_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_bytes(HEADER.encode() + b"\nH\xf4 Chi Minh,1,0,0,0,0,1000,false,0,0\n")
    result = _invoke("--rules", "tra-vinh-2025", "--input", str(source))
    assert result.exit_code == 2
    assert "not UTF-8" in result.stderr


def test_unknown_rule_set_exits_2(tmp_path: Path) -> None:
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_text(_annex_csv(), encoding="utf-8")
    result = _invoke("--rules", "dong-nai-2031", "--input", str(source), "--output", str(target))
    assert result.exit_code == 2
    assert "unknown classification rule set 'dong-nai-2031'" in result.stderr
    assert not target.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give either --input"),
        (["--db", "--input", "in.csv"], "give either --input"),
        (["--db", "--province", "86"], "--db needs --province CODE and --month"),
        (["--db", "--province", "86", "--month", "2025-06", "--output", "o.csv"], "--output is"),
        (["--input", "in.csv", "--month", "2025-06"], "go with --db"),
        (["--db", "--province", "86", "--month", "2025-13"], "Month «2025-13» is not valid"),
        (["--db", "--province", "86", "--month", "June"], "Month «June» is not valid"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    source = tmp_path / "in.csv"
    source.write_text(_annex_csv(), encoding="utf-8")
    args = [
        str(source) if a == "in.csv" else str(tmp_path / a) if a == "o.csv" else a for a in args
    ]
    result = _invoke("--rules", "tra-vinh-2025", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_db_mode_rejects_an_unknown_rule_set_before_connecting() -> None:
    result = _invoke(
        "--rules",
        "nope",
        "--db",
        "--province",
        "86",
        "--month",
        "2025-06",
        env={"GEO_APP_DATABASE_URL": "postgresql+psycopg2://nobody@127.0.0.1:1/none"},
    )
    assert result.exit_code == 2
    assert "unknown classification rule set 'nope'" in result.stderr


def test_db_mode_reports_an_unknown_province(empty_db: str) -> None:
    """Needs PostGIS: an empty database has no province 86, so nothing is classified."""
    result = _invoke(
        "--rules",
        "tra-vinh-2025",
        "--db",
        "--province",
        "86",
        "--month",
        "2025-06",
        env={"GEO_APP_DATABASE_URL": empty_db},
    )
    assert result.exit_code == 2, result.output
    assert "no province with code '86'" in result.stderr
