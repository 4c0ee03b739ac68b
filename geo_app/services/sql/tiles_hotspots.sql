-- Vector tiles: hotspots detected by :on that reach tile :z/:x/:y, with the status in force on
-- :on read from the dated history (the current status when the history says nothing), as the
-- hotspots layer does.
SELECT h.id,
       CAST(h.kind AS text) AS kind,
       s.status,
       s.status IN ('active', 'under_attack', 'relapsed') AS active,
       ST_Transform(h.geom, 3857) AS geom
FROM hotspot h
CROSS JOIN LATERAL (
    SELECT COALESCE(
        (SELECT CAST(c.status AS text)
         FROM hotspot_status_change c
         WHERE c.hotspot_id = h.id AND c.changed_on <= CAST(:on AS date)
         ORDER BY c.changed_on DESC, c.id DESC
         LIMIT 1),
        CAST(h.status AS text)) AS status
) s
WHERE h.deleted_at IS NULL
  AND h.detected_on <= CAST(:on AS date)
  AND h.geom && ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4326)
  AND (CAST(:scope AS bigint) IS NULL
       OR ST_Intersects((SELECT s.geom FROM admin_unit s WHERE s.id = CAST(:scope AS bigint)), h.geom))
