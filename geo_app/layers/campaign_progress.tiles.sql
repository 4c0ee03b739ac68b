-- Vector tiles: the targets of campaign :campaign that reach tile :z/:x/:y (:margin is the
-- buffer, a fraction of the tile), with their progress on :on, inside the user's scope :scope
-- (NULL = national). The progress classes are those of geo_app/layers/campaign_progress.py
-- (``progress_class``): recognised; else the share of criteria met in the last evaluation on or
-- before :on (override applied) by steps of 3/4, 1/2, 1/4; not_evaluated before any. A target
-- is in scope as in geo_app/services/accounts/scope.py: the scope unit is an ancestor, or the target's
-- point on surface is covered by the scope unit and its level is not above the scope's.
-- Geometry: the stored EPSG:3857 copy of zoom band :band, else the nearest more detailed band
-- stored (old pre-2025 units have no band 1), else the full-detail boundary.
SELECT t.id,
       u.code,
       u.name,
       CASE
           WHEN e.verdict IS NULL THEN 'not_evaluated'
           WHEN e.verdict = 'recognised' THEN 'recognised'
           WHEN e.total > 0 AND 4 * e.met >= 3 * e.total THEN 'share_high'
           WHEN e.total > 0 AND 2 * e.met >= 1 * e.total THEN 'share_mid'
           WHEN e.total > 0 AND 4 * e.met >= 1 * e.total THEN 'share_low'
           ELSE 'share_none'
       END AS progress,
       ph.ordinal AS phase,
       e.met,
       e.total,
       e.verdict,
       CAST(e.evaluated_on AS text) AS evaluated_on,
       COALESCE(e.override_reason IS NOT NULL, false) AS overridden,
       COALESCE(b.geom, ST_Transform(u.geom, 3857)) AS geom
FROM campaign_target t
JOIN campaign c ON c.id = t.campaign_id AND c.deleted_at IS NULL
JOIN admin_unit u ON u.id = t.admin_unit_id
LEFT JOIN LATERAL (
    SELECT COALESCE(v.override_verdict, v.verdict) AS verdict,
           v.evaluated_on,
           v.override_reason,
           (SELECT count(*) FROM jsonb_array_elements(k.criteria) AS m(item)
            WHERE m.item ->> 'verdict' = 'met') AS met,
           jsonb_array_length(k.criteria) AS total
    FROM evaluation v
    CROSS JOIN LATERAL (
        SELECT CASE WHEN jsonb_typeof(v.criteria) = 'array' THEN v.criteria
                    ELSE CAST('[]' AS jsonb) END AS criteria
    ) k
    WHERE v.campaign_id = t.campaign_id
      AND v.admin_unit_id = t.admin_unit_id
      AND v.evaluated_on <= CAST(:on AS date)
    ORDER BY v.evaluated_on DESC
    LIMIT 1
) e ON true
LEFT JOIN LATERAL (
    SELECT p.ordinal
    FROM phase p
    WHERE p.campaign_id = t.campaign_id
      AND p.starts_on <= CAST(:on AS date)
      AND (p.ends_on IS NULL OR p.ends_on >= CAST(:on AS date))
    LIMIT 1
) ph ON true
LEFT JOIN LATERAL (
    SELECT s.geom
    FROM admin_unit_tile s
    WHERE s.admin_unit_id = u.id
      AND (s.band = :band OR s.band = 0 OR (:band > 0 AND s.band > :band))
    ORDER BY s.band = :band DESC, s.band = 0, s.band
    LIMIT 1
) b ON true
WHERE t.campaign_id = CAST(:campaign AS bigint)
  AND u.geom && ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4326)
  AND (
      CAST(:scope AS bigint) IS NULL
      OR EXISTS (
          WITH RECURSIVE up AS (
              SELECT a.id, a.parent_id FROM admin_unit a WHERE a.id = u.id
              UNION ALL
              SELECT a.id, a.parent_id FROM admin_unit a JOIN up ON a.id = up.parent_id
          )
          SELECT 1 FROM up WHERE up.id = CAST(:scope AS bigint)
      )
      OR EXISTS (
          SELECT 1
          FROM admin_unit s
          WHERE s.id = CAST(:scope AS bigint)
            AND array_position(ARRAY['province', 'district', 'commune', 'hamlet',
                                     'residential_group'], CAST(u.level AS text))
                >= array_position(ARRAY['province', 'district', 'commune', 'hamlet',
                                        'residential_group'], CAST(s.level AS text))
            AND ST_Covers(s.geom, ST_PointOnSurface(u.geom))
      )
  )
