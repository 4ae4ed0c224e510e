CREATE TABLE "console_action_items" (
	"action_id" uuid NOT NULL,
	"comment_id" uuid NOT NULL,
	"decision_id" bigint NOT NULL,
	"prev_status" text NOT NULL,
	"prev_decided_at" timestamp with time zone,
	"prev_learned_label" text,
	"prev_learned_tokens" text[],
	"prev_learned_tokenizer_version" text,
	CONSTRAINT "console_action_items_action_id_comment_id_pk" PRIMARY KEY("action_id","comment_id")
);
--> statement-breakpoint
CREATE TABLE "console_actions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"site_id" uuid NOT NULL,
	"label" text NOT NULL,
	"actor" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"undoable_until" timestamp with time zone NOT NULL,
	"undone_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "console_login_failures" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"client" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "console_sessions" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"site_id" uuid,
	"role" text NOT NULL,
	"key_hash" text NOT NULL,
	"csrf_token" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "decisions" ADD COLUMN "undoes_id" bigint;--> statement-breakpoint
ALTER TABLE "console_action_items" ADD CONSTRAINT "console_action_items_action_id_console_actions_id_fk" FOREIGN KEY ("action_id") REFERENCES "public"."console_actions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "console_action_items" ADD CONSTRAINT "console_action_items_comment_id_comments_id_fk" FOREIGN KEY ("comment_id") REFERENCES "public"."comments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "console_actions" ADD CONSTRAINT "console_actions_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "console_sessions" ADD CONSTRAINT "console_sessions_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "console_actions_site_created_idx" ON "console_actions" USING btree ("site_id","created_at");--> statement-breakpoint
CREATE INDEX "console_login_failures_client_idx" ON "console_login_failures" USING btree ("client","created_at");--> statement-breakpoint
CREATE INDEX "console_sessions_expires_idx" ON "console_sessions" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "console_sessions_site_idx" ON "console_sessions" USING btree ("site_id");--> statement-breakpoint
CREATE INDEX "comments_site_author_email_idx" ON "comments" USING btree ("site_id","author_email");--> statement-breakpoint
CREATE INDEX "comments_site_author_url_idx" ON "comments" USING btree ("site_id","author_url");--> statement-breakpoint
CREATE INDEX "comments_site_ip_idx" ON "comments" USING btree ("site_id","ip" text_pattern_ops);--> statement-breakpoint
CREATE INDEX "comments_site_scored_idx" ON "comments" USING btree ("site_id","scored_at");--> statement-breakpoint
CREATE INDEX "decisions_site_created_idx" ON "decisions" USING btree ("site_id","created_at");