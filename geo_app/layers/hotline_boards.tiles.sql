-- Vector tiles: hotline boards installed by :on that reach tile :z/:x/:y, with their condition
-- and how long since the last check on :on (fresh < 30 days, due < 90, stale, never).
SELECT b.id,
       CAST(b.site AS text) AS site,
       CAST(b.condition AS text) AS status,
       CASE
           WHEN c.checked IS NULL THEN 'never'
           WHEN CAST(:on AS date) - c.checked < 30 THEN 'fresh'
           WHEN CAST(:on AS date) - c.checked < 90 THEN 'due'
           ELSE 'stale'
       END AS ageing,
       ST_Transform(b.geom, 3857) AS geom
FROM hotline_board b
CROSS JOIN LATERAL (
    SELECT CASE WHEN b.last_checked_on <= CAST(:on AS date) THEN b.last_checked_on END AS checked
) c
WHERE b.deleted_at IS NULL
  AND (b.installed_on IS NULL OR b.installed_on <= CAST(:on AS date))
  AND b.geom && ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4326)
  AND (CAST(:scope AS bigint) IS NULL
       OR ST_Intersects((SELECT s.geom FROM admin_unit s WHERE s.id = CAST(:scope AS bigint)), b.geom))
