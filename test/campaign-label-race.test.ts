import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assignCampaigns, decideCampaign, storeFingerprints, undoCampaignAction } from "../src/comments/campaigns.js";
import { recordDecision } from "../src/comments/decisions.js";
import { CAMPAIGN_LOCK_KEY, lockCampaigns, writeCampaignAssignment } from "../src/db/queries/campaigns.js";
import { findComment } from "../src/db/queries/comments.js";
import type { CommentRow } from "../src/db/schema.js";
import { call, createSite, freshDatabase, harness, type Harness, type TestSite } from "./helpers.js";

/**
 * campaign_members.label against the race of migrations/0015: a decision committing while an
 * assignment inserts that very member, both ways round, driven step by step on two connections.
 * No worker runs: the tests assign campaigns themselves. Their own database, so no other file's
 * comments cluster with these.
 */
describe("campaign_members.label under concurrent decisions and assignments", () => {
  let db: { url: string; drop(): Promise<void> };
  let h: Harness;
  let a: TestSite;
  let b: TestSite;

  beforeAll(async () => {
    db = await freshDatabase();
    h = harness({ databaseUrl: db.url, config: { DATABASE_POOL_MAX: "12" } });
    [a, b] = [await createSite(h.app), await createSite(h.app)];
  });
  afterAll(async () => {
    await h?.close();
    await db?.drop();
  });

  const SPAM = [
    "Genuine followers for your page, ten thousand in a day, no password needed, order now at fans-boost.example before the offer ends",
    "Lose twenty pounds in two weeks with this one weird tea that doctors hate, read the whole story at slim-tea.example",
  ] as const;

  /**
   * Stores a comment through the API; nothing scores or assigns it. The API's intake leaves the
   * fingerprint to the scorer's assignment, which stores it; `fingerprinted` stores it now.
   */
  const post = async (site: TestSite, content: string, opts: { fingerprinted?: boolean } = {}): Promise<CommentRow> => {
    const res = await call(h.app, "POST", "/v1/comments", { key: site.apiKey, body: { thread: `t-${randomUUID().slice(0, 8)}`, content } });
    expect(res.status).toBe(202);
    const row = await findComment(h.deps.db, (res.body as { id: string }).id);
    expect(row).toBeDefined();
    if (opts.fingerprinted) await storeFingerprints(h.deps.db, [row!]);
    return row!;
  };

  const label = async (id: string) => (await h.deps.db.$client<{ label: string | null }[]>`SELECT label FROM campaign_members WHERE comment_id = ${id}`)[0]?.label;

  function gate() {
    let open: () => void = () => {};
    const opened = new Promise<void>((resolve) => (open = resolve));
    return { opened, open };
  }

  /** A decision on site a's comment, recorded and held open (uncommitted) until `release` opens. */
  function openDecision(commentId: string, label: "spam" | "ham") {
    const decided = gate();
    const release = gate();
    const decision = h.deps.db.transaction(async (tx) => {
      await recordDecision(tx, { siteId: a.id, commentId, label, actor: "test" });
      decided.open();
      await release.opened;
    });
    return { decided, release, decision };
  }

  /**
   * Resolves "done" once `p` settles, or "blocked" once some backend of this database waits on a
   * lock (the other transaction is paused, so it is `p`'s), whichever comes first.
   */
  async function doneOrBlocked(p: Promise<unknown>): Promise<"done" | "blocked"> {
    let settled = false;
    void p.then(
      () => (settled = true),
      () => (settled = true),
    );
    for (const deadline = Date.now() + 5_000; Date.now() < deadline; ) {
      if (settled) return "done";
      const [row] = await h.deps.db.$client<{ n: number }[]>`
        SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`;
      if (row && row.n > 0) return "blocked";
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error("neither settled nor blocked within 5 s");
  }

  it("the trigger takes the assignment lock (key CAMPAIGN_LOCK_KEY) shared, at the decision's commit", async () => {
    const [fn] = await h.deps.db.$client<{ def: string }[]>`SELECT pg_get_functiondef('campaign_members_sync_label'::regproc) AS def`;
    expect(fn?.def).toContain(`pg_advisory_xact_lock_shared(${CAMPAIGN_LOCK_KEY})`);
    const [trigger] = await h.deps.db.$client<{ deferrable: boolean; deferred: boolean }[]>`
      SELECT tgdeferrable AS deferrable, tginitdeferred AS deferred FROM pg_trigger WHERE tgname = 'comments_learned_label_to_campaign_members'`;
    expect(trigger).toEqual({ deferrable: true, deferred: true });
  });

  it("a decision committing while an assignment inserts that member: the member gets the decision's label", async () => {
    const x = await post(a, SPAM[0], { fingerprinted: true });
    const y = await post(b, SPAM[0], { fingerprinted: true });
    const campaignId = randomUUID();
    const inserted = gate();
    const release = gate();
    // The assignment's own lock and INSERT (which copies comments.learned_label, null here), held open.
    const assignment = h.deps.db.transaction(async (tx) => {
      await lockCampaigns(tx);
      await writeCampaignAssignment(tx, { created: [campaignId], merged: [], members: [{ commentId: x.id, campaignId }, { commentId: y.id, campaignId }] }, [campaignId]);
      inserted.open();
      await release.opened;
    });
    let state: "done" | "blocked";
    try {
      await inserted.opened;
      const decision = recordDecision(h.deps.db, { siteId: a.id, commentId: x.id, label: "spam", actor: "test" });
      // Before 0015 the decision committed past the open assignment; now its commit waits for it.
      state = await doneOrBlocked(decision);
      release.open();
      await assignment;
      await decision;
    } finally {
      release.open();
    }
    expect(await label(x.id)).toBe("spam");
    expect(await label(y.id)).toBeNull();
    expect(state).toBe("blocked");
  });

  it("an assignment inserting a member while a decision on it is open: the decision's commit sets the label", async () => {
    const x = await post(a, SPAM[1], { fingerprinted: true });
    const y = await post(b, SPAM[1]);
    const { decided, release, decision } = openDecision(x.id, "ham");
    try {
      await decided.opened;
      // The real assignment: y's lookup finds x, both join a new campaign; x's label still reads null
      // (the decision has not committed), and the assignment does not wait for it.
      const assignment = assignCampaigns(h.deps.db, [y]);
      expect(await doneOrBlocked(assignment)).toBe("done");
      expect((await assignment).get(y.id)?.campaign?.size).toBe(2);
      expect(await label(x.id)).toBeNull();
      release.open();
      await decision;
    } finally {
      release.open();
    }
    expect(await label(x.id)).toBe("ham");
  });

  it("an assignment storing the fingerprint of a comment being decided does not wait for the decision (no deadlock)", async () => {
    // The API's intake leaves fingerprints to the scorer's assignment, whose INSERT's foreign-key
    // check locks the comment row FOR KEY SHARE. The deferred trigger reverted in session 4 deadlocked here: the
    // decision held that row FOR UPDATE, and its commit waited for the assignment's lock.
    const text = "Cheap luxury handbags direct from the factory, genuine leather, ninety percent off, free delivery from bags-outlet.example";
    const x = await post(a, text);
    const y = await post(b, text, { fingerprinted: true });
    const { decided, release, decision } = openDecision(x.id, "spam");
    let state: "done" | "blocked";
    try {
      await decided.opened;
      // As the scorer calls it: the signals go with the verdict, after the assignment's commit (that
      // row update does wait for the decision, outside the assignment lock).
      const assignment = assignCampaigns(h.deps.db, [x], undefined, new Date(), false);
      state = await doneOrBlocked(assignment);
      release.open();
      await Promise.all([decision, assignment]);
    } finally {
      release.open();
    }
    expect(state).toBe("done");
    expect(await label(x.id)).toBe("spam");
    expect(await label(y.id)).toBeNull();
  });

  it("a label change at REPEATABLE READ is refused at commit (its sync would read an older snapshot)", async () => {
    const x = await post(a, "A label changed by hand in a repeatable read transaction, which the trigger must refuse to sync");
    const change = h.deps.db.$client.begin("isolation level repeatable read", async (tx) => {
      await tx`UPDATE comments SET learned_label = 'spam' WHERE id = ${x.id}`;
    });
    await expect(change).rejects.toThrow(/READ COMMITTED/);
    expect((await findComment(h.deps.db, x.id))?.learnedLabel).toBeNull();
  });

  it("concurrent assignment batches, decisions and campaign decisions on the same comments: no deadlock, every label equal", async () => {
    const sites = [a, b];
    const texts = [
      (i: number) => `Work from home and earn five hundred dollars a day, copy ${i % 3}, just sign up at home-riches.example and start today`,
      (i: number) => `Best casino bonus of the year, three hundred free spins ${i % 2 === 0 ? "tonight" : "now"}, claim yours at spin-palace.example right away`,
    ];
    const recent: CommentRow[] = [];
    for (let i = 0; i < 6; i++) recent.push(await post(sites[i % 2]!, texts[i % 2]!(i)));
    await assignCampaigns(h.deps.db, recent);

    const errors: unknown[] = [];
    const until = Date.now() + 3_000;
    const counts = { assigned: 0, decided: 0, campaignDecided: 0, undone: 0 };
    const pick = () => recent[recent.length - 1 - Math.floor(Math.random() * Math.min(recent.length, 10))]!;
    const loop = async (step: (i: number) => Promise<void>) => {
      for (let i = 0; Date.now() < until; i++) {
        try {
          await step(i);
        } catch (err) {
          errors.push(err);
          return;
        }
      }
    };
    let n = recent.length;
    const assigner = async () => {
      const batch: CommentRow[] = [];
      for (let j = 0; j < 3; j++, n++) batch.push(await post(sites[n % 2]!, texts[n % 2]!(n)));
      recent.push(...batch);
      await assignCampaigns(h.deps.db, batch);
      counts.assigned += batch.length;
    };
    const decider = async (i: number) => {
      const c = pick();
      await recordDecision(h.deps.db, { siteId: c.siteId, commentId: c.id, label: (i + Math.floor(Math.random() * 2)) % 2 === 0 ? "spam" : "ham", actor: "test" });
      counts.decided++;
    };
    let lastAction: { campaignId: string; actionId: string } | undefined;
    const campaignDecider = async (i: number) => {
      const [row] = await h.deps.db.$client<{ campaign_id: string }[]>`
        SELECT campaign_id::text FROM campaign_members WHERE site_id = ${a.id} ORDER BY random() LIMIT 1`;
      if (!row) return;
      if (i % 3 === 2 && lastAction) {
        await undoCampaignAction(h.deps.db, { siteId: a.id, ...lastAction });
        counts.undone++;
        lastAction = undefined;
        return;
      }
      const out = await decideCampaign(h.deps.db, { siteId: a.id, campaignId: row.campaign_id, label: i % 2 === 0 ? "spam" : "ham", actor: "test" });
      if (out) lastAction = { campaignId: row.campaign_id, actionId: out.action.id };
      counts.campaignDecided++;
    };
    await Promise.all([loop(assigner), loop(assigner), loop(decider), loop(decider), loop(campaignDecider)]);
    expect(errors).toEqual([]);
    expect(counts.assigned).toBeGreaterThan(10);
    expect(counts.decided).toBeGreaterThan(10);
    expect(counts.campaignDecided).toBeGreaterThan(2);
    const stale = await h.deps.db.$client<{ comment_id: string }[]>`
      SELECT k.comment_id::text FROM campaign_members k JOIN comments c ON c.id = k.comment_id
      WHERE k.label IS DISTINCT FROM c.learned_label`;
    expect(stale).toEqual([]);
    const [members] = await h.deps.db.$client<{ n: number; labelled: number }[]>`
      SELECT count(*)::int AS n, count(label)::int AS labelled FROM campaign_members`;
    expect(members!.labelled).toBeGreaterThan(5);
    expect(members!.n).toBeGreaterThan(20);
  }, 20_000);
});
