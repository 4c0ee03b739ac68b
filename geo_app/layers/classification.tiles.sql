-- Vector tiles of the classification layer (geo_app/layers/classification.py, which says why):
-- the communes in force on :on that reach tile :z/:x/:y (:margin is the buffer, a fraction of
-- the tile) and, from zoom 11, the hamlets and residential groups with a stored classification;
-- each with its latest stored classification of a month on or before :on ('no_data' if none),
-- why in both languages (the criteria that fired, or the inputs missing for insufficient_data;
-- :input_labels is a JSON object name -> [vi, en], :missing_vi / :missing_en the prefixes) and
-- the stored EPSG:3857 boundary of :band.
-- :scope (NULL = national) keeps the units inside the user's scope: the scope unit, its
-- children and grandchildren, or a deeper or older unit whose point on surface it covers (the
-- rule of geo_app/services/accounts/scope.py, which puts pre-2025 communes inside their 2025 province).
SELECT u.id,
       u.code,
       u.name,
       CAST(u.level AS text) AS level,
       COALESCE(c.class, 'no_data') AS class,
       to_char(c.month, 'YYYY-MM') AS month,
       c.rule_set,
       CASE WHEN c.class = 'insufficient_data'
            THEN CAST(:missing_vi AS text) || (
                SELECT string_agg(COALESCE(CAST(:input_labels AS jsonb) -> m.name ->> 0, m.name), ', ')
                FROM jsonb_array_elements_text(c.missing) AS m(name))
            ELSE (SELECT string_agg(e.item ->> 'text_vi', '; ')
                  FROM jsonb_array_elements(c.criteria) AS e(item))
       END AS criteria_vi,
       CASE WHEN c.class = 'insufficient_data'
            THEN CAST(:missing_en AS text) || (
                SELECT string_agg(COALESCE(CAST(:input_labels AS jsonb) -> m.name ->> 1, m.name), ', ')
                FROM jsonb_array_elements_text(c.missing) AS m(name))
            ELSE (SELECT string_agg(e.item ->> 'text_en', '; ')
                  FROM jsonb_array_elements(c.criteria) AS e(item))
       END AS criteria_en,
       CASE WHEN u.level = 'commune' THEN CAST(:link AS text) || u.code END AS link,
       COALESCE(b.geom, ST_Transform(u.geom, 3857)) AS geom
FROM admin_unit u
LEFT JOIN admin_unit_tile b ON b.admin_unit_id = u.id AND b.band = :band
LEFT JOIN LATERAL (
    SELECT CAST(k.class AS text) AS class, k.month, k.rule_set, k.criteria, k.missing
    FROM classification k
    WHERE k.admin_unit_id = u.id AND k.month <= CAST(:on AS date)
    ORDER BY k.month DESC, k.computed_at DESC, k.id DESC
    LIMIT 1
) c ON true
WHERE u.level IN ('commune', 'hamlet', 'residential_group')
  AND (u.level = 'commune' OR (:z >= 11 AND c.class IS NOT NULL))
  AND u.valid_from <= CAST(:on AS date)
  AND (u.valid_to IS NULL OR u.valid_to > CAST(:on AS date))
  AND u.geom && ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4326)
  AND (CAST(:scope AS bigint) IS NULL
       OR u.id = CAST(:scope AS bigint)
       OR u.parent_id = CAST(:scope AS bigint)
       OR EXISTS (SELECT 1 FROM admin_unit p
                  WHERE p.id = u.parent_id AND p.parent_id = CAST(:scope AS bigint))
       OR EXISTS (SELECT 1 FROM admin_unit s
                  WHERE s.id = CAST(:scope AS bigint)
                    AND array_position(ARRAY['province', 'district', 'commune', 'hamlet',
                                             'residential_group'], CAST(u.level AS text))
                        >= array_position(ARRAY['province', 'district', 'commune', 'hamlet',
                                                'residential_group'], CAST(s.level AS text))
                    AND s.geom && u.geom
                    AND ST_Covers(s.geom, ST_PointOnSurface(u.geom))))
