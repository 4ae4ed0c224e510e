/**
 * Campaign benchmark (`npm run bench -- campaigns`, issue 12): fingerprinting plus campaign lookup
 * per comment with BENCH_CAMPAIGN_STORED (1,000,000) comments already stored over the last 7 days,
 * and the quality of the clustering on a seeded synthetic corpus with planted campaigns:
 * - recall: of the planted near-duplicates (light rewordings of one text, same link domain with other
 *   paths, case, spacing, look-alike letters), the share that ends in its group's campaign;
 * - false clustering: of fresh distinct comments streamed alongside, the share put in any campaign;
 * - common short ham ("nice video!") streamed on many sites: the share put in a campaign.
 * Raw baseline in the same run: a primary-key SELECT per comment through the same pool.
 *
 * Environment: BENCH_DATABASE_URL (server; the bench recreates the database BENCH_CAMPAIGN_DB,
 * default commentinel_campaigns_bench, there and leaves it for inspection), BENCH_CAMPAIGN_REUSE=1
 * (keep a database already loaded with BENCH_CAMPAIGN_STORED comments: only the stream is redone,
 * for profiling without a 10-minute load), BENCH_CAMPAIGN_STORED,
 * BENCH_CAMPAIGN_GROUPS (400 planted campaigns), BENCH_CAMPAIGN_VARIANTS (8 copies each),
 * BENCH_CAMPAIGN_BATCH (50 comments per assignCampaigns call).
 */
import { randomUUID } from "node:crypto";
import os from "node:os";
import postgres from "postgres";
import { FINGERPRINT_VERSION, fingerprint } from "../src/classifier/index.js";
import { assignCampaigns, storeFingerprints } from "../src/comments/campaigns.js";
import { createDb } from "../src/db/client.js";
import { ensureDatabase, runMigrations } from "../src/db/migrate.js";
import { seededRandom } from "../src/eval/folds.js";

const SERVER = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const STORED = Number(process.env.BENCH_CAMPAIGN_STORED ?? 1_000_000);
const GROUPS = Number(process.env.BENCH_CAMPAIGN_GROUPS ?? 400);
const VARIANTS = Number(process.env.BENCH_CAMPAIGN_VARIANTS ?? 8);
const BATCH = Number(process.env.BENCH_CAMPAIGN_BATCH ?? 50);
const SITES = 20;
const DB_NAME = process.env.BENCH_CAMPAIGN_DB ?? "commentinel_campaigns_bench";
const REUSE = process.env.BENCH_CAMPAIGN_REUSE === "1";
const LOAD_CHUNK = 5000;

const SHORT_HAM = ["nice video!", "thanks!", "love this song", "first", "so good", "great job", "lol", "amazing ❤️", "who is here in 2015?", "wow"];
const POPULAR = ["youtube.com", "facebook.com", "wikipedia.org", "google.com", "twitter.com"];
/** Look-alike letters a spammer swaps in (Cyrillic). */
const LOOKALIKE: Record<string, string> = { a: "а", e: "е", o: "о", c: "с", p: "р" };

function vocabulary(random: () => number, size: number): string[] {
  const syllables = ["ka", "lo", "mi", "ren", "tos", "va", "di", "sel", "mar", "qu", "ni", "bel", "tor", "sa", "fi", "gru", "pe", "zon", "ha", "lu"];
  const words = new Set<string>();
  while (words.size < size) {
    let w = "";
    const n = 1 + Math.floor(random() * 3);
    for (let i = 0; i < n; i++) w += syllables[Math.floor(random() * syllables.length)];
    words.add(w);
  }
  return [...words];
}

function generator(seed: number) {
  const random = seededRandom(seed);
  const vocab = vocabulary(random, 5000);
  // Zipf-like: common words are common, as in real comments.
  const word = () => vocab[Math.floor(vocab.length * Math.pow(random(), 2.5))]!;
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const sentence = (min: number, max: number) => Array.from({ length: min + Math.floor(random() * (max - min + 1)) }, word).join(" ");
  return {
    random,
    pick,
    /** A distinct comment: 10% common short ham, 5% with a popular link, else 8–40 words. */
    distinct(): string {
      const r = random();
      if (r < 0.1) return pick(SHORT_HAM);
      const text = sentence(8, 40);
      if (r < 0.15) return `${text} https://www.${pick(POPULAR)}/watch?v=${Math.floor(random() * 1e9).toString(36)}`;
      return text;
    },
    campaignBase(i: number): string {
      return `${sentence(12, 30)} https://promo-${i}.example/${Math.floor(random() * 1e6)}`;
    },
    /** A light rewording: one or two words swapped or added, another link path, case, spacing, look-alikes. */
    variant(base: string): string {
      const words = base.split(" ");
      // About one edited word per 15: "lightly reworded".
      const edits = Math.max(1, Math.round(words.length / 15));
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(random() * (words.length - 1));
        if (random() < 0.5) words[at] = word();
        else words.splice(at, 0, word());
      }
      let text = words.join(random() < 0.3 ? "  " : " ").replace(/\/\d+$/, `/${Math.floor(random() * 1e6)}`);
      if (random() < 0.3) text = text.toUpperCase();
      if (random() < 0.3) text = text.replace(/[aeocp]/, (ch) => LOOKALIKE[ch] ?? ch);
      if (random() < 0.3) text += "!!!";
      return text;
    },
  };
}

interface Row {
  id: string;
  siteId: string;
  thread: string;
  content: string;
  createdAt: Date;
}

async function insertComments(sql: postgres.Sql, rows: readonly Row[]): Promise<void> {
  await sql.unsafe(
    `INSERT INTO comments (id, site_id, thread, content, status, created_at)
     SELECT id, site_id, thread, content, 'published', created_at
     FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, site_id uuid, thread text, content text, created_at timestamptz)`,
    [JSON.stringify(rows.map((r) => ({ id: r.id, site_id: r.siteId, thread: r.thread, content: r.content, created_at: r.createdAt.toISOString() })))],
  );
}

const ms = (x: number) => `${x.toFixed(3)} ms`;

export async function run(): Promise<void> {
  if (!/^[a-z0-9_]+$/.test(DB_NAME)) throw new Error("BENCH_CAMPAIGN_DB: lower-case letters, digits and _ only");
  const url = new URL(SERVER);
  url.pathname = `/${DB_NAME}`;
  const admin = postgres(SERVER, { max: 1, onnotice: () => {} });
  const [exists] = await admin<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_database WHERE datname = ${DB_NAME}`;
  let reuse = REUSE && (exists?.n ?? 0) > 0;
  if (reuse) {
    const probe = postgres(url.toString(), { max: 1, onnotice: () => {} });
    const [stored] = await probe<{ n: number }[]>`SELECT count(*)::int AS n FROM comments WHERE thread ~ '^t[0-9]+$'`.catch(() => [{ n: -1 }]);
    await probe.end();
    reuse = stored?.n === STORED;
  }
  if (!reuse) await admin.unsafe(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await admin.end();
  await ensureDatabase(url.toString());
  await runMigrations(url.toString());
  const { sql, db } = createDb(url.toString(), { max: 4 });
  const gen = generator(12);
  const sites: string[] = [];
  let now = new Date();
  let loadMs = 0;
  let fingerprintMs = 0;
  if (reuse) {
    // The stream of the last run goes; the stored corpus (threads t0…t4999) stays.
    await sql`DELETE FROM comments WHERE thread !~ '^t[0-9]+$'`;
    await sql`DELETE FROM campaigns`; // and their members (cascade)
    sites.push(...(await sql<{ id: string }[]>`SELECT id FROM sites WHERE name LIKE 'bench-%' ORDER BY name`).map((r) => r.id));
    const [latest] = await sql<{ at: Date }[]>`SELECT max(created_at) AS at FROM comment_fingerprints`;
    now = new Date(Math.max(now.getTime(), new Date(latest?.at ?? now).getTime() + 1000));
    await sql`VACUUM ANALYZE comment_fingerprints`;
  } else {
    for (let i = 0; i < SITES; i++) {
      const [row] = await sql<{ id: string }[]>`INSERT INTO sites (name, url) VALUES (${`bench-${String(i).padStart(2, "0")}`}, 'https://bench.example') RETURNING id`;
      sites.push(row!.id);
    }
    const within7Days = () => new Date(now.getTime() - 1000 - Math.floor(gen.random() * 6.9 * 86_400_000));

    // 1. The stored background: distinct comments over the last 7 days, fingerprinted as intake does.
    //    Indexes are built after the load, as a restore would.
    const indexes = await sql<{ indexname: string; indexdef: string }[]>`
      SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'comment_fingerprints' AND indexname <> 'comment_fingerprints_pkey'`;
    for (const ix of indexes) await sql.unsafe(`DROP INDEX ${ix.indexname}`);
    const loadStart = performance.now();
    for (let done = 0; done < STORED; done += LOAD_CHUNK) {
      const rows: Row[] = [];
      for (let i = 0; i < Math.min(LOAD_CHUNK, STORED - done); i++) {
        rows.push({ id: randomUUID(), siteId: gen.pick(sites), thread: `t${Math.floor(gen.random() * 5000)}`, content: gen.distinct(), createdAt: within7Days() });
      }
      await insertComments(sql, rows);
      const t = performance.now();
      await storeFingerprints(db, rows);
      fingerprintMs += performance.now() - t;
    }
    for (const ix of indexes) await sql.unsafe(ix.indexdef);
    await sql`VACUUM ANALYZE comment_fingerprints`;
    await sql`VACUUM ANALYZE comments`;
    loadMs = performance.now() - loadStart;
  }
  const [size] = await sql<{ table: string; indexes: string }[]>`
    SELECT pg_size_pretty(pg_table_size('comment_fingerprints')) AS table, pg_size_pretty(pg_indexes_size('comment_fingerprints')) AS indexes`;
  await sql`VACUUM ANALYZE campaign_members`;

  // 2. The stream: planted campaigns' copies, fresh distinct comments and common short ham, mixed.
  //    Its own seed, so a reused corpus gets the same stream as a fresh one.
  const sgen = generator(13);
  type Item = Row & { group?: number; kind: "planted" | "distinct" | "short" };
  const stream: Item[] = [];
  for (let g = 0; g < GROUPS; g++) {
    const base = sgen.campaignBase(g);
    for (let v = 0; v < VARIANTS; v++) {
      stream.push({ id: randomUUID(), siteId: sgen.pick(sites), thread: `c${g}-${v}`, content: v === 0 ? base : sgen.variant(base), createdAt: now, group: g, kind: "planted" });
    }
  }
  for (let i = 0; i < GROUPS * VARIANTS; i++) {
    stream.push({ id: randomUUID(), siteId: sgen.pick(sites), thread: `d${i}`, content: sgen.distinct(), createdAt: now, kind: "distinct" });
  }
  for (let i = 0; i < 1000; i++) stream.push({ id: randomUUID(), siteId: sgen.pick(sites), thread: `s${i}`, content: sgen.pick(SHORT_HAM), createdAt: now, kind: "short" });
  for (let i = stream.length - 1; i > 0; i--) {
    const j = Math.floor(sgen.random() * (i + 1));
    [stream[i], stream[j]] = [stream[j]!, stream[i]!];
  }
  stream.forEach((item, i) => (item.createdAt = new Date(now.getTime() + i)));

  // Raw baseline: one primary-key SELECT per comment, in batches of the same size.
  const probeIds = (await sql<{ comment_id: string }[]>`SELECT comment_id::text FROM comment_fingerprints LIMIT ${stream.length}`).map((r) => r.comment_id);
  const rawStart = performance.now();
  for (let i = 0; i < probeIds.length; i += BATCH) {
    await sql`SELECT comment_id, text_hash FROM comment_fingerprints WHERE comment_id = ANY (${probeIds.slice(i, i + BATCH)}::uuid[])`;
  }
  const rawPerComment = (performance.now() - rawStart) / probeIds.length;

  // Intake (not timed here: it is the comment insert plus one fingerprint insert), then the timed
  // scoring-side step: fingerprint + candidates + assignment + counts, BATCH comments per call. The
  // signals are not written here: the scorer writes them with the verdict, an update it makes anyway.
  let assignMs = 0;
  let singleMs = 0;
  let singles = 0;
  for (let i = 0; i < stream.length; i += BATCH) {
    const batch = stream.slice(i, i + BATCH);
    await insertComments(sql, batch);
    await storeFingerprints(db, batch);
    const t = performance.now();
    // Every tenth batch goes one comment per call, as today's worker does, to time that case too.
    if ((i / BATCH) % 10 === 9) {
      for (const c of batch) await assignCampaigns(db, [c], undefined, new Date(now.getTime() + stream.length), false);
      singleMs += performance.now() - t;
      singles += batch.length;
    } else {
      await assignCampaigns(db, batch, undefined, new Date(now.getTime() + stream.length), false);
      assignMs += performance.now() - t;
    }
  }
  const batched = stream.length - singles;

  // 3. Quality, from the stored assignment.
  const rows = await sql<{ comment_id: string; campaign_id: string | null }[]>`
    SELECT f.comment_id::text, k.campaign_id::text FROM comment_fingerprints f LEFT JOIN campaign_members k ON k.comment_id = f.comment_id
    WHERE f.comment_id = ANY (${stream.map((s) => s.id)}::uuid[])`;
  const campaignOf = new Map(rows.map((r) => [r.comment_id, r.campaign_id]));
  let recalled = 0;
  let planted = 0;
  for (let g = 0; g < GROUPS; g++) {
    const members = stream.filter((s) => s.group === g).map((s) => campaignOf.get(s.id) ?? null);
    const counts = new Map<string, number>();
    for (const m of members) if (m) counts.set(m, (counts.get(m) ?? 0) + 1);
    recalled += Math.max(0, ...counts.values());
    planted += members.length;
  }
  const plantedCampaigns = new Set(stream.filter((s) => s.kind === "planted").map((s) => campaignOf.get(s.id)).filter((x) => x));
  const distinct = stream.filter((s) => s.kind === "distinct");
  const falselyClustered = distinct.filter((s) => campaignOf.get(s.id)).length;
  const intoPlanted = distinct.filter((s) => plantedCampaigns.has(campaignOf.get(s.id) ?? "")).length;
  const shorts = stream.filter((s) => s.kind === "short");
  const shortClustered = shorts.filter((s) => campaignOf.get(s.id)).length;

  // Pure fingerprinting alone, on the stream's texts.
  const fpStart = performance.now();
  for (const s of stream) fingerprint(s.content);
  const fpPerComment = (performance.now() - fpStart) / stream.length;

  const lines = [
    `machine: ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}; fingerprint v${FINGERPRINT_VERSION}`,
    `stored: ${STORED.toLocaleString("en")} comments over 7 days on ${SITES} sites (load ${(loadMs / 1000).toFixed(0)} s, of which fingerprint inserts ${(fingerprintMs / 1000).toFixed(0)} s; comment_fingerprints ${size?.table}, its indexes ${size?.indexes})`,
    `stream: ${GROUPS} planted campaigns × ${VARIANTS} copies, ${distinct.length} distinct comments, ${shorts.length} common short ham, shuffled`,
    "",
    `| per comment | time |`,
    `|---|---|`,
    `| fingerprint (pure) | ${ms(fpPerComment)} |`,
    `| fingerprint + lookup + assignment, batches of ${BATCH} (${batched} comments) | ${ms(assignMs / batched)} |`,
    `| fingerprint + lookup + assignment, one per call (${singles} comments) | ${ms(singleMs / Math.max(1, singles))} |`,
    `| raw: primary-key SELECT, batches of ${BATCH} | ${ms(rawPerComment)} |`,
    "",
    `recall of planted near-duplicates: ${((100 * recalled) / planted).toFixed(2)} % (${recalled} of ${planted} in their group's campaign)`,
    `false clustering of distinct comments: ${((100 * falselyClustered) / distinct.length).toFixed(3)} % (${falselyClustered} of ${distinct.length}; ${intoPlanted} into a planted campaign)`,
    `common short ham clustered: ${shortClustered} of ${shorts.length}`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  await sql.end();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
