-- The units in :ids with their reference date: :on, or the nearest day of the unit's validity
-- (a unit asked about a date outside it is compared with the units in force then). The first
-- CTE of the derived-input queries, included by each ("-- include target.sql").
WITH target AS (
    SELECT u.id, u.level, u.geom,
           CASE
               WHEN CAST(:on AS date) < u.valid_from THEN u.valid_from
               WHEN u.valid_to <= CAST(:on AS date) THEN u.valid_to - 1
               ELSE CAST(:on AS date)
           END AS ref
    FROM admin_unit u
    WHERE u.id = ANY(CAST(:ids AS bigint[]))
),