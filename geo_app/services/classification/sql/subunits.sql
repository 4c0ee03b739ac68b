-- The checklist's sub-unit counts of each unit in :ids on :on, counted from the per-sub-unit
-- coverage rule (subunit_coverage.sql, included below by the loader in derived.py).
WITH coverage AS (
-- include subunit_coverage.sql
)
SELECT u.id AS unit_id,
       count(c.id) FILTER (WHERE c.level = 'hamlet') AS hamlets_total,
       count(c.id) FILTER (WHERE c.level = 'hamlet' AND c.has_board) AS hamlets_with_good_board,
       count(c.id) FILTER (WHERE c.level = 'hamlet' AND c.has_box) AS hamlets_with_box,
       count(c.id) FILTER (WHERE c.level = 'residential_group') AS residential_groups_total,
       count(c.id) FILTER (
           WHERE c.level = 'residential_group' AND c.has_box
       ) AS residential_groups_with_box,
       count(c.id) AS subunits_total,
       count(c.id) FILTER (WHERE c.has_board) AS subunits_with_good_board,
       count(c.id) FILTER (WHERE c.has_box) AS subunits_with_box
FROM admin_unit u
LEFT JOIN coverage c ON c.unit_id = u.id
WHERE u.id = ANY(CAST(:ids AS bigint[]))
GROUP BY u.id
