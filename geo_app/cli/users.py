"""geo-app create-user: accounts, roles and scopes."""

from __future__ import annotations

import sys

import click

from geo_app.cli.base import actor, engine_for, fail, main
from geo_app.config import Settings
from geo_app.embedded_pg import EmbeddedDatabaseError
from geo_app.errors import GeoAppError


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
    from geo_app.services.accounts.users import create_user as run

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        engine = engine_for(Settings.from_env())
        with session_scope(engine) as session, session.begin():
            user = run(
                session,
                login=login,
                password=password,
                role=role,
                scope_code=scope_code,
                actor=actor(),
            )
            created = user.login
    except (GeoAppError, EmbeddedDatabaseError) as error:
        fail(error)
        return
    click.echo(f"user {created} created ({role}, scope {scope_code or 'national'})")
