"""geo-app serve: the production WSGI server."""

from __future__ import annotations

import logging
import signal
import sys
from dataclasses import replace

import click

from geo_app.cli.base import fail, main
from geo_app.config import Settings, cookie_secure
from geo_app.control_chars import install_log_escaping
from geo_app.embedded_pg import EmbeddedDatabaseError

# -- serving -------------------------------------------------------------------------------------

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
def serve(host: str, port: int, threads: int) -> None:
    """Serve the app with a production WSGI server (waitress) until Ctrl-C.

    The session cookie is Secure (HTTPS only, with HSTS) unless ``--host`` is a loopback
    address or ``GEO_APP_COOKIE_SECURE`` says otherwise.
    """
    from waitress import serve as waitress_serve

    from geo_app import create_app
    from geo_app.db import embedded_cluster

    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    install_log_escaping()
    settings = Settings.from_env()
    settings = replace(settings, cookie_secure=cookie_secure(settings.cookie_secure, host))
    started_here = False
    if not settings.database_url:
        cluster = embedded_cluster(settings)
        started_here = cluster.info() is None
    try:
        app = create_app(settings, warm_tiles=True)
    except EmbeddedDatabaseError as error:
        fail(error)
        return
    secure = "on" if settings.cookie_secure else "off (plain HTTP)"
    click.echo(f"geo_app serving on http://{host}:{port}, Secure cookie {secure} (Ctrl-C to stop)")
    # SIGTERM (e.g. from a service manager) stops like Ctrl-C, so the cluster is stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        waitress_serve(app, host=host, port=port, threads=threads, ident="geo_app")
    finally:
        if started_here:
            embedded_cluster(settings).stop()
            click.echo("embedded PostgreSQL stopped")
