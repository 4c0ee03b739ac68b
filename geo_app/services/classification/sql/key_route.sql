-- Whether a key route crosses each unit in :ids: the line meets the unit's interior, not
-- only its border (ST_Intersects and not ST_Touches). Routes carry no dates; soft-deleted
-- ones never count.
SELECT u.id AS unit_id,
       EXISTS (
           SELECT 1
           FROM route r
           WHERE r.is_key_route
             AND r.deleted_at IS NULL
             AND ST_Intersects(r.geom, u.geom)
             AND NOT ST_Touches(r.geom, u.geom)
       ) AS on_key_route
FROM admin_unit u
WHERE u.id = ANY(CAST(:ids AS bigint[]))
