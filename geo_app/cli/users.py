"""geo-app create-user, set-password, set-role, deactivate-user, activate-user, unlock-user,
users list and users reset-password: accounts, roles and scopes. Every change to an existing
account ends that user's login sessions at once; a new password also lifts the login throttle's
lock on the account. The shell's operator is not limited by who-manages-whom (web pages are),
but the last active admin can be neither deactivated nor demoted here either."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click
from sqlalchemy.orm import Session

from geo_app.cli.base import actor, engine_for, fail, main
from geo_app.config import Settings
from geo_app.domain.vocabulary import USER_ROLES
from geo_app.embedded_pg import EmbeddedDatabaseError
from geo_app.errors import GeoAppError

ROLE = click.Choice(USER_ROLES.codes)
SCOPE_HELP = "Code of the unit whose subtree the user may see (required unless admin)."


def _password(from_stdin: bool) -> str:
    """From standard input, or asked twice without echo; never from the command line."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


def _in_transaction(work: Callable[[Session], Any]) -> Any:
    """Run ``work`` in one transaction; expected errors end the command with a message."""
    from geo_app.db import session_scope

    try:
        engine = engine_for(Settings.from_env())
        with session_scope(engine) as session, session.begin():
            return work(session)
    except (GeoAppError, EmbeddedDatabaseError) as error:
        fail(error)


@main.command("create-user")
@click.argument("login")
@click.option("--role", required=True, type=ROLE)
@click.option("--scope", "scope_code", default=None, help=SCOPE_HELP)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user(login: str, role: str, scope_code: str | None, password_stdin: bool) -> None:
    """Create a user account (the password is asked for, never given on the command line)."""
    from geo_app.services.accounts.users import create_user as run

    password = _password(password_stdin)
    created = _in_transaction(
        lambda session: (
            run(
                session,
                login=login,
                password=password,
                role=role,
                scope_code=scope_code,
                actor=actor(),
            ).login
        )
    )
    click.echo(f"user {created} created ({role}, scope {scope_code or 'national'})")


@main.command("set-password")
@click.argument("login")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def set_password(login: str, password_stdin: bool) -> None:
    """Give a user a new password; the user's open sessions end and a login lock is lifted."""
    from geo_app.services.accounts.users import set_password as run
    from geo_app.services.accounts.users import unlock

    password = _password(password_stdin)

    def work(session: Session) -> int:
        ended = run(session, login=login, password=password, actor=actor())
        unlock(session, login=login, secret=_secret(), actor=actor())
        return ended

    ended = _in_transaction(work)
    click.echo(f"password of {login} changed; {ended} session(s) ended")


@main.command("unlock-user")
@click.argument("login")
def unlock_user(login: str) -> None:
    """Lift the waits and the 15-minute lock that failed logins put on an account."""
    from geo_app.services.accounts.users import unlock

    lifted = _in_transaction(
        lambda session: unlock(session, login=login, secret=_secret(), actor=actor())
    )
    click.echo(f"{login} unlocked" if lifted else f"{login} was not locked or throttled")


def _secret() -> bytes:
    """The app's secret, which keys the throttle's counters (as ``web.auth`` does)."""
    return Settings.from_env().secret_key.encode()


@main.command("set-role")
@click.argument("login")
@click.option("--role", required=True, type=ROLE)
@click.option("--scope", "scope_code", default=None, help=SCOPE_HELP)
def set_role(login: str, role: str, scope_code: str | None) -> None:
    """Change a user's role and scope; the user's open sessions end."""
    from geo_app.services.accounts.users import set_role as run

    ended = _in_transaction(
        lambda session: run(session, login=login, role=role, scope_code=scope_code, actor=actor())
    )
    click.echo(f"{login} is now {role}, scope {scope_code or 'national'}; {ended} session(s) ended")


def _set_active(login: str, active: bool) -> None:
    from geo_app.services.accounts.users import set_active as run

    ended = _in_transaction(lambda session: run(session, login=login, active=active, actor=actor()))
    state = "active" if active else "deactivated"
    click.echo(f"{login} {state}; {ended} session(s) ended")


@main.command("deactivate-user")
@click.argument("login")
def deactivate_user(login: str) -> None:
    """Stop a user logging in; the user's open sessions end at once."""
    _set_active(login, False)


@main.command("activate-user")
@click.argument("login")
def activate_user(login: str) -> None:
    """Let a deactivated user log in again."""
    _set_active(login, True)


@main.group("users")
def users_group() -> None:
    """List users and reset passwords (the same services as the web page /admin/users)."""


@users_group.command("list")
@click.option("--role", type=ROLE, default=None, help="Only users with this role.")
@click.option("--active/--inactive", "active", default=None, help="Only active or inactive.")
@click.option("--search", default="", help="A piece of the login or of the scope's name.")
def list_users(role: str | None, active: bool | None, search: str) -> None:
    """One line per user: login, role, scope, active, last login, locked, must change."""
    from geo_app.models import Role
    from geo_app.pages.users import Filters, user_list
    from geo_app.services.accounts.admin import Manager

    operator = Manager(user_id=0, role=Role.admin, scope_unit_id=None)  # sees every user
    filters = Filters(role, active, search.strip())
    found = _in_transaction(lambda session: user_list(session, operator, filters, _secret(), "en"))
    click.echo("login\trole\tscope\tactive\tlast_login\tlocked\tmust_change")
    for row in found.rows:
        last = row.last_login_at.isoformat(timespec="seconds") if row.last_login_at else "-"
        fields = (row.login, row.role, row.scope_code or "national", _yes(row.is_active), last)
        click.echo("\t".join((*fields, _yes(row.locked), _yes(row.must_change))))
    if found.more:
        click.echo("(more users match: narrow with --role, --active/--inactive or --search)")


def _yes(value: bool) -> str:
    return "yes" if value else "no"


@users_group.command("reset-password")
@click.argument("login")
def reset_password(login: str) -> None:
    """Give a user a temporary password, printed once; the user must change it at the next
    login. The user's open sessions end and a login lock is lifted."""
    from geo_app.services.accounts.users import reset_password as run
    from geo_app.services.accounts.users import unlock

    def work(session: Session) -> Any:
        reset = run(session, login=login, actor=actor())
        unlock(session, login=login, secret=_secret(), actor=actor())
        return reset

    reset = _in_transaction(work)
    click.echo(f"temporary password of {login}: {reset.password}")
    click.echo(f"{reset.ended} session(s) ended; it must be changed at the next login")
