CREATE TABLE "model_changes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"site_id" uuid,
	"label" text,
	"tokens" text[],
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "model_changes_kind_ck" CHECK ("model_changes"."kind" IN ('learn', 'unlearn', 'reset'))
);
--> statement-breakpoint
CREATE INDEX "model_changes_created_idx" ON "model_changes" USING btree ("created_at");