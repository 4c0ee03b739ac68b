"""geo-app targets: a province's goal per year (share of communes recognised drug-free).

    geo-app targets set --province 86 --year 2030 --share 50 --basis "Kết luận 132-KL/TW"
    geo-app targets list [--province 86]

``set`` registers the goal or replaces the stored one (audited; no version check: the operator
at the shell decides); the web form checks versions.
"""

from __future__ import annotations

import click

from geo_app.cli.base import actor, engine_for, fail, main
from geo_app.config import Settings
from geo_app.embedded_pg import EmbeddedDatabaseError
from geo_app.errors import GeoAppError

DEFAULT_BASIS = "Kế hoạch của tỉnh"


@main.group("targets")
def targets() -> None:
    """Province targets (chỉ tiêu): the share of communes to be recognised drug-free."""


@targets.command("set")
@click.option("--province", "province_code", required=True, help="Province code, e.g. 86.")
@click.option("--year", required=True, help="Year of the goal, e.g. 2030.")
@click.option("--share", required=True, help="Goal in percent of the communes, e.g. 50.")
@click.option("--basis", default=DEFAULT_BASIS, show_default=True, help="Plan or decision.")
def set_goal(province_code: str, year: str, share: str, basis: str) -> None:
    """Register (or replace) a province's goal for a year."""
    from geo_app.db import session_scope
    from geo_app.services.reports.targets import parse_target, set_target

    try:
        entry = parse_target(province_code, year, share, basis)
        with session_scope(engine_for(Settings.from_env())) as session, session.begin():
            saved = set_target(session, entry, actor=actor(), check_version=False)
    except (GeoAppError, EmbeddedDatabaseError) as error:
        fail(error)
        return
    click.echo(
        f"target {saved.province_code} {saved.year}: {saved.percent} % of "
        f"{saved.base_count} communes = {saved.goal_count} (version {saved.version}; "
        f"{saved.basis})"
    )


@targets.command("list")
@click.option("--province", "province_code", default=None, help="Only this province.")
def list_goals(province_code: str | None) -> None:
    """Print the registered goals."""
    from geo_app.db import session_scope
    from geo_app.services.reports.targets import targets_of

    try:
        with session_scope(engine_for(Settings.from_env())) as session:
            rows = targets_of(session, province_code)
    except (GeoAppError, EmbeddedDatabaseError) as error:
        fail(error)
        return
    for t in rows:
        click.echo(f"{t.province_code}\t{t.year}\t{t.percent} %\t{t.goal_count}\t{t.basis}")
