-- The console's text search must work for any language, so it matches substrings (ILIKE) rather
-- than words: Postgres's `simple` full-text configuration splits on spaces and punctuation, which
-- leaves a Chinese or Japanese sentence as one "word". pg_trgm's GIN index serves ILIKE '%…%' for
-- any script (trigrams of the text as written) and needs no stemming or dictionary per language.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "comments_content_trgm_idx" ON "comments" USING gin ("content" gin_trgm_ops);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "comments_author_name_trgm_idx" ON "comments" USING gin ("author_name" gin_trgm_ops);
