import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildProgram, helpListing } from "../src/cli/program.js";
import { hashKey } from "../src/comments/keys.js";
import { findSiteById } from "../src/db/queries/sites.js";
import { TEST_DATABASE_URL } from "./env.js";
import { freshDatabase, harness, removeSite, uniqueName, type Harness } from "./helpers.js";

/**
 * `commentinel <verb>` as an operator runs it: the real program (src/main.ts through tsx) in its
 * own process, against the test database through DATABASE_URL.
 */
const ROOT = path.resolve(import.meta.dirname, "..");
const FIXTURES = path.join(ROOT, "test", "fixtures");

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: TEST_DATABASE_URL, ...env };
  delete childEnv.LOG_LEVEL;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", ...args], { cwd: ROOT, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.once("error", reject);
    child.once("exit", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

const json = <T>(run: Run): T => {
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as T;
};

let h: Harness;
const created: string[] = [];

async function newSite(): Promise<{ id: string; name: string; apiKey: string }> {
  const name = uniqueName("cli-site");
  const out = json<{ site: { id: string; name: string }; apiKey: string }>(await cli(["sites", "create", "--name", name, "--url", "https://cli.example", "--json"]));
  created.push(out.site.id);
  return { id: out.site.id, name, apiKey: out.apiKey };
}

beforeAll(() => {
  h = harness();
});

afterAll(async () => {
  for (const id of created) await removeSite(h.deps, id);
  await h.close();
});

describe("commentinel sites, keys and settings", { timeout: 120_000 }, () => {
  it("sites create prints the keys once, and list and show find the site", async () => {
    const site = await newSite();
    const row = await findSiteById(h.deps.db, site.id);
    expect(row?.apiKeyHash).toBe(hashKey(site.apiKey));

    const list = json<{ sites: { id: string; name: string }[] }>(await cli(["sites", "list", "--json"]));
    expect(list.sites.find((s) => s.id === site.id)?.name).toBe(site.name);

    const show = await cli(["sites", "show", site.id]);
    expect(show.status, show.stderr).toBe(0);
    expect(show.stdout).toContain(`name      ${site.name}`);
    expect(show.stdout).toContain("keys      api active, moderator active");
    expect(show.stdout).toMatch(/^ {2}akismet\.unsureAnswer = "ham"$/m);
  });

  it("settings set then get round-trips and is stored on the site; a bad value exits 2 and stores nothing", async () => {
    const site = await newSite();
    const set = await cli(["settings", "set", site.id, "spamCutoff=0.95", "akismet.unsureAnswer=spam", "signals.minSubmitMs=3000"]);
    expect(set.status, set.stderr).toBe(0);
    expect(set.stdout).toBe('spamCutoff = 0.95\nakismet.unsureAnswer = "spam"\nsignals.minSubmitMs = 3000\n');

    const one = await cli(["settings", "get", site.id, "spamCutoff"]);
    expect(one.stdout).toBe("0.95\n");
    const all = json<Record<string, unknown>>(await cli(["settings", "get", site.id, "--json"]));
    expect(all).toMatchObject({ spamCutoff: 0.95, "akismet.unsureAnswer": "spam", "signals.minSubmitMs": 3000, "signals.honeypot": true });
    const row = await findSiteById(h.deps.db, site.id);
    expect(row?.spamCutoff).toBeCloseTo(0.95, 5);
    expect(row?.settings).toMatchObject({ akismet: { unsureAnswer: "spam" }, signals: { minSubmitMs: 3000 } });

    // hamCutoff above the stored spamCutoff breaks the same rule PATCH /v1/sites/:id enforces.
    const bad = await cli(["settings", "set", site.id, "signals.tooFast=false", "hamCutoff=0.97"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe("error: hamCutoff must not exceed spamCutoff\n");
    expect((await findSiteById(h.deps.db, site.id))?.settings).toMatchObject({ signals: { tooFast: true } });
  });

  it("keys rotate prints a new key that replaces the old one; revoke removes it", async () => {
    const site = await newSite();
    const rotated = await cli(["keys", "rotate", site.id, "api"]);
    expect(rotated.status, rotated.stderr).toBe(0);
    const key = rotated.stdout.trim();
    expect(key).not.toBe(site.apiKey);
    expect((await findSiteById(h.deps.db, site.id))?.apiKeyHash).toBe(hashKey(key));
    const revoked = await cli(["keys", "revoke", site.id, "moderator"]);
    expect(revoked.status, revoked.stderr).toBe(0);
    expect((await findSiteById(h.deps.db, site.id))?.moderatorKeyHash).toBeNull();
  });
});

describe("commentinel import and eval", { timeout: 180_000 }, () => {
  const files = [path.join(FIXTURES, "wp-comments.csv"), path.join(FIXTURES, "wp-comments.sql")];

  it("imports the WordPress fixtures as decisions that train the site, and a second run skips them all", async () => {
    const site = await newSite();
    const first = json<{ imported: number; skipped: number; byLabel: { spam: number; ham: number }; files: { format: string; skipped: Record<string, number> }[] }>(
      await cli(["import", ...files, "--site", site.id, "--json"]),
    );
    expect(first).toMatchObject({ imported: 9, skipped: 0, byLabel: { spam: 4, ham: 5 } });
    expect(first.files.map((f) => [f.format, f.skipped])).toEqual([
      ["wordpress-csv", { "comment_approved=0": 1, "comment_approved=trash": 1 }],
      ["wordpress-sql", { "comment_approved=0": 1 }],
    ]);

    const db = h.deps.db;
    const rows = await db.execute<{ external_id: string; status: string; source: string; content: string; author_name: string | null; created_at: Date; actor: string; label: string }>(sql`
      SELECT c.external_id, c.status, c.source, c.content, c.author_name, c.created_at, d.actor, d.label
      FROM comments c JOIN decisions d ON d.comment_id = c.id WHERE c.site_id = ${site.id} ORDER BY c.external_id COLLATE "C"`);
    expect(rows.map((r) => [r.external_id, r.label, r.status, r.actor, r.source])).toEqual([
      ["wp:1", "ham", "published", "import", "import"],
      ["wp:11", "ham", "published", "import", "import"],
      ["wp:12", "spam", "spam", "import", "import"],
      ["wp:14", "ham", "published", "import", "import"],
      ["wp:15", "spam", "spam", "import", "import"],
      ["wp:2", "ham", "published", "import", "import"],
      ["wp:3", "spam", "spam", "import", "import"],
      ["wp:4", "spam", "spam", "import", "import"],
      ["wp:7", "ham", "published", "import", "import"],
    ]);
    const byId = new Map(rows.map((r) => [r.external_id, r]));
    // Quoting, escapes and newlines as WordPress stored them.
    expect(byId.get("wp:11")).toMatchObject({ author_name: "O'Brien", content: "It's a \"great\" post;\nsecond line, with a comma) and a paren" });
    expect(byId.get("wp:14")?.content).toBe("Doubled '' quotes and a backslash \\ here and a unicode snowman ☃");
    expect(byId.get("wp:7")?.content).toBe("Multi\nline\nreply with a tab\tinside");
    expect(byId.get("wp:2")?.content).toContain('the part about "quoted" settings, commas, and semicolons;');
    // The comment keeps the time it was posted (comment_date_gmt).
    expect(new Date(byId.get("wp:3")?.created_at ?? 0).toISOString()).toBe("2024-01-06T02:12:00.000Z");

    // Learned into the site's scope, through the change log running processes follow.
    const [totals] = await db.execute<{ spam: number; ham: number }>(sql`SELECT spam, ham FROM scope_totals WHERE scope = ${site.id}`);
    expect(totals).toEqual({ spam: 4, ham: 5 });
    const [changes] = await db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM model_changes WHERE site_id = ${site.id} AND kind = 'learn'`);
    expect(changes?.n).toBe(9);

    const second = await cli(["import", ...files, "--site", site.id]);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/^imported 0 comments into .* \(spam 0, ham 0\)/);
    expect(second.stdout).toContain("skipped 9 already imported");
    const [after] = await db.execute<{ spam: number; ham: number }>(sql`SELECT spam, ham FROM scope_totals WHERE scope = ${site.id}`);
    expect(after).toEqual({ spam: 4, ham: 5 });
    // Without a terminal the progress goes to stderr as plain lines, not a bar.
    expect(second.stderr).toMatch(/^import: 9\/9 comments 100% [\d.]+\/s$/m);

    // eval: the first week (2024-01-03…) trains; the January weeks after it and February are tested.
    const report = json<{ comments: number; warmup: number; windows: { count: number }[]; metrics: { count: number } }>(await cli(["eval", "--site", site.id, "--json"]));
    expect(report.comments).toBe(9);
    expect(report.warmup).toBe(4);
    expect(report.windows.reduce((n, w) => n + w.count, 0)).toBe(5);
    expect(report.metrics.count).toBe(5);
  });

  it("imports the eval's formats (a YouTube-style CSV) and reruns skip them", async () => {
    const site = await newSite();
    const file = path.join(FIXTURES, "youtube-sample.csv");
    const first = json<{ imported: number; byLabel: { spam: number; ham: number } }>(await cli(["import", file, "--site", site.id, "--json"]));
    expect(first).toEqual(expect.objectContaining({ imported: 6, byLabel: { spam: 3, ham: 3 } }));
    const again = json<{ imported: number; skipped: number }>(await cli(["import", file, "--site", site.id, "--json"]));
    expect(again).toEqual(expect.objectContaining({ imported: 0, skipped: 6 }));
  });

  it("retrain shows its progress and rebuilds the counts", async () => {
    const fresh = await freshDatabase();
    try {
      const url = fresh.url;
      const created = json<{ site: { id: string } }>(await cli(["sites", "create", "--name", "r", "--url", "https://r.example", "--json"], { DATABASE_URL: url }));
      expect((await cli(["import", path.join(FIXTURES, "wp-comments.sql"), "--site", created.site.id], { DATABASE_URL: url })).status).toBe(0);
      const run = await cli(["retrain"], { DATABASE_URL: url });
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^retrained on 4 comments: 2 scopes, \d+ token rows, in [\d.]+ s\n$/);
      expect(run.stderr).toMatch(/^retrain: 4\/4 comments 100%/m);
    } finally {
      await fresh.drop();
    }
  });
});

describe("commentinel export, erase, purge and sites delete", { timeout: 180_000 }, () => {
  it("exports and erases one person, purges past the site's retention, and deletes the site only with its name", async () => {
    const site = await newSite();
    expect((await cli(["import", path.join(FIXTURES, "wp-comments.csv"), "--site", site.id])).status).toBe(0);
    const db = h.deps.db;
    const totals = async () => (await db.execute<{ spam: number; ham: number }>(sql`SELECT spam, ham FROM scope_totals WHERE scope = ${site.id}`))[0];
    expect(await totals()).toEqual({ spam: 2, ham: 3 });

    const exported = json<{ export: { matchedOn: string[]; comments: { externalId: string; content: string; decisions: { actor: string }[] }[] } }>(
      await cli(["export", "--site", site.id, "--email", "jane@example.org"]),
    );
    expect(exported.export.matchedOn).toEqual(["email"]);
    expect(exported.export.comments.map((c) => [c.externalId, c.decisions.map((d) => d.actor)])).toEqual([["wp:2", ["import"]]]);

    const erased = await cli(["erase", "--site", site.id, "--email", "jane@example.org"]);
    expect(erased.status, erased.stderr).toBe(0);
    expect(erased.stdout).toMatch(/^erased 1 comments and 1 decisions \(1 unlearned\); erasure [0-9a-f-]{36}\n$/);
    expect(await totals()).toEqual({ spam: 2, ham: 2 });
    const [erasure] = await db.execute<{ actor: string; comments: number }>(sql`SELECT actor, comments FROM erasures WHERE site_id = ${site.id}`);
    expect(erasure).toEqual({ actor: "cli", comments: 1 });

    // The fixtures' spam is from 2024: a one-day spam retention purges both.
    expect((await cli(["settings", "set", site.id, "retention.spamDays=1"])).status).toBe(0);
    const purged = await cli(["purge", "--site", site.id]);
    expect(purged.status, purged.stderr).toBe(0);
    expect(purged.stdout).toBe(`purged 2 comments of ${site.id} (2 unlearned first)\n`);
    expect(await totals()).toEqual({ spam: 0, ham: 2 });

    const wrong = await cli(["sites", "delete", site.id, "--confirm", "not its name"]);
    expect([wrong.status, wrong.stderr]).toEqual([2, "error: --confirm does not match the site's name; nothing was deleted.\n"]);
    expect(await findSiteById(db, site.id)).toBeDefined();
    const deleted = await cli(["sites", "delete", site.id, "--confirm", site.name]);
    expect(deleted.status, deleted.stderr).toBe(0);
    expect(deleted.stdout).toBe(`deleted site ${site.id}: 2 comments, 2 decisions, unlearned from the global scope\n`);
    expect(await findSiteById(db, site.id)).toBeUndefined();
    created.splice(created.indexOf(site.id), 1);
  });
});

describe("commentinel arguments and help", { timeout: 120_000 }, () => {
  it("bad arguments print one line and exit 2", async () => {
    const cases: [string[], RegExp][] = [
      [["bogus"], /^error: unknown verb 'bogus'/],
      [["sites", "show", "not-a-uuid"], /^error: .*a site id is a UUID/],
      [["import", "x.csv"], /^error: required option '--site <site>' not specified$/],
      [["settings", "set", "00000000-0000-4000-8000-000000000000", "nonsense"], /^error: expected KEY=VALUE, got "nonsense"\.$/],
      [["keys", "rotate", "00000000-0000-4000-8000-000000000000", "admin"], /^error: .*one of api, moderator\.$/],
      [["import", "--site", "00000000-0000-4000-8000-000000000000", "missing-file.csv"], /^error: cannot read missing-file\.csv: ENOENT\.$/],
      [["erase", "--site", "00000000-0000-4000-8000-000000000000"], /^error: give at least one of --email, --url or --ip\.$/],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli(args)));
    runs.forEach((run, i) => {
      const [args, pattern] = cases[i] ?? [[], /$^/];
      expect(run.status, args.join(" ")).toBe(2);
      expect(run.stderr.trimEnd().split("\n"), args.join(" ")).toHaveLength(1);
      expect(run.stderr.trimEnd(), args.join(" ")).toMatch(pattern);
      expect(run.stdout).toBe("");
    });
    // A well-formed id of no site is a failure (1), not a usage error.
    const missing = await cli(["sites", "show", "00000000-0000-4000-8000-000000000000"]);
    expect([missing.status, missing.stderr]).toEqual([1, "error: no site 00000000-0000-4000-8000-000000000000 (see `commentinel sites list`).\n"]);
  });

  it("--help works on each verb, and the README's listing is the program's own", async () => {
    const [top, importHelp] = await Promise.all([cli(["--help"]), cli(["import", "--help"])]);
    expect(top.status).toBe(0);
    expect(importHelp.status).toBe(0);
    expect(importHelp.stdout).toContain("--site <site>");
    expect(importHelp.stdout).toContain("comment_approved 1 is ham");

    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    const block = /<!-- cli-help:start -->\n```text\n([\s\S]*?)```\n<!-- cli-help:end -->/.exec(readme)?.[1];
    const listing = helpListing(buildProgram(() => Promise.resolve(0)));
    // Regenerate with `npm run docs:cli` after changing a verb.
    expect(block).toBe(listing);
    // And the in-process help is what the real program prints.
    expect(listing.startsWith(`$ commentinel --help\n${top.stdout.trimEnd()}\n`)).toBe(true);
    expect(listing).toContain(`$ commentinel import --help\n${importHelp.stdout.trimEnd()}\n`);
  });
});
