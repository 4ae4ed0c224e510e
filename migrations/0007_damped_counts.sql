ALTER TABLE "token_counts" ALTER COLUMN "spam" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "token_counts" ALTER COLUMN "ham" SET DATA TYPE bigint;--> statement-breakpoint
-- Counts become length-damped, in COUNT_SCALE (1000) units (src/classifier/model.ts, documentWeight).
-- Rebuilt here from what each comment taught (its stored learned_tokens), so that unlearning a
-- comment learned before this migration subtracts exactly what these rows hold. The weight is
-- floor(1000 * sqrt(32 / n)) for n distinct tokens besides '~tokens' (the same IEEE operations as
-- the JavaScript); a token list without '~tokens' weighs one document (1000).
DELETE FROM "token_counts";--> statement-breakpoint
INSERT INTO "token_counts" ("scope", "token", "spam", "ham")
WITH docs AS (
  SELECT c."site_id"::text AS site, c."learned_label" AS label, d.tokens, d.n, '~tokens' = ANY (d.tokens) AS has_total
  FROM "comments" c
  CROSS JOIN LATERAL (
    SELECT array_agg(DISTINCT t) AS tokens, count(DISTINCT t) FILTER (WHERE t <> '~tokens') AS n FROM unnest(c."learned_tokens") AS t
  ) d
  WHERE c."learned_label" IS NOT NULL AND c."learned_tokens" IS NOT NULL
), weighted AS (
  SELECT site, label, tokens, n, CASE WHEN has_total THEN floor(1000 * sqrt(32::float8 / n))::bigint ELSE 1000 END AS w
  FROM docs WHERE n > 0
), amounts AS (
  SELECT s.scope, t.token, label, CASE WHEN t.token = '~tokens' THEN w * n ELSE w END AS amount
  FROM weighted
  CROSS JOIN LATERAL unnest(tokens) AS t(token)
  CROSS JOIN LATERAL (VALUES ('global'), (site)) AS s(scope)
)
SELECT scope, token, coalesce(sum(amount) FILTER (WHERE label = 'spam'), 0), coalesce(sum(amount) FILTER (WHERE label = 'ham'), 0)
FROM amounts GROUP BY scope, token;--> statement-breakpoint
-- Every process following the change log reloads.
INSERT INTO "model_changes" ("kind") VALUES ('reset');
