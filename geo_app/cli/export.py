"""geo-app export: a layer (or several, into one GeoPackage) to a file, logged like the web's.

The command is run by an administrator (national scope, every non-sensitive-by-rule field);
``--generalised`` makes the copy for documents that leave the police.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import click

from geo_app import clock
from geo_app.cli.base import MONTH, actor, engine_for, fail, main
from geo_app.config import Settings
from geo_app.domain.month import Month, as_of
from geo_app.embedded_pg import EmbeddedDatabaseError
from geo_app.errors import GeoAppError
from geo_app.exports.formats import FORMATS


@main.command("export")
@click.argument("layers", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="gpkg")
@click.option("--area", default=None, help="A unit code, e.g. 86 (province) or 29410.")
@click.option("--month", type=MONTH, default=None, help="As of this month, YYYY-MM.")
@click.option("--status", default="", help="Comma-separated status codes.")
@click.option("--campaign", type=int, default=None, help="A campaign id (campaign layers).")
@click.option("--generalised", is_flag=True, help="Points to their hamlet; no sensitive field.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def export_command(
    layers: tuple[str, ...],
    fmt: str,
    area: str | None,
    month: Month | None,
    status: str,
    campaign: int | None,
    generalised: bool,
    output: Path,
) -> None:
    """Export LAYERS (several only with --format gpkg) to OUTPUT."""
    from geo_app.db import session_scope
    from geo_app.exports.layers import ExportRequest, export
    from geo_app.layers.base import LayerQuery

    filters = LayerQuery(
        area_code=area,
        as_of=as_of(str(month), today=clock.today()) if month else None,
        status=tuple(s.strip() for s in status.split(",") if s.strip()),
        campaign_id=campaign,
    )
    asked = ExportRequest(
        layers, fmt, filters, actor(), "admin", generalised, str(month) if month else None
    )
    workdir = Path(tempfile.mkdtemp(prefix="geo_app_export_"))
    try:
        with session_scope(engine_for(Settings.from_env())) as session:
            done = export(session, asked, workdir)
            shutil.move(done.path, output)
            session.commit()
    except (GeoAppError, EmbeddedDatabaseError) as error:
        fail(error)
        return
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    counts = ", ".join(f"{name}: {count}" for name, count in done.rows.items())
    click.echo(f"{output} ({counts})")
