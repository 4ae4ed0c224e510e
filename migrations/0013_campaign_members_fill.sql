-- Campaign membership moves to campaign_members (issue 12, session 4): copy the members that
-- comment_fingerprints.campaign_id holds today, then keep campaign_members.label equal to the
-- comment's learned label from every path that sets it (decisions, undo, imports, erasure).
INSERT INTO "campaign_members" ("comment_id", "campaign_id", "site_id", "thread", "created_at", "domains", "label")
SELECT f."comment_id", f."campaign_id", f."site_id", f."thread", f."created_at", f."domains", c."learned_label"
FROM "comment_fingerprints" f JOIN "comments" c ON c."id" = f."comment_id"
WHERE f."campaign_id" IS NOT NULL
ON CONFLICT ("comment_id") DO NOTHING;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "campaign_members_sync_label"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "campaign_members" SET "label" = NEW."learned_label" WHERE "comment_id" = NEW."id";
  RETURN NULL;
END;
$$;
--> statement-breakpoint
-- Only updates that set learned_label and change it fire: verdict writes do not pay for this.
CREATE TRIGGER "comments_learned_label_to_campaign_members"
AFTER UPDATE OF "learned_label" ON "comments"
FOR EACH ROW WHEN (OLD."learned_label" IS DISTINCT FROM NEW."learned_label")
EXECUTE FUNCTION "campaign_members_sync_label"();
