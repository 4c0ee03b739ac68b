-- Vector tiles: the units of one :level in force on :on that reach tile :z/:x/:y (:margin is
-- the buffer, a fraction of the tile), with the stored EPSG:3857 boundary of :band (the
-- pre-simplified copy of that zoom band; full detail when a unit has none yet).
SELECT u.id,
       u.code,
       u.name,
       u.kind,
       NULLIF(CAST(:link AS text), '') || u.code AS link,
       COALESCE(b.geom, ST_Transform(u.geom, 3857)) AS geom
FROM admin_unit u
LEFT JOIN admin_unit_tile b ON b.admin_unit_id = u.id AND b.band = :band
WHERE u.level = CAST(:level AS admin_level)
  AND u.valid_from <= CAST(:on AS date)
  AND (u.valid_to IS NULL OR u.valid_to > CAST(:on AS date))
  AND u.geom && ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4326)
