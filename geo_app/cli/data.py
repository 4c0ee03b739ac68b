"""geo-app import-boundaries, load-demo, verify-audit: getting data in and checking it."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click
import sqlalchemy as sa

from geo_app.cli.base import actor, engine_for, fail, main
from geo_app.config import Settings
from geo_app.embedded_pg import EmbeddedDatabaseError
from geo_app.errors import GeoAppError

# -- data ----------------------------------------------------------------------------------------

BAR_WIDTH = 20
STEPS = ("read", "checked", "written")


class ImportProgress:
    """The counts of features read, checked and written as an import goes, on stderr: one line
    redrawn in place on a terminal, a line per report otherwise (a log keeps every one)."""

    def __init__(self, *, shown: bool, redraw: bool) -> None:
        self.shown, self.redraw = shown, redraw
        self.counts: dict[str, tuple[int, int]] = {}
        self.open_line = False

    @classmethod
    def on_stderr(cls, asked: bool) -> ImportProgress:
        """Shown when asked (``--progress``) or when stderr is a terminal, redrawn only there."""
        tty = sys.stderr.isatty()
        return cls(shown=asked or tty, redraw=tty)

    def __call__(self, step: str, done: int, total: int) -> None:
        if not self.shown:
            return
        self.counts[step] = (done, total)
        share = sum(d / t if t else 1.0 for d, t in self.counts.values()) / len(STEPS)
        filled = round(share * BAR_WIDTH)
        counts = " · ".join(
            f"{name} {self.counts[name][0]}/{self.counts[name][1]}"
            for name in STEPS
            if name in self.counts
        )
        line = f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] features {counts}"
        self.open_line = self.redraw and step != STEPS[-1]
        click.echo(("\r" if self.redraw else "") + line, err=True, nl=not self.open_line)

    def close(self) -> None:
        """End a redrawn line left open (an import stopped half way), before any message."""
        if self.open_line:
            click.echo("", err=True)
            self.open_line = False


@main.command("import-boundaries")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--level",
    required=True,
    type=click.Choice(["province", "district", "commune", "hamlet", "residential_group"]),
)
@click.option("--layout", required=True, type=click.Choice(["2025", "pre2025"]))
@click.option("--code-field", default="code", show_default=True)
@click.option("--name-field", default="name", show_default=True)
@click.option("--parent-code-field", default=None, help="Field with the parent unit's code.")
@click.option("--name-en-field", default=None)
@click.option("--kind-field", default=None)
@click.option("--population-field", default=None)
@click.option(
    "--population-estimate-field",
    default=None,
    help="Boolean field: the population is an estimate.",
)
@click.option(
    "--valid-from",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="First day of validity (default: the layout's start).",
)
@click.option("--dry-run", is_flag=True, help="Check everything, then roll back.")
@click.option(
    "--progress",
    "show_progress",
    is_flag=True,
    help="Show the progress on stderr (shown anyway when stderr is a terminal).",
)
def import_boundaries(
    file: Path,
    level: str,
    layout: str,
    code_field: str,
    name_field: str,
    parent_code_field: str | None,
    name_en_field: str | None,
    kind_field: str | None,
    population_field: str | None,
    population_estimate_field: str | None,
    valid_from: object,
    dry_run: bool,
    show_progress: bool,
) -> None:
    """Import boundaries from FILE (GeoJSON, GeoPackage, zipped Shapefile), all or nothing."""
    from geo_app.db import session_scope
    from geo_app.services.boundaries.importer import FieldMap, import_file

    fields = FieldMap(
        code=code_field,
        name=name_field,
        parent_code=parent_code_field,
        name_en=name_en_field,
        kind=kind_field,
        population=population_field,
        population_is_estimate=population_estimate_field,
    )
    starts = valid_from.date() if hasattr(valid_from, "date") else None
    progress = ImportProgress.on_stderr(show_progress)
    try:
        engine = engine_for(Settings.from_env())
        with session_scope(engine) as session:
            transaction = session.begin()
            try:
                summary = import_file(
                    session,
                    file,
                    level=level,
                    layout=layout,
                    fields=fields,
                    actor=actor(),
                    valid_from=starts if isinstance(starts, date) else None,
                    progress=progress,
                )
            except BaseException:
                transaction.rollback()
                raise
            if dry_run:
                transaction.rollback()
            else:
                transaction.commit()
    except (GeoAppError, EmbeddedDatabaseError) as error:
        progress.close()
        fail(error)
        return
    click.echo(summary.text())
    if dry_run:
        click.echo("dry run: nothing was written")


@main.command("load-demo")
def load_demo() -> None:
    """Load the real boundaries and the demo data (a second run adds nothing)."""
    from geo_app.db import session_scope
    from geo_app.demo.pipeline import load_demo as run

    try:
        engine = engine_for(Settings.from_env())
        with session_scope(engine) as session, session.begin():
            report = run(session, actor=actor())
    except (GeoAppError, EmbeddedDatabaseError) as error:
        fail(error)
        return
    click.echo(report)


@main.command("verify-audit")
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Checkpoint file (default: audit-checkpoint.json in the state folder).",
)
def verify_audit(checkpoint_file: Path | None) -> None:
    """Check the audit log against its key and the last checkpoint; on success append a new
    checkpoint. Exits 1 naming the break if a row was rewritten or rows were removed."""
    from geo_app.db import session_scope
    from geo_app.services import audit

    settings = Settings.from_env()
    path = checkpoint_file or settings.audit_checkpoint_file
    try:
        engine = engine_for(settings)
        with session_scope(engine) as session:
            database = session.scalar(sa.select(sa.func.current_database()))
            previous = audit.last_checkpoint(path, str(database))
            verdict = audit.verify(session, checkpoint=previous)
    except (ValueError, EmbeddedDatabaseError) as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    if verdict.problems:
        for problem in verdict.problems:
            click.echo(f"audit log tampered: {problem}", err=True)
        sys.exit(1)
    audit.append_checkpoint(path, verdict.seen)
    seen = verdict.seen
    click.echo(
        f"audit log intact: {seen.rows} rows, last id {seen.last_id}; checkpoint added to {path}"
    )


@main.command("audit-rekey")
def audit_rekey() -> None:
    """Re-sign an audit log written before the keyed hash (plain sha256) with this
    installation's audit key, once, after checking the old chain; run as the owner."""
    from geo_app.db import session_scope
    from geo_app.services import audit

    try:
        engine = engine_for(Settings.from_env())
        with session_scope(engine) as session, session.begin():
            count = audit.rekey_legacy(session)
    except (audit.LegacyChainError, EmbeddedDatabaseError) as error:
        click.echo(f"error: {error}; nothing changed", err=True)
        sys.exit(1)
    click.echo(f"{count} audit rows re-signed; run `geo-app verify-audit` to write a checkpoint")
