CREATE TABLE "akismet_checks" (
	"comment_id" uuid PRIMARY KEY NOT NULL,
	"site_id" uuid NOT NULL,
	"fingerprint" text NOT NULL,
	"answered_spam" boolean,
	"blog" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "akismet_usage" (
	"site_id" uuid NOT NULL,
	"month" text NOT NULL,
	"blog" text NOT NULL,
	"api_calls" integer DEFAULT 0 NOT NULL,
	"spam" integer DEFAULT 0 NOT NULL,
	"ham" integer DEFAULT 0 NOT NULL,
	"missed_spam" integer DEFAULT 0 NOT NULL,
	"false_positives" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "akismet_usage_site_id_month_blog_pk" PRIMARY KEY("site_id","month","blog")
);
--> statement-breakpoint
ALTER TABLE "akismet_checks" ADD CONSTRAINT "akismet_checks_comment_id_comments_id_fk" FOREIGN KEY ("comment_id") REFERENCES "public"."comments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "akismet_checks" ADD CONSTRAINT "akismet_checks_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "akismet_usage" ADD CONSTRAINT "akismet_usage_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "akismet_checks_site_fingerprint_idx" ON "akismet_checks" USING btree ("site_id","fingerprint","created_at");