-- Every sub-unit of each unit in :ids on :on by the coverage rule (subunit_coverage.sql,
-- included below), by code; those lacking a good hotline board or a tip-off box with their
-- outline and a point inside them (GeoJSON, WGS 84).
WITH coverage AS (
-- include subunit_coverage.sql
)
SELECT c.unit_id, c.id, c.code, c.name, c.level, c.has_board, c.has_box,
       CASE WHEN NOT (c.has_board AND c.has_box) THEN ST_AsGeoJSON(s.geom, 6) END AS geometry,
       CASE
           WHEN NOT (c.has_board AND c.has_box) THEN ST_AsGeoJSON(ST_PointOnSurface(s.geom), 6)
       END AS point
FROM coverage c
JOIN admin_unit s ON s.id = c.id
ORDER BY c.code
