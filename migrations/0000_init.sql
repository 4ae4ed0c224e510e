CREATE TABLE "comments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"site_id" uuid NOT NULL,
	"thread" text NOT NULL,
	"content" text NOT NULL,
	"author_name" text,
	"author_email" text,
	"author_url" text,
	"ip" text,
	"user_agent" text,
	"referrer" text,
	"external_id" text,
	"parent_id" uuid,
	"honeypot_filled" boolean,
	"time_to_submit_ms" integer,
	"source" text DEFAULT 'api' NOT NULL,
	"meta" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"verdict" text,
	"score" double precision,
	"reasons" jsonb,
	"model_version" text,
	"learned_label" text,
	"learned_tokens" text[],
	"learned_tokenizer_version" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"scored_at" timestamp with time zone,
	"decided_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "comments_status_ck" CHECK ("comments"."status" IN ('pending', 'published', 'held', 'spam'))
);
--> statement-breakpoint
CREATE TABLE "decisions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"comment_id" uuid NOT NULL,
	"site_id" uuid NOT NULL,
	"label" text NOT NULL,
	"note" text,
	"actor" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "decisions_label_ck" CHECK ("decisions"."label" IN ('spam', 'ham'))
);
--> statement-breakpoint
CREATE TABLE "scope_totals" (
	"scope" text PRIMARY KEY NOT NULL,
	"spam" integer DEFAULT 0 NOT NULL,
	"ham" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sites" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"url" text NOT NULL,
	"api_key_hash" text,
	"moderator_key_hash" text,
	"ham_cutoff" real,
	"spam_cutoff" real,
	"min_per_label" integer,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sites_api_key_hash_unique" UNIQUE("api_key_hash"),
	CONSTRAINT "sites_moderator_key_hash_unique" UNIQUE("moderator_key_hash")
);
--> statement-breakpoint
CREATE TABLE "token_counts" (
	"scope" text NOT NULL,
	"token" text NOT NULL,
	"spam" integer DEFAULT 0 NOT NULL,
	"ham" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "token_counts_scope_token_pk" PRIMARY KEY("scope","token")
);
--> statement-breakpoint
ALTER TABLE "comments" ADD CONSTRAINT "comments_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "decisions" ADD CONSTRAINT "decisions_comment_id_comments_id_fk" FOREIGN KEY ("comment_id") REFERENCES "public"."comments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "decisions" ADD CONSTRAINT "decisions_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "comments_site_external_id_uq" ON "comments" USING btree ("site_id","external_id") WHERE "comments"."external_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "comments_thread_published_idx" ON "comments" USING btree ("site_id","thread","created_at","id") WHERE "comments"."status" = 'published';--> statement-breakpoint
CREATE INDEX "comments_site_status_created_idx" ON "comments" USING btree ("site_id","status","created_at","id");--> statement-breakpoint
CREATE INDEX "comments_pending_created_idx" ON "comments" USING btree ("created_at") WHERE "comments"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "decisions_comment_idx" ON "decisions" USING btree ("comment_id","id");