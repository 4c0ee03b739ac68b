-- The seed plans' coverage rule, once: each hamlet and residential group of each unit in :ids on
-- :on, and whether it has a hotline board in good condition and a tip-off box. A sub-unit
-- belongs to the unit that owns its ST_PointOnSurface (so 2025 hamlets fall into pre-2025
-- communes too); a board or box belongs to the sub-unit of its level that owns its point on :on
-- (the boundary rule, unit_at_point). Installed "by :on" reads installed_on, or the day the row
-- was entered when that is unknown (Vietnam time). A box whose condition is "missing" is no box.
-- Read by subunits.sql (the checklist counts) and subunit_gaps.sql (the coverage gaps).
-- include target.sql
sub AS (
    SELECT t.id AS unit_id, s.id, s.code, s.name, CAST(s.level AS text) AS level,
           s.level AS level_enum, s.geom
    FROM target t
    JOIN admin_unit s ON ST_Intersects(t.geom, s.geom)
    WHERE s.level IN ('hamlet', 'residential_group')
      AND s.id <> t.id
      AND s.valid_from <= CAST(:on AS date)
      AND (s.valid_to IS NULL OR s.valid_to > CAST(:on AS date))
      AND unit_at_point(ST_PointOnSurface(s.geom), t.level, t.ref) = t.id
)
SELECT s.unit_id, s.id, s.code, s.name, s.level,
       EXISTS (
           SELECT 1
           FROM hotline_board b
           WHERE ST_Covers(s.geom, b.geom)
             AND b.deleted_at IS NULL
             AND b.condition = 'good'
             AND COALESCE(
                     b.installed_on, CAST(b.created_at AT TIME ZONE 'Asia/Ho_Chi_Minh' AS date)
                 ) <= CAST(:on AS date)
             AND unit_at_point(b.geom, s.level_enum, CAST(:on AS date)) = s.id
       ) AS has_board,
       EXISTS (
           SELECT 1
           FROM tipoff_box x
           WHERE ST_Covers(s.geom, x.geom)
             AND x.deleted_at IS NULL
             AND x.condition <> 'missing'
             AND COALESCE(
                     x.installed_on, CAST(x.created_at AT TIME ZONE 'Asia/Ho_Chi_Minh' AS date)
                 ) <= CAST(:on AS date)
             AND unit_at_point(x.geom, s.level_enum, CAST(:on AS date)) = s.id
       ) AS has_box
FROM sub s
