"""The ``geo-app`` command: one module per area registers its commands on ``main``."""

from geo_app.cli import data, database, serving, users  # noqa: F401  (registers commands)
from geo_app.cli.base import main

__all__ = ["main"]
