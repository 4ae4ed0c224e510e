-- campaign_members.label against a decision committing while an assignment inserts that member
-- (issue 12). 0013's trigger ran inside the decision's UPDATE: it could not see a member row that an
-- assignment had inserted but not yet committed, and that INSERT had copied the old label, so the
-- member kept it. Now the sync runs at the decision's commit (deferred) and first takes the
-- assignment lock (CAMPAIGN_LOCK_KEY, src/db/queries/campaigns.ts) shared. Assignment takes that
-- lock exclusive as its first statement and reads the labels after it, so the two are ordered:
-- - an assignment in flight: the commit waits for it, and the UPDATE below (a fresh snapshot: plpgsql
--   at READ COMMITTED takes one per statement) then sees the member it committed;
-- - an assignment after: it waits for this commit, then reads the new learned_label.
-- Shared: decisions do not wait for each other here, only for an assignment batch in flight.
--
-- Why at commit and not in the UPDATE's own trigger: the lock is then the last one a decision takes,
-- held only for the sync and the commit. Taken at the first label change, a campaign decision of 500
-- members (one transaction) would hold assignment off for the whole action (seconds). Deadlocks: a
-- decision waits here holding its comment rows (FOR NO KEY UPDATE), its decisions, token counts and
-- the change-log lock, none of which an assignment takes; an assignment takes the lock before any
-- row, so it never holds a row a waiting decision wants. The reverted deferred trigger of session 4
-- deadlocked because decisions locked the comment FOR UPDATE, which conflicts with the FOR KEY
-- SHARE of the assignment's fingerprint INSERT (its foreign key to comments): lockComment now takes
-- FOR NO KEY UPDATE (test/campaign-label-race.test.ts replays both orders and that case).
-- Paths that change learned_label: decisions (API, console, Akismet submit-spam/ham), campaign
-- decide and undo, unlearnSite; imports insert, erasure and the purge delete (no trigger). All run at
-- READ COMMITTED; under REPEATABLE READ the UPDATE would use the transaction's older snapshot and
-- miss the member, so the function refuses it rather than leave a stale label.
CREATE OR REPLACE FUNCTION "campaign_members_sync_label"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'campaign_members.label is kept only for READ COMMITTED transactions (this one is %)', current_setting('transaction_isolation');
  END IF;
  PERFORM pg_advisory_xact_lock_shared(7326120);
  -- The label as it stands at commit, not NEW's: a transaction may change it more than once.
  UPDATE "campaign_members" k SET "label" = c."learned_label"
  FROM "comments" c
  WHERE c."id" = NEW."id" AND k."comment_id" = NEW."id" AND k."label" IS DISTINCT FROM c."learned_label";
  RETURN NULL;
END;
$$;
--> statement-breakpoint
DROP TRIGGER "comments_learned_label_to_campaign_members" ON "comments";
--> statement-breakpoint
-- Only updates that set learned_label and change it fire (verdict writes do not pay for this).
CREATE CONSTRAINT TRIGGER "comments_learned_label_to_campaign_members"
AFTER UPDATE OF "learned_label" ON "comments"
DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW WHEN (OLD."learned_label" IS DISTINCT FROM NEW."learned_label")
EXECUTE FUNCTION "campaign_members_sync_label"();
