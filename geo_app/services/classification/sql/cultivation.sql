-- Active cultivation sites of each unit in :ids on :on: detected by then and not yet
-- eradicated (a replanted site counts from its detection on, its replanting date being
-- unknown). A site belongs to the unit that owns its ST_PointOnSurface (the boundary rule);
-- area_m2 is the stored geodesic area (ST_Area of geography). Plants are unknown (NULL) when
-- any active site has no plant count.
-- include target.sql
site AS (
    SELECT t.id AS unit_id, s.plant_count, s.area_m2
    FROM target t
    JOIN cultivation_site s ON ST_Intersects(t.geom, s.geom)
    WHERE s.deleted_at IS NULL
      AND s.detected_on <= CAST(:on AS date)
      AND (s.status = 'replanted' OR s.eradicated_on IS NULL
           OR s.eradicated_on > CAST(:on AS date))
      AND unit_at_point(ST_PointOnSurface(s.geom), t.level, t.ref) = t.id
)
SELECT t.id AS unit_id,
       count(s.unit_id) AS active_cultivation_sites,
       CASE
           WHEN bool_or(s.unit_id IS NOT NULL AND s.plant_count IS NULL) THEN NULL
           ELSE COALESCE(sum(s.plant_count), 0)
       END AS active_plants,
       COALESCE(sum(s.area_m2), 0) AS active_plant_area_m2
FROM target t
LEFT JOIN site s ON s.unit_id = t.id
GROUP BY t.id
