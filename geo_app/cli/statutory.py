"""geo-app statutory: classes of a province's communes for a month, year on year.

Classifications are stored by `geo-app classify --db --province CODE --month YYYY-MM`.
"""

from __future__ import annotations

import click

from geo_app.cli.base import MONTH, engine_for, fail, main
from geo_app.config import Settings
from geo_app.domain.month import Month
from geo_app.embedded_pg import EmbeddedDatabaseError
from geo_app.errors import GeoAppError


@main.command("statutory")
@click.option("--province", "province_code", required=True, help="Province code, e.g. 86.")
@click.option(
    "--month",
    required=True,
    type=MONTH,
    help="Month of the table, YYYY-MM.",
)
@click.option("--format", "output", type=click.Choice(["text", "csv", "json"]), default="text")
@click.option(
    "--rule-set",
    "rules_name",
    default=None,
    help="Count classifications of this rule set only (default: the latest stored).",
)
def statutory(province_code: str, month: Month, output: str, rules_name: str | None) -> None:
    """Print the statutory table of a province for a month, beside the previous year."""
    from geo_app.db import session_scope
    from geo_app.services.classification.statutory import table

    try:
        engine = engine_for(Settings.from_env())
        with session_scope(engine) as session:
            result = table(
                session, province_code=province_code, month=month.first_day, rules_name=rules_name
            )
    except (GeoAppError, EmbeddedDatabaseError) as error:
        fail(error)
        return
    rendered = {"text": result.text, "csv": result.csv, "json": result.json}[output]()
    click.echo(rendered, nl=not rendered.endswith("\n"))
