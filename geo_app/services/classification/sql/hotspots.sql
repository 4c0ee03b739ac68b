-- Hotspot counts of each unit in :ids as of :on (derived.py documents the rules).
-- A hotspot counts for the unit that owns its point on the unit's reference date (the
-- boundary rule, unit_at_point); its status on :on is the one rule, hotspot_status_on (0006).
-- include target.sql
spot AS (
    SELECT t.id AS unit_id, h.id, CAST(h.kind AS text) AS kind,
           s.status
    FROM target t
    JOIN hotspot h ON ST_Covers(t.geom, h.geom)
    CROSS JOIN LATERAL hotspot_status_on(h.id, h.status, h.cleared_on, h.relapsed_on,
                                         CAST(:on AS date)) s
    WHERE h.deleted_at IS NULL
      AND h.detected_on <= CAST(:on AS date)
      AND unit_at_point(h.geom, t.level, t.ref) = t.id
),
relapse AS (
    SELECT s.unit_id
    FROM spot s
    JOIN hotspot_status_change c ON c.hotspot_id = s.id
    WHERE c.status = 'relapsed'
      AND c.changed_on BETWEEN CAST(:period_start AS date) AND CAST(:on AS date)
    UNION ALL
    SELECT s.unit_id
    FROM spot s
    JOIN hotspot h ON h.id = s.id
    WHERE h.relapsed_on BETWEEN CAST(:period_start AS date) AND CAST(:on AS date)
      AND NOT EXISTS (SELECT 1 FROM hotspot_status_change c WHERE c.hotspot_id = s.id)
),
relapses AS (
    SELECT unit_id, count(*) AS n FROM relapse GROUP BY unit_id
),
counted AS (
    SELECT s.unit_id, s.kind, hotspot_is_active(s.status) AS active,
           s.status <> 'cleared' AS not_cleared
    FROM spot s
)
SELECT t.id AS unit_id,
       count(c.unit_id) FILTER (
           WHERE c.active AND c.kind IN ('den', 'retail', 'complex_point')
       ) AS active_hotspots,
       count(c.unit_id) FILTER (WHERE c.active) AS active_hotspots_all,
       count(c.unit_id) FILTER (WHERE c.active AND c.kind = 'use_site') AS active_use_sites,
       count(c.unit_id) FILTER (WHERE c.active AND c.kind = 'retail') AS active_retail,
       count(c.unit_id) FILTER (WHERE c.not_cleared) AS hotspots_not_cleared,
       CASE
           WHEN CAST(:period_start AS date) IS NULL THEN NULL
           ELSE COALESCE(max(r.n), 0)
       END AS hotspots_relapsed_in_period
FROM target t
LEFT JOIN counted c ON c.unit_id = t.id
LEFT JOIN relapses r ON r.unit_id = t.id
GROUP BY t.id
