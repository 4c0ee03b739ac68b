"""Run the Alembic migrations from Python (CLI, app start-up, tests) without ``alembic.ini``."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from geoalchemy2 import alembic_helpers
from sqlalchemy import create_engine, pool
from sqlalchemy.engine import URL

from geo_app.config import DEFAULT_APP_ROLE

SCRIPT_LOCATION = "geo_app:migrations"

# Objects that belong to PostGIS and its optional extensions, never to this application.
_EXTENSION_SCHEMAS = frozenset({"tiger", "tiger_data", "topology"})
_EXTENSION_TABLES = frozenset(
    {
        "spatial_ref_sys",
        "geometry_columns",
        "geography_columns",
        "raster_columns",
        "raster_overviews",
        "layer",
        "topology",
    }
)


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Autogenerate filter: leave PostGIS, tiger geocoder and topology tables alone."""
    if type_ == "table":
        if getattr(obj, "schema", None) in _EXTENSION_SCHEMAS:
            return False
        if reflected and compare_to is None and name in _EXTENSION_TABLES:
            return False
    return bool(alembic_helpers.include_object(obj, name, type_, reflected, compare_to))


def alembic_config(url: str | URL) -> Config:
    """A Config for ``url``; logging is left as the caller set it up."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    text = url if isinstance(url, str) else url.render_as_string(hide_password=False)
    # ConfigParser interpolates '%': a percent-encoded password must be doubled to survive.
    config.set_main_option("sqlalchemy.url", text.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


def upgrade(url: str | URL, revision: str = "head", *, app_role: str = DEFAULT_APP_ROLE) -> bool:
    """Bring the database at ``url`` up to ``revision`` (creates PostGIS if it is missing), then
    grant ``app_role`` its rights on whatever now exists; False when that role is missing.
    """
    from geo_app.db_roles import grant_app_rights

    command.upgrade(alembic_config(url), revision)
    return grant_app_rights(url, app_role)


def downgrade(url: str | URL, revision: str = "base") -> None:
    """Undo migrations down to ``revision``; ``base`` drops every application table."""
    command.downgrade(alembic_config(url), revision)


def head_revision() -> str:
    """The newest revision shipped with this code."""
    head = ScriptDirectory.from_config(alembic_config("postgresql://")).get_current_head()
    if head is None:
        raise RuntimeError("no migrations found in geo_app/migrations/versions")
    return head


def current_revision(url: str | URL) -> str | None:
    """The revision the database at ``url`` is at; None when never migrated."""
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def is_up_to_date(url: str | URL) -> bool:
    """True when the database is at the newest revision."""
    return current_revision(url) == head_revision()
