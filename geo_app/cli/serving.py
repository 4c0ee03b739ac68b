"""geo-app serve: the production WSGI server."""

from __future__ import annotations

import signal
import sys

import click

from geo_app.cli.base import fail, main
from geo_app.config import Settings
from geo_app.embedded_pg import EmbeddedDatabaseError

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
        app = create_app(settings, warm_tiles=True)
    except EmbeddedDatabaseError as error:
        fail(error)
        return
    click.echo(f"geo_app serving on http://{host}:{port} (Ctrl-C to stop)")
    # SIGTERM (e.g. from a service manager) stops like Ctrl-C, so the cluster is stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        waitress_serve(app, host=host, port=port, threads=threads, ident="geo_app")
    finally:
        if started_here:
            embedded_cluster(settings).stop()
            click.echo("embedded PostgreSQL stopped")
