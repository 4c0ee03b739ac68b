"""The hotspot "status on a date" rule as SQL functions, defined once.

The map layer, its vector tiles, the summary panel and the derived checklist inputs each had
their own copy of the rule, and the copies differed for a hotspot with no dated history (the
row's status, or a rule from its dated columns). Now they all ask the database.

The rule: the latest dated change on or before the day (latest day, then latest row id). With
none, the row's dated columns: relapsed if relapsed by the day and not cleared after that
relapse, else cleared if cleared by the day, else the row's own status when that is
``under_attack`` (no date records an attack), else ``active``. The demo data writes a change for
every event; rows entered without history (imports, tests) keep what their columns say.

- ``hotspot_status_on(hotspot_id, status, cleared_on, relapsed_on, on_day)``: one hotspot's
  status, called per row as ``CROSS JOIN LATERAL hotspot_status_on(h.id, h.status,
  h.cleared_on, h.relapsed_on, :on) s``. A set-returning SQL function of one SELECT, so the
  planner inlines it: one index probe into the history per row, no function call (a scalar
  function that reads a table cannot be inlined and cost ~5x per row, EXPLAIN ANALYZE on
  50,000 hotspots), and the history is read in FROM, not in a sub-select, so a caller reading
  the status twice does not probe twice. It takes the row's columns rather than re-reading it.
- ``hotspot_statuses_on(on_day)``: the status of every hotspot standing on the day (detected
  by then, not soft-deleted), the same rule in set form (one pass over the history and a hash
  join: as fast as the summary's former DISTINCT ON, ~50 ms for 50,000 hotspots against ~160
  ms per row) for national counts. Both are written from the same pieces below; tests check
  they agree.
- ``hotspot_status_by_dates(...)``: the rule without history (inlined, immutable).
- ``hotspot_is_active(status)``: active, under_attack and relapsed count as active.

This file is frozen history: it repeats the SQL instead of importing it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The change in force: the latest day, then the latest row (a later entry of the same day wins).
LATEST_FIRST = "c.changed_on DESC, c.id DESC"

BY_DATES = """
CREATE FUNCTION hotspot_status_by_dates(
    row_status hotspot_status, cleared_on date, relapsed_on date, on_day date
)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN relapsed_on <= on_day
             AND (cleared_on IS NULL OR cleared_on > on_day OR relapsed_on >= cleared_on)
            THEN 'relapsed'
        WHEN cleared_on <= on_day THEN 'cleared'
        WHEN row_status = 'under_attack' THEN 'under_attack'
        ELSE 'active'
    END
$$
"""

STATUS_ON = f"""
CREATE FUNCTION hotspot_status_on(
    hotspot_id bigint, row_status hotspot_status, cleared_on date, relapsed_on date, on_day date
)
RETURNS TABLE (status text)
LANGUAGE sql STABLE PARALLEL SAFE ROWS 1
AS $$
    SELECT COALESCE(
        latest.status, hotspot_status_by_dates(row_status, cleared_on, relapsed_on, on_day))
    FROM (VALUES (1)) AS one (x)
    LEFT JOIN LATERAL (
        SELECT CAST(c.status AS text) AS status
        FROM hotspot_status_change c
        WHERE c.hotspot_id = $1 AND c.changed_on <= on_day
        ORDER BY {LATEST_FIRST}
        LIMIT 1
    ) AS latest ON true
$$
"""  # noqa: S608 (formatted from constants only)

STATUSES_ON = f"""
CREATE FUNCTION hotspot_statuses_on(on_day date)
RETURNS TABLE (hotspot_id bigint, status text)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT h.id,
           COALESCE(
               latest.status,
               hotspot_status_by_dates(h.status, h.cleared_on, h.relapsed_on, on_day))
    FROM hotspot h
    LEFT JOIN (
        SELECT DISTINCT ON (c.hotspot_id) c.hotspot_id, CAST(c.status AS text) AS status
        FROM hotspot_status_change c
        WHERE c.changed_on <= on_day
        ORDER BY c.hotspot_id, {LATEST_FIRST}
    ) AS latest ON latest.hotspot_id = h.id
    WHERE h.deleted_at IS NULL AND h.detected_on <= on_day
$$
"""  # noqa: S608 (formatted from constants only)

IS_ACTIVE = """
CREATE FUNCTION hotspot_is_active(status text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT status IN ('active', 'under_attack', 'relapsed')
$$
"""

RULE = (
    "the latest hotspot_status_change on or before the day (latest day, then latest id); "
    "with none, hotspot_status_by_dates (docs/ENGINE.md, derived inputs)."
)
BY_DATES_RULE = (
    "A hotspot''s status on a date from its dated columns alone: relapsed if relapsed_on <= "
    "day and not cleared after it, else cleared if cleared_on <= day, else under_attack if "
    "that is the row''s status, else active."
)
COMMENTS = {
    "hotspot_status_by_dates(hotspot_status, date, date, date)": BY_DATES_RULE,
    "hotspot_status_on(bigint, hotspot_status, date, date, date)": (
        f"One hotspot''s status on a date (call per row with LATERAL): {RULE}"
    ),
    "hotspot_statuses_on(date)": (
        f"The status of every hotspot standing on a date (detected, not deleted; set form): {RULE}"
    ),
    "hotspot_is_active(text)": "Active, under_attack and relapsed hotspots count as active.",
}


def upgrade() -> None:
    for statement in (BY_DATES, STATUS_ON, STATUSES_ON, IS_ACTIVE):
        op.execute(statement)
    for signature, comment in COMMENTS.items():
        op.execute(f"COMMENT ON FUNCTION {signature} IS '{comment}'")


def downgrade() -> None:
    for signature in reversed(COMMENTS):
        op.execute(f"DROP FUNCTION {signature}")
