CREATE TABLE "campaign_members" (
	"comment_id" uuid PRIMARY KEY NOT NULL,
	"campaign_id" uuid NOT NULL,
	"site_id" uuid NOT NULL,
	"thread" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"domains" text[] DEFAULT '{}'::text[] NOT NULL,
	"label" text
);
--> statement-breakpoint
ALTER TABLE "campaign_members" ADD CONSTRAINT "campaign_members_comment_id_comment_fingerprints_comment_id_fk" FOREIGN KEY ("comment_id") REFERENCES "public"."comment_fingerprints"("comment_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "campaign_members" ADD CONSTRAINT "campaign_members_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "campaign_members_campaign_idx" ON "campaign_members" USING btree ("campaign_id","created_at");--> statement-breakpoint
CREATE INDEX "campaign_members_site_idx" ON "campaign_members" USING btree ("site_id","campaign_id");--> statement-breakpoint
CREATE INDEX "campaign_members_spam_domains_idx" ON "campaign_members" USING gin ("domains") WITH (fastupdate=false) WHERE "campaign_members"."label" = 'spam' AND "campaign_members"."domains" <> '{}'::text[];