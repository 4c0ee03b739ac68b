"""The ``geo-app`` command: one module per area registers its commands on ``main``."""

from geo_app.cli import (  # noqa: F401  (registers commands)
    backup,
    campaigns,
    classify,
    data,
    database,
    export,
    indicators,
    serving,
    statutory,
    targets,
    users,
)
from geo_app.cli.base import main

__all__ = ["main"]
