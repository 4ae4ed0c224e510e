-- UNLOGGED by hand (drizzle-kit cannot say it): rate counters need no WAL; see schema.ts.
CREATE UNLOGGED TABLE "rate_limits" (
	"key" varchar(255) PRIMARY KEY NOT NULL,
	"points" integer DEFAULT 0 NOT NULL,
	"expire" bigint
);
--> statement-breakpoint
ALTER TABLE "comments" ADD COLUMN "status_override" text;--> statement-breakpoint
ALTER TABLE "sites" ADD COLUMN "publishable_key_hash" text;--> statement-breakpoint
ALTER TABLE "sites" ADD CONSTRAINT "sites_publishable_key_hash_unique" UNIQUE("publishable_key_hash");--> statement-breakpoint
ALTER TABLE "comments" ADD CONSTRAINT "comments_status_override_ck" CHECK ("comments"."status_override" IN ('trusted', 'shadow'));