ALTER TABLE "comment_fingerprints" DROP CONSTRAINT "comment_fingerprints_campaign_id_campaigns_id_fk";
--> statement-breakpoint
DROP INDEX "comment_fingerprints_member_domains_idx";--> statement-breakpoint
DROP INDEX "comment_fingerprints_campaign_idx";--> statement-breakpoint
DROP INDEX "comment_fingerprints_domains_idx";--> statement-breakpoint
CREATE INDEX "comment_fingerprints_domains_idx" ON "comment_fingerprints" USING gin ("domains") WITH (fastupdate=false) WHERE "comment_fingerprints"."domains" <> '{}'::text[];--> statement-breakpoint
ALTER TABLE "comment_fingerprints" DROP COLUMN "campaign_id";