-- Vector tiles: cultivation sites detected by :on that reach tile :z/:x/:y; eradicated once
-- eradicated_on has passed (a replanted site stays active), as the layer does.
SELECT c.id,
       CASE
           WHEN c.eradicated_on IS NOT NULL AND c.eradicated_on <= CAST(:on AS date)
                AND CAST(c.status AS text) <> 'replanted' THEN 'eradicated'
           ELSE CAST(c.status AS text)
       END AS status,
       c.plant_count,
       ST_Transform(c.geom, 3857) AS geom
FROM cultivation_site c
WHERE c.deleted_at IS NULL
  AND c.detected_on <= CAST(:on AS date)
  AND c.geom && ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4326)
  AND (CAST(:scope AS bigint) IS NULL
       OR ST_Intersects((SELECT s.geom FROM admin_unit s WHERE s.id = CAST(:scope AS bigint)), c.geom))
