CREATE TABLE "campaign_actions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"campaign_id" uuid NOT NULL,
	"site_id" uuid NOT NULL,
	"label" text NOT NULL,
	"members" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"undone_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "campaigns" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "comment_fingerprints" (
	"comment_id" uuid PRIMARY KEY NOT NULL,
	"site_id" uuid NOT NULL,
	"thread" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"version" integer NOT NULL,
	"text_hash" bigint NOT NULL,
	"short" boolean NOT NULL,
	"minhash" integer[],
	"bands" bigint[],
	"domains" text[] DEFAULT '{}'::text[] NOT NULL,
	"campaign_id" uuid
);
--> statement-breakpoint
ALTER TABLE "comments" ADD COLUMN "signals" jsonb;--> statement-breakpoint
ALTER TABLE "campaign_actions" ADD CONSTRAINT "campaign_actions_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "comment_fingerprints" ADD CONSTRAINT "comment_fingerprints_comment_id_comments_id_fk" FOREIGN KEY ("comment_id") REFERENCES "public"."comments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "comment_fingerprints" ADD CONSTRAINT "comment_fingerprints_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "campaign_actions_site_idx" ON "campaign_actions" USING btree ("site_id","created_at");--> statement-breakpoint
CREATE INDEX "comment_fingerprints_hash_idx" ON "comment_fingerprints" USING btree ("text_hash","created_at");--> statement-breakpoint
CREATE INDEX "comment_fingerprints_site_hash_idx" ON "comment_fingerprints" USING btree ("site_id","text_hash","created_at");--> statement-breakpoint
CREATE INDEX "comment_fingerprints_bands_idx" ON "comment_fingerprints" USING gin ("bands") WITH (fastupdate=false) WHERE "comment_fingerprints"."bands" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "comment_fingerprints_domains_idx" ON "comment_fingerprints" USING gin ("domains") WITH (fastupdate=false) WHERE "comment_fingerprints"."domains" <> '{}'::text[] AND "comment_fingerprints"."campaign_id" IS NULL;--> statement-breakpoint
CREATE INDEX "comment_fingerprints_campaign_domains_idx" ON "comment_fingerprints" USING gin ("domains") WITH (fastupdate=false) WHERE "comment_fingerprints"."domains" <> '{}'::text[] AND "comment_fingerprints"."campaign_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "comment_fingerprints_campaign_idx" ON "comment_fingerprints" USING btree ("campaign_id") WHERE "comment_fingerprints"."campaign_id" IS NOT NULL;