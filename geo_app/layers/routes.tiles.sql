-- Vector tiles: routes that reach tile :z/:x/:y (routes have no dated history; :on is unused).
SELECT r.id,
       r.name,
       CAST(r.kind AS text) AS kind,
       CASE WHEN r.is_key_route THEN 'key' ELSE 'other' END AS status,
       ST_Transform(r.geom, 3857) AS geom
FROM route r
WHERE r.deleted_at IS NULL
  AND CAST(:on AS date) IS NOT NULL
  AND r.geom && ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4326)
  AND (CAST(:scope AS bigint) IS NULL
       OR ST_Intersects((SELECT s.geom FROM admin_unit s WHERE s.id = CAST(:scope AS bigint)), r.geom))
