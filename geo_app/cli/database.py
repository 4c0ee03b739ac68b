"""geo-app db …: the embedded cluster and migrations."""

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
    from geo_app.db import embedded_cluster, ensure_database
    from geo_app.embedded_pg import DEFAULT_DATABASE

    settings = Settings.from_env()
    if settings.database_url:
        click.echo("GEO_APP_DATABASE_URL is set: using that database, nothing to start")
        return
    try:
        info = embedded_cluster(settings).start()
        ensure_database(info.url(DEFAULT_DATABASE))
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
def db_url() -> None:
    """Print the database URL (starting the embedded cluster if needed)."""
    from geo_app.db import resolve_database_url

    click.echo(resolve_database_url(Settings.from_env()))


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    from geo_app.db import resolve_database_url
    from geo_app.migrations_api import upgrade

    upgrade(resolve_database_url(Settings.from_env()), revision)
    click.echo(f"database at {revision}")


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (``base`` drops every table)."""
    from geo_app.db import resolve_database_url
    from geo_app.migrations_api import downgrade

    downgrade(resolve_database_url(Settings.from_env()), revision)
    click.echo(f"database at {revision}")
