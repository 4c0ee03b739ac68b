"""geo-app backup, geo-app restore: the database as a pg_dump custom-format file and back,
as the schema owner (docs/OPERATIONS.md says when and where to keep the files)."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.engine import make_url

from geo_app.cli.base import fail, main
from geo_app.config import Settings
from geo_app.embedded_pg import EmbeddedDatabaseError
from geo_app.errors import GeoAppError


@main.command("backup")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
def backup(file: Path) -> None:
    """Write the whole database into FILE (pg_dump custom format), then say how many tables,
    rows and bytes it holds. Keep the audit key with the dumps, apart from them."""
    from geo_app.db import resolve_database_url
    from geo_app.services import backup as service

    try:
        report = service.backup(resolve_database_url(Settings.from_env(), owner=True), file)
    except (GeoAppError, EmbeddedDatabaseError) as error:
        fail(error)
        return
    click.echo(report)


@main.command("restore")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--into",
    default=None,
    help="A database name (made if missing: the embedded cluster, or with "
    "GEO_APP_DB_SUPERUSER_URL) or an owner's URL; default: the configured database.",
)
@click.option("--force", is_flag=True, help="Replace what the target database holds.")
def restore(file: Path, into: str | None, force: bool) -> None:
    """Load FILE (made by `geo-app backup`) in one transaction, as the schema owner, then grant
    the app role its rights. A database that holds tables is refused unless --force."""
    from geo_app.services import backup as service

    settings = Settings.from_env()
    try:
        service.check_archive(file)
        report = service.restore(file, _target(settings, into), settings.app_role, force=force)
    except (GeoAppError, EmbeddedDatabaseError) as error:
        fail(error)
        return
    click.echo(report)


def _target(settings: Settings, into: str | None) -> str:
    """The owner's URL of the database to restore into (made first when named and missing)."""
    from geo_app.db import resolve_database_url
    from geo_app.db_roles import provision_database

    if into and "://" in into:
        return into
    if not (into and settings.external_database):
        return resolve_database_url(settings, database=into, owner=True)
    owner = make_url(resolve_database_url(settings, owner=True)).set(database=into)
    if settings.superuser_database_url and owner.username:
        provision_database(settings.superuser_database_url, into, owner.username)
    return owner.render_as_string(hide_password=False)
