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
    if settings.external_database:
        click.echo("a database URL is set: using that database, nothing to start")
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
    if settings.external_database:
        click.echo("a database URL is set: the embedded cluster is not used")
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
    if settings.external_database:
        click.echo("using the configured database URL")
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
    owner_url = resolve_database_url(settings, owner=True)
    granted = upgrade(owner_url, revision, app_role=settings.app_role)
    click.echo(f"database at {revision}")
    if not granted:
        click.echo(
            f"warning: no rights granted to {settings.app_role}: the role does not exist, or it "
            "is the owner itself (set GEO_APP_DATABASE_URL to the app role's login)",
            err=True,
        )


@db.command("provision")
def db_provision() -> None:
    """Make the owner and app roles and the database (as GEO_APP_DB_SUPERUSER_URL), named and
    with the passwords given in GEO_APP_OWNER_DATABASE_URL and GEO_APP_DATABASE_URL; safe to
    run again (docker compose runs it on every start). Then run `geo-app db upgrade`."""
    from sqlalchemy.engine import make_url

    from geo_app.db_roles import provision_database, provision_roles

    settings = Settings.from_env()
    urls = (settings.superuser_database_url, settings.owner_database_url, settings.database_url)
    if not all(urls):
        fail(
            EmbeddedDatabaseError(
                "set GEO_APP_DB_SUPERUSER_URL, GEO_APP_OWNER_DATABASE_URL and GEO_APP_DATABASE_URL"
            )
        )
        return
    superuser, owner, app = (make_url(str(url)) for url in urls)
    users = {owner.username, app.username, superuser.username}
    if not (owner.username and owner.password and app.username and app.password) or len(users) < 3:
        fail(
            EmbeddedDatabaseError(
                "the owner and app URLs must name two users with passwords, neither the superuser"
            )
        )
        return
    provision_roles(superuser, {owner.username: owner.password, app.username: app.password})
    provision_database(superuser, str(owner.database), owner.username)
    click.echo(
        f"roles {owner.username} (owner) and {app.username} (app), database {owner.database}"
    )


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (``base`` drops every table)."""
    from geo_app.db import resolve_database_url
    from geo_app.migrations_api import downgrade

    downgrade(resolve_database_url(Settings.from_env(), owner=True), revision)
    click.echo(f"database at {revision}")
