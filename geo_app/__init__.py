"""geo_app: maps for Vietnam's drug-free commune programme (xã, phường không ma túy)."""

from __future__ import annotations

from flask import Flask

from geo_app.config import Settings

__version__ = "0.1.0"


def create_app(
    settings: Settings | None = None, *, database_url: str | None = None, warm_tiles: bool = False
) -> Flask:
    """Application factory: settings, database engine, blueprints and error handlers.

    With neither ``database_url`` nor ``GEO_APP_DATABASE_URL``, the embedded cluster is started.
    ``warm_tiles`` (the server) keeps the pages' low-zoom tiles made in a background thread.
    """
    from flask.logging import default_handler

    from geo_app import i18n
    from geo_app.control_chars import install_log_escaping
    from geo_app.db import make_engine, resolve_database_url
    from geo_app.web import compression, context, errors, headers, input_guard, tile_door, tiles

    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config["SECRET_KEY"] = settings.secret_key
    app.config["MAX_CONTENT_LENGTH"] = 32 * 1024 * 1024
    app.extensions["geo_app.settings"] = settings
    install_log_escaping(default_handler)
    input_guard.register(app)
    headers.register(app, settings)
    i18n.init_app(app)
    url = database_url or resolve_database_url(settings)
    app.extensions["geo_app.engine"] = make_engine(url, connect_args={"connect_timeout": 5})
    _register_blueprints(app)
    errors.register(app)
    compression.register(app)
    app.wsgi_app = tile_door.TileDoor(app, app.wsgi_app)  # type: ignore[method-assign]
    if warm_tiles:
        tiles.start_warming(app)
    app.add_template_global(context.panel_words, "panel_words")
    return app


def _register_blueprints(app: Flask) -> None:
    """Every page and API of the app (``web/``), in one list."""
    from geo_app.web import (
        auth,
        briefings,
        campaign_map,
        exports,
        field,
        field_api,
        health,
        history,
        indicators,
        layers_api,
        maps,
        ogc,
        openapi,
        reports,
        summary_api,
        tiles,
        users,
    )

    for module in (
        health,
        maps,
        tiles,
        layers_api,
        auth,
        indicators,
        field_api,
        campaign_map,
        summary_api,
        field,
        reports,
        exports,
        briefings,
        history,
        ogc,
        openapi,
        users,
    ):
        app.register_blueprint(module.bp)
