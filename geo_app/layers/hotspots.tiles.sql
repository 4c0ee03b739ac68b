-- Vector tiles: hotspots detected by :on that reach tile :z/:x/:y, with their status on :on by
-- the one rule, hotspot_status_on (migration 0006), as the hotspots layer does.
SELECT h.id,
       CAST(h.kind AS text) AS kind,
       s.status,
       hotspot_is_active(s.status) AS active,
       ST_Transform(h.geom, 3857) AS geom
FROM hotspot h
CROSS JOIN LATERAL hotspot_status_on(h.id, h.status, h.cleared_on, h.relapsed_on,
                                     CAST(:on AS date)) s
WHERE h.deleted_at IS NULL
  AND h.detected_on <= CAST(:on AS date)
  AND h.geom && ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4326)
  AND (CAST(:scope AS bigint) IS NULL
       OR ST_Intersects((SELECT s.geom FROM admin_unit s WHERE s.id = CAST(:scope AS bigint)), h.geom))
