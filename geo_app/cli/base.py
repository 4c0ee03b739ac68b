"""The ``geo-app`` command group and what every command shares (actor, engine, errors)."""

from __future__ import annotations

import getpass
import sys

import click
from sqlalchemy.engine import Engine

from geo_app import clock
from geo_app.config import Settings
from geo_app.domain.month import Month, MonthError
from geo_app.embedded_pg import EmbeddedDatabaseError
from geo_app.errors import GeoAppError


def actor() -> str:
    """Who the audit log records for a command run from a shell."""
    return f"cli:{getpass.getuser()}"


def engine_for(settings: Settings) -> Engine:
    """Commands are run by an administrator: they connect as the schema owner."""
    from geo_app.db import make_engine, resolve_database_url

    return make_engine(resolve_database_url(settings, owner=True))


def fail(error: GeoAppError | EmbeddedDatabaseError) -> None:
    """Print an expected error and exit: 2 for bad input, 1 for an environment problem."""
    click.echo(f"error: {getattr(error, 'message', None) or error}", err=True)
    for line in getattr(error, "details", []):
        click.echo(f"  - {line}", err=True)
    sys.exit(2 if isinstance(error, GeoAppError) else 1)


class MonthParam(click.ParamType):
    """A ``--month YYYY-MM`` option, read by ``Month.parse`` like every page and API."""

    name = "YYYY-MM"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> Month:
        if isinstance(value, Month):
            return value
        try:
            return Month.parse(str(value), today=clock.today())
        except MonthError as error:
            self.fail(error.message, param, ctx)


MONTH = MonthParam()


@click.group()
@click.version_option(package_name="geo_app")
def main() -> None:
    """geo_app: maps for the drug-free commune programme."""
