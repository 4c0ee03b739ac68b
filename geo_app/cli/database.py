"""geo-app db …: the embedded cluster and migrations (run as the schema owner)."""

from __future__ import annotations

import sys

import click

from geo_app.cli.base import fail, main
from geo_app.config import Settings
from geo_app.embedded_pg import EmbeddedDatabaseError

# -- database ------------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """The database: the embedded cluster and schema migrations."""


@db.command("start")
def db_start() -> None:
    """Start the embedded PostgreSQL + PostGIS cluster (created on first use)."""
    from geo_app.db import embedded_cluster

    settings = Settings.from_env()
    if settings.database_url:
        click.echo("GEO_APP_DATABASE_URL is set: using that database, nothing to start")
        return
    try:
        info = embedded_cluster(settings).ensure_database()
    except EmbeddedDatabaseError as error:
        fail(error)
        return
    click.echo(f"embedded PostgreSQL running on 127.0.0.1:{info.port} (socket {info.socket_dir})")


@db.command("stop")
def db_stop() -> None:
    """Stop the embedded cluster cleanly."""
    from geo_app.db import embedded_cluster

    settings = Settings.from_env()
    if settings.database_url:
        click.echo("GEO_APP_DATABASE_URL is set: the embedded cluster is not used")
        return
    try:
        stopped = embedded_cluster(settings).stop()
    except EmbeddedDatabaseError as error:
        fail(error)
        return
    click.echo("embedded PostgreSQL stopped" if stopped else "embedded PostgreSQL was not running")


@db.command("status")
def db_status() -> None:
    """Say whether the embedded cluster runs, and where."""
    from geo_app.db import embedded_cluster

    settings = Settings.from_env()
    if settings.database_url:
        click.echo("using GEO_APP_DATABASE_URL")
        return
    cluster = embedded_cluster(settings)
    info = cluster.info()
    if info is None:
        click.echo(f"embedded PostgreSQL not running (data in {cluster.data_dir})")
        sys.exit(3)
    click.echo(f"embedded PostgreSQL running on 127.0.0.1:{info.port}, data in {cluster.data_dir}")


@db.command("url")
@click.option("--owner", is_flag=True, help="The schema owner's URL instead of the web server's.")
def db_url(owner: bool) -> None:
    """Print the database URL (starting the embedded cluster if needed)."""
    from geo_app.db import resolve_database_url

    click.echo(resolve_database_url(Settings.from_env(), owner=owner))


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head) as the schema owner, then grant the
    app role its rights on every table."""
    from geo_app.db import resolve_database_url
    from geo_app.migrations_api import upgrade

    settings = Settings.from_env()
    granted = upgrade(
        resolve_database_url(settings, owner=True), revision, app_role=settings.db_app_role
    )
    click.echo(f"database at {revision}")
    if not granted:
        click.echo(
            f"warning: role {settings.db_app_role} does not exist: no rights granted "
            "(create it, or set GEO_APP_DB_APP_ROLE, then run `geo-app db upgrade` again)",
            err=True,
        )


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (``base`` drops every table)."""
    from geo_app.db import resolve_database_url
    from geo_app.migrations_api import downgrade

    downgrade(resolve_database_url(Settings.from_env(), owner=True), revision)
    click.echo(f"database at {revision}")
