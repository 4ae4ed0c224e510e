ALTER TABLE "token_counts" ALTER COLUMN "spam" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "token_counts" ALTER COLUMN "ham" SET DATA TYPE bigint;--> statement-breakpoint
-- Counts are kept in COUNT_SCALE (1000) units (src/classifier/model.ts), so that a document can
-- weigh a fraction of one exactly (length damping, measured in BENCHMARKS.md but off by default).
-- Undamped, every document weighs exactly 1000: the existing counts, scaled, are what retrain
-- would rebuild (and this keeps counts whose comments retention purged).
UPDATE "token_counts" SET "spam" = "spam" * 1000, "ham" = "ham" * 1000;--> statement-breakpoint
-- Every process following the change log reloads.
INSERT INTO "model_changes" ("kind") VALUES ('reset');
