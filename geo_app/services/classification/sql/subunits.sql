-- Hamlets and residential groups of each unit in :ids on :on, and which of them have a
-- hotline board in good condition or a tip-off box. A sub-unit belongs to the unit that owns
-- its ST_PointOnSurface (so 2025 hamlets fall into pre-2025 communes too); a board or box
-- belongs to the sub-unit of its level that owns its point on :on (the boundary rule).
-- Installed "by :on" reads installed_on, or the day the row was entered when that is unknown
-- (Vietnam time). A box whose condition is "missing" is no box.
WITH target AS (
    SELECT u.id, u.level, u.geom,
           CASE
               WHEN CAST(:on AS date) < u.valid_from THEN u.valid_from
               WHEN u.valid_to <= CAST(:on AS date) THEN u.valid_to - 1
               ELSE CAST(:on AS date)
           END AS ref
    FROM admin_unit u
    WHERE u.id = ANY(CAST(:ids AS bigint[]))
),
sub AS (
    SELECT t.id AS unit_id, s.id, CAST(s.level AS text) AS level, s.level AS level_enum, s.geom
    FROM target t
    JOIN admin_unit s ON ST_Intersects(t.geom, s.geom)
    WHERE s.level IN ('hamlet', 'residential_group')
      AND s.id <> t.id
      AND s.valid_from <= CAST(:on AS date)
      AND (s.valid_to IS NULL OR s.valid_to > CAST(:on AS date))
      AND unit_at_point(ST_PointOnSurface(s.geom), t.level, t.ref) = t.id
),
with_board AS (
    SELECT DISTINCT s.id
    FROM sub s
    JOIN hotline_board b ON ST_Covers(s.geom, b.geom)
    WHERE b.deleted_at IS NULL
      AND b.condition = 'good'
      AND COALESCE(b.installed_on, CAST(b.created_at AT TIME ZONE 'Asia/Ho_Chi_Minh' AS date))
          <= CAST(:on AS date)
      AND unit_at_point(b.geom, s.level_enum, CAST(:on AS date)) = s.id
),
with_box AS (
    SELECT DISTINCT s.id
    FROM sub s
    JOIN tipoff_box x ON ST_Covers(s.geom, x.geom)
    WHERE x.deleted_at IS NULL
      AND x.condition <> 'missing'
      AND COALESCE(x.installed_on, CAST(x.created_at AT TIME ZONE 'Asia/Ho_Chi_Minh' AS date))
          <= CAST(:on AS date)
      AND unit_at_point(x.geom, s.level_enum, CAST(:on AS date)) = s.id
),
flagged AS (
    SELECT s.unit_id, s.level,
           s.id IN (SELECT id FROM with_board) AS board,
           s.id IN (SELECT id FROM with_box) AS box
    FROM sub s
)
SELECT t.id AS unit_id,
       count(f.unit_id) FILTER (WHERE f.level = 'hamlet') AS hamlets_total,
       count(f.unit_id) FILTER (WHERE f.level = 'hamlet' AND f.board) AS hamlets_with_good_board,
       count(f.unit_id) FILTER (WHERE f.level = 'hamlet' AND f.box) AS hamlets_with_box,
       count(f.unit_id) FILTER (WHERE f.level = 'residential_group') AS residential_groups_total,
       count(f.unit_id) FILTER (
           WHERE f.level = 'residential_group' AND f.box
       ) AS residential_groups_with_box,
       count(f.unit_id) AS subunits_total,
       count(f.unit_id) FILTER (WHERE f.board) AS subunits_with_good_board,
       count(f.unit_id) FILTER (WHERE f.box) AS subunits_with_box
FROM target t
LEFT JOIN flagged f ON f.unit_id = t.id
GROUP BY t.id
