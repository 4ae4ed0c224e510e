CREATE TABLE "erasures" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"site_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"matched_on" text[] NOT NULL,
	"actor" text NOT NULL,
	"comments" integer NOT NULL,
	"decisions" integer NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "erasures_kind_ck" CHECK ("erasures"."kind" IN ('person', 'site'))
);
--> statement-breakpoint
CREATE TABLE "install_secrets" (
	"name" text PRIMARY KEY NOT NULL,
	"secret" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "retained_counts" (
	"site_id" uuid NOT NULL,
	"token" text NOT NULL,
	"spam" bigint DEFAULT 0 NOT NULL,
	"ham" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "retained_counts_site_id_token_pk" PRIMARY KEY("site_id","token")
);
--> statement-breakpoint
CREATE TABLE "retained_totals" (
	"site_id" uuid PRIMARY KEY NOT NULL,
	"spam" integer DEFAULT 0 NOT NULL,
	"ham" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
ALTER TABLE "retained_counts" ADD CONSTRAINT "retained_counts_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "retained_totals" ADD CONSTRAINT "retained_totals_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "erasures_site_created_idx" ON "erasures" USING btree ("site_id","created_at");