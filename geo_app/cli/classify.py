"""geo-app classify: classify a CSV of unit inputs, or every commune of a province in the database.

``--input IN.csv [--output OUT.csv]`` is pure (no database): the whole file is checked first,
and on any problem nothing is written, not even an empty output file. ``--db --province CODE
--month YYYY-MM`` classifies and stores a province's month (services/classify_db.py).
"""

from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path

import click

from geo_app.cli.base import MONTH, actor, engine_for, fail, main
from geo_app.config import Settings
from geo_app.domain.month import Month
from geo_app.embedded_pg import EmbeddedDatabaseError
from geo_app.errors import GeoAppError, InvalidInput


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file, so a failure leaves no partial file."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            f"{path}: not UTF-8 text (byte {error.start}); nothing was written"
        ) from None
    except OSError as error:
        raise InvalidInput(f"{path}: cannot be read ({error.strerror})") from None


def _classify_file(rules_name: str, input_path: Path, output_path: Path | None) -> None:
    from geo_app.rules import load_classification
    from geo_app.services.classification.spreadsheet import classify_csv

    rules = load_classification(rules_name)
    text = classify_csv(_read_text(input_path), rules, source=str(input_path))
    if output_path is None:
        click.echo(text, nl=False)
    else:
        _write_atomically(output_path, text)


def _classify_db(rules_name: str, province: str, month: date, reason: str | None) -> None:
    from geo_app.db import session_scope
    from geo_app.rules import load_classification
    from geo_app.services.classification.province import classify_province

    load_classification(rules_name)  # an unknown rule set fails before the database is touched
    engine = engine_for(Settings.from_env())
    try:
        with session_scope(engine) as session, session.begin():
            report = classify_province(
                session,
                province_code=province,
                month=month,
                rules_name=rules_name,
                actor=actor(),
                reason=reason,
            )
    finally:
        engine.dispose()
    click.echo(report.text())


def _check_mode(
    input_path: Path | None,
    output_path: Path | None,
    use_db: bool,
    province: str | None,
    month: Month | None,
    reason: str | None,
) -> None:
    if use_db == (input_path is not None):
        raise click.UsageError("give either --input IN.csv or --db (with --province and --month)")
    if use_db and (province is None or month is None):
        raise click.UsageError("--db needs --province CODE and --month YYYY-MM")
    if use_db and output_path is not None:
        raise click.UsageError(
            "--output is for --input; --db stores the results and prints a report"
        )
    if not use_db and (province or month or reason):
        raise click.UsageError("--province, --month and --reason go with --db")


@main.command("classify")
@click.option("--rules", "rules_name", required=True, help="Rule set, e.g. tra-vinh-2025.")
@click.option(
    "--input",
    "input_path",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="CSV: code + the classification inputs (docs/ENGINE.md); empty cell = unknown.",
)
@click.option(
    "--output",
    "output_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Where to write the result CSV (default: standard output).",
)
@click.option("--db", "use_db", is_flag=True, help="Classify a province's communes and store it.")
@click.option("--province", default=None, help="With --db: the province code.")
@click.option("--month", type=MONTH, default=None, help="With --db: the month, YYYY-MM.")
@click.option("--reason", default=None, help="With --db: why, required if a class changes.")
def classify_command(
    rules_name: str,
    input_path: Path | None,
    output_path: Path | None,
    use_db: bool,
    province: str | None,
    month: Month | None,
    reason: str | None,
) -> None:
    """Classify units under a rule set: a CSV file, or a province's month in the database.

    CSV columns, exactly: code, addicts_registered, active_hotspots, plants, plant_area_m2,
    offenders_resident, population, on_key_route, drug_users, drug_cases_by_residents.
    on_key_route is true/false or 1/0. The output adds class, criteria and missing.
    """
    _check_mode(input_path, output_path, use_db, province, month, reason)
    try:
        if input_path is not None:
            _classify_file(rules_name, input_path, output_path)
        else:
            assert province is not None and month is not None
            _classify_db(rules_name, province, month.first_day, reason)
    except (GeoAppError, EmbeddedDatabaseError) as error:
        fail(error)
