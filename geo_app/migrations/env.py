"""Alembic environment: PostGIS-aware autogenerate, URL from the caller or from settings."""

from __future__ import annotations

import logging
from logging.config import fileConfig
from typing import Any

from alembic import context
from geoalchemy2 import alembic_helpers
from sqlalchemy import engine_from_config, pool
from sqlalchemy.engine import Connection

from geo_app.migrations_api import include_object
from geo_app.models import Base

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_metadata = Base.metadata


def process_revision_directives(ctx: Any, revision: Any, directives: list[Any]) -> None:
    """GeoAlchemy2's writer, and no empty revision files from autogenerate."""
    alembic_helpers.writer(ctx, revision, directives)
    cmd_opts = config.cmd_opts
    if cmd_opts is not None and getattr(cmd_opts, "autogenerate", False):
        script = directives[0]
        if script.upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")


def database_url() -> str:
    """``sqlalchemy.url`` when the caller set it, else what the application would use."""
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from geo_app.db import resolve_database_url  # lazily: it may start the embedded cluster

    return resolve_database_url(owner=True)


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=include_object,
        process_revision_directives=process_revision_directives,
        render_item=alembic_helpers.render_item,
        compare_type=True,
        transaction_per_migration=True,
    )


def run_migrations_offline() -> None:
    """Emit SQL to stdout (``alembic upgrade head --sql``)."""
    context.configure(
        url=database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        include_object=include_object,
        process_revision_directives=process_revision_directives,
        render_item=alembic_helpers.render_item,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run against a live database; reuse ``config.attributes["connection"]`` when given."""
    given = config.attributes.get("connection")
    if given is not None:
        _configure(given)
        with context.begin_transaction():
            context.run_migrations()
        return
    section = config.get_section(config.config_ini_section) or {}
    section["sqlalchemy.url"] = database_url()
    engine = engine_from_config(section, prefix="sqlalchemy.", poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
