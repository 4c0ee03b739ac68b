"""geo-app import-indicators: monthly figures from a CSV file, all rows or none."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click

from geo_app.cli.base import actor, engine_for, fail, main
from geo_app.config import Settings
from geo_app.embedded_pg import EmbeddedDatabaseError
from geo_app.errors import GeoAppError, InvalidInput


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise InvalidInput(f"{path}: cannot read the file ({error.strerror})") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{path}: not UTF-8 text; save the CSV as UTF-8") from None


@main.command("import-indicators")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace figures already stored for a unit and month even without a version column.",
)
def import_indicators(file: Path, overwrite: bool) -> None:
    """Import monthly indicators from FILE (CSV, UTF-8).

    Header: code,month then any indicator columns (e.g. addicts_registered,households_total);
    an optional version column guards against overwriting newer figures. An empty cell means
    unknown; a column left out keeps what is stored. Any bad row: exit 2, nothing written.
    """
    from geo_app.db import session_scope
    from geo_app.services.indicators import rows_from_csv, save_indicators

    try:
        rows = rows_from_csv(_read_text(file))
        engine = engine_for(Settings.from_env())
        with session_scope(engine) as session, session.begin():
            saved = save_indicators(
                session,
                rows,
                actor=actor(),
                scope_unit_id=None,  # a shell on the server is trusted with the whole country
                source=f"import-indicators {file.name}",
                overwrite=overwrite,
            )
    except (GeoAppError, EmbeddedDatabaseError) as error:
        fail(error)
        return
    counts = Counter(s.action for s in saved)
    click.echo(
        f"{file.name}: {len(saved)} rows — {counts['inserted']} inserted, "
        f"{counts['updated']} updated, {counts['unchanged']} unchanged"
    )
