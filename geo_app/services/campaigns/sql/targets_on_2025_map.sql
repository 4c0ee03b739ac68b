-- Where each target of a campaign lies on the 2025 map.
-- A target already on the 2025 layout is its own successor (share 1). An older target maps
-- through the crosswalk (linked by unit id, else by its code); the share of the old unit's area
-- is the one measured by overlay when the crosswalk has it, else measured here on the spheroid.
-- A target the crosswalk does not list falls back to a live overlay with the 2025 units of its
-- level in force today, ignoring slivers of coarse boundaries. Parameters: :campaign_id,
-- :today, :min_overlay_share. Shares of 0 (listed, but no overlap) are left out.
WITH target AS (
    SELECT u.id, u.code, u.level, u.layout, u.geom
    FROM campaign_target t JOIN admin_unit u ON u.id = t.admin_unit_id
    WHERE t.campaign_id = :campaign_id
),
same AS (
    SELECT t.id AS target_id, t.id AS unit_id, 1.0::float8 AS share_of_old,
           1.0::float8 AS share_of_new, 'same'::text AS source, NULL::text AS relation
    FROM target t
    WHERE t.layout = '2025'
),
listed AS (
    SELECT t.id AS target_id, n.id AS unit_id,
           COALESCE(c.share_of_old::float8,
                    ST_Area(ST_Intersection(t.geom, n.geom)::geography)
                      / NULLIF(ST_Area(t.geom::geography), 0)) AS share_of_old,
           COALESCE(c.share_of_new::float8,
                    ST_Area(ST_Intersection(t.geom, n.geom)::geography)
                      / NULLIF(ST_Area(n.geom::geography), 0)) AS share_of_new,
           CASE WHEN c.share_of_old IS NULL THEN 'crosswalk+overlay' ELSE 'crosswalk' END
             AS source,
           c.relation
    FROM target t
    JOIN crosswalk c ON c.old_unit_id = t.id OR (c.old_unit_id IS NULL AND c.old_code = t.code)
    JOIN admin_unit n
      ON n.layout = '2025' AND n.level = t.level
     AND (n.id = c.new_unit_id
          OR (c.new_unit_id IS NULL AND n.code = c.new_code
              AND n.valid_from <= :today AND (n.valid_to IS NULL OR n.valid_to > :today)))
    WHERE t.layout <> '2025'
),
overlay AS (
    SELECT t.id AS target_id, n.id AS unit_id,
           ST_Area(ST_Intersection(t.geom, n.geom)::geography)
             / NULLIF(ST_Area(t.geom::geography), 0) AS share_of_old,
           ST_Area(ST_Intersection(t.geom, n.geom)::geography)
             / NULLIF(ST_Area(n.geom::geography), 0) AS share_of_new,
           'overlay'::text AS source, NULL::text AS relation
    FROM target t
    JOIN admin_unit n
      ON n.layout = '2025' AND n.level = t.level
     AND n.valid_from <= :today AND (n.valid_to IS NULL OR n.valid_to > :today)
     AND ST_Intersects(t.geom, n.geom)
    WHERE t.layout <> '2025' AND NOT EXISTS (SELECT 1 FROM listed l WHERE l.target_id = t.id)
),
found AS (
    SELECT * FROM same UNION ALL SELECT * FROM listed UNION ALL SELECT * FROM overlay
)
SELECT f.target_id, f.unit_id, n.code, n.name,
       (WITH RECURSIVE up AS (
            SELECT a.id, a.parent_id, a.level, a.code FROM admin_unit a WHERE a.id = n.id
            UNION ALL
            SELECT a.id, a.parent_id, a.level, a.code
            FROM admin_unit a JOIN up ON a.id = up.parent_id)
        SELECT up.code FROM up WHERE up.level = 'province' LIMIT 1) AS province_code,
       LEAST(f.share_of_old, 1.0) AS share_of_old, LEAST(f.share_of_new, 1.0) AS share_of_new,
       f.source, f.relation
FROM found f
JOIN admin_unit n ON n.id = f.unit_id
WHERE f.share_of_old > CASE WHEN f.source = 'overlay' THEN :min_overlay_share ELSE 0 END
ORDER BY f.target_id, f.share_of_old DESC, n.code
