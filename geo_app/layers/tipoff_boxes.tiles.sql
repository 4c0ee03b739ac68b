-- Vector tiles: tip-off boxes installed by :on that reach tile :z/:x/:y, with their condition
-- and how long since the box was last opened (its own date or an inspection) on :on.
SELECT b.id,
       CAST(b.site AS text) AS site,
       CAST(b.condition AS text) AS status,
       CASE
           WHEN o.opened IS NULL THEN 'never'
           WHEN CAST(:on AS date) - o.opened < 30 THEN 'fresh'
           WHEN CAST(:on AS date) - o.opened < 90 THEN 'due'
           ELSE 'stale'
       END AS ageing,
       ST_Transform(b.geom, 3857) AS geom
FROM tipoff_box b
CROSS JOIN LATERAL (
    SELECT GREATEST(
        CASE WHEN b.last_opened_on <= CAST(:on AS date) THEN b.last_opened_on END,
        (SELECT max(i.inspected_on) FROM tipoff_inspection i
         WHERE i.box_id = b.id AND i.inspected_on <= CAST(:on AS date))) AS opened
) o
WHERE b.deleted_at IS NULL
  AND (b.installed_on IS NULL OR b.installed_on <= CAST(:on AS date))
  AND b.geom && ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4326)
  AND (CAST(:scope AS bigint) IS NULL
       OR ST_Intersects((SELECT s.geom FROM admin_unit s WHERE s.id = CAST(:scope AS bigint)), b.geom))
