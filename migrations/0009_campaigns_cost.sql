ALTER TABLE "campaign_actions" DISABLE ROW LEVEL SECURITY;--> statement-breakpoint
DROP TABLE "campaign_actions" CASCADE;--> statement-breakpoint
DROP INDEX "comment_fingerprints_campaign_domains_idx";--> statement-breakpoint
ALTER TABLE "console_actions" ADD COLUMN "campaign_id" uuid;--> statement-breakpoint
CREATE INDEX "comment_fingerprints_member_domains_idx" ON "comment_fingerprints" USING gin ((CASE WHEN "campaign_id" IS NOT NULL THEN "domains" END)) WITH (fastupdate=false) WHERE "comment_fingerprints"."domains" <> '{}'::text[];--> statement-breakpoint
CREATE INDEX "comment_fingerprints_created_brin" ON "comment_fingerprints" USING brin ("created_at");