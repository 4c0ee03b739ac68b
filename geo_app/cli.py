"""The ``geo-app`` command. Each command parses its options and calls one service function."""

from __future__ import annotations

import getpass
import json
import sys
from datetime import date
from pathlib import Path

import click
from sqlalchemy.engine import Engine

from geo_app.config import Settings
from geo_app.embedded_pg import EmbeddedDatabaseError
from geo_app.errors import GeoAppError


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _engine(settings: Settings) -> Engine:
    from geo_app.db import make_engine, resolve_database_url

    return make_engine(resolve_database_url(settings))


def _fail(error: GeoAppError | EmbeddedDatabaseError) -> None:
    click.echo(f"error: {getattr(error, 'message', None) or error}", err=True)
    for line in getattr(error, "details", []):
        click.echo(f"  - {line}", err=True)
    sys.exit(2 if isinstance(error, GeoAppError) else 1)


@click.group()
@click.version_option(package_name="geo_app")
def main() -> None:
    """geo_app: maps for the drug-free commune programme."""


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
        _fail(error)
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
        _fail(error)
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


# -- serving -------------------------------------------------------------------------------------


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
def serve(host: str, port: int, threads: int) -> None:
    """Serve the app with a production WSGI server (waitress) until Ctrl-C."""
    from waitress import serve as waitress_serve

    from geo_app import create_app
    from geo_app.db import embedded_cluster

    settings = Settings.from_env()
    started_here = False
    if not settings.database_url:
        cluster = embedded_cluster(settings)
        started_here = cluster.info() is None
    try:
        app = create_app(settings)
    except EmbeddedDatabaseError as error:
        _fail(error)
        return
    click.echo(f"geo_app serving on http://{host}:{port} (Ctrl-C to stop)")
    try:
        waitress_serve(app, host=host, port=port, threads=threads, ident="geo_app")
    finally:
        if started_here:
            embedded_cluster(settings).stop()
            click.echo("embedded PostgreSQL stopped")


# -- data ----------------------------------------------------------------------------------------


@main.command("import-boundaries")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--level",
    required=True,
    type=click.Choice(["province", "district", "commune", "hamlet", "residential_group"]),
)
@click.option("--layout", required=True, type=click.Choice(["2025", "pre2025"]))
@click.option("--code-field", default="code", show_default=True)
@click.option("--name-field", default="name", show_default=True)
@click.option("--parent-code-field", default=None, help="Field with the parent unit's code.")
@click.option("--name-en-field", default=None)
@click.option("--kind-field", default=None)
@click.option("--population-field", default=None)
@click.option(
    "--population-estimate-field",
    default=None,
    help="Boolean field: the population is an estimate.",
)
@click.option(
    "--valid-from",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="First day of validity (default: the layout's start).",
)
@click.option("--dry-run", is_flag=True, help="Check everything, then roll back.")
def import_boundaries(
    file: Path,
    level: str,
    layout: str,
    code_field: str,
    name_field: str,
    parent_code_field: str | None,
    name_en_field: str | None,
    kind_field: str | None,
    population_field: str | None,
    population_estimate_field: str | None,
    valid_from: object,
    dry_run: bool,
) -> None:
    """Import boundaries from FILE (GeoJSON, GeoPackage, zipped Shapefile), all or nothing."""
    from geo_app.db import session_scope
    from geo_app.services.boundaries import FieldMap, import_file

    fields = FieldMap(
        code=code_field,
        name=name_field,
        parent_code=parent_code_field,
        name_en=name_en_field,
        kind=kind_field,
        population=population_field,
        population_is_estimate=population_estimate_field,
    )
    starts = valid_from.date() if hasattr(valid_from, "date") else None
    try:
        engine = _engine(Settings.from_env())
        with session_scope(engine) as session:
            transaction = session.begin()
            try:
                summary = import_file(
                    session,
                    file,
                    level=level,
                    layout=layout,
                    fields=fields,
                    actor=_actor(),
                    valid_from=starts if isinstance(starts, date) else None,
                )
            except BaseException:
                transaction.rollback()
                raise
            if dry_run:
                transaction.rollback()
            else:
                transaction.commit()
    except (GeoAppError, EmbeddedDatabaseError) as error:
        _fail(error)
        return
    click.echo(summary.text())
    if dry_run:
        click.echo("dry run: nothing was written")


@main.command("load-demo")
def load_demo() -> None:
    """Load the real boundaries and the demo data (a second run adds nothing)."""
    from geo_app.db import session_scope
    from geo_app.services.demo import load_demo as run

    try:
        engine = _engine(Settings.from_env())
        with session_scope(engine) as session, session.begin():
            report = run(session, actor=_actor())
    except (GeoAppError, EmbeddedDatabaseError) as error:
        _fail(error)
        return
    click.echo(report)


@main.command("create-user")
@click.argument("login")
@click.option(
    "--role", required=True, type=click.Choice(["admin", "commander", "staff", "officer", "viewer"])
)
@click.option(
    "--scope",
    "scope_code",
    default=None,
    help="Code of the unit whose subtree the user may see (required unless admin).",
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user(login: str, role: str, scope_code: str | None, password_stdin: bool) -> None:
    """Create a user account (the password is asked for, never given on the command line)."""
    from geo_app.db import session_scope
    from geo_app.services.users import create_user as run

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        engine = _engine(Settings.from_env())
        with session_scope(engine) as session, session.begin():
            user = run(
                session,
                login=login,
                password=password,
                role=role,
                scope_code=scope_code,
                actor=_actor(),
            )
            created = user.login
    except (GeoAppError, EmbeddedDatabaseError) as error:
        _fail(error)
        return
    click.echo(f"user {created} created ({role}, scope {scope_code or 'national'})")


@main.command("verify-audit")
def verify_audit() -> None:
    """Check the audit log's hash chain; exits 1 if any row was rewritten."""
    from geo_app.db import session_scope
    from geo_app.services.audit import verify_chain

    engine = _engine(Settings.from_env())
    with session_scope(engine) as session:
        broken = verify_chain(session)
    if broken:
        click.echo(f"audit log tampered: rows {json.dumps(broken[:50])}", err=True)
        sys.exit(1)
    click.echo("audit log intact")
