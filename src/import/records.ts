/**
 * Files → labeled comments for `commentinel import`: the formats the eval reads (src/eval/data.ts)
 * and WordPress's wp_comments (src/import/wordpress.ts). Each record carries an externalId that
 * is the same on every run over the same file, which is what makes a rerun skip what it imported.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename, extname } from "node:path";
import type { Label } from "../classifier/index.js";
import { parseFile } from "../eval/data.js";
import { looksLikeWpCsv, parseWpCsv, parseWpSql, type WpRow } from "./wordpress.js";

export interface ImportRecord {
  /** Stable across runs: `wp:<comment_ID>` for WordPress, `<file>:<hash>` for the eval formats. */
  externalId: string;
  label: Label;
  content: string;
  thread: string;
  author?: { name?: string; email?: string; url?: string };
  ip?: string;
  userAgent?: string;
  /** When it was posted, if the file says: imported comments keep their own time (eval reads it). */
  createdAt?: Date;
  meta?: Record<string, unknown>;
}

export type ImportFormat = "wordpress-sql" | "wordpress-csv" | "csv" | "tsv" | "jsonl";

export interface ParsedImport {
  format: ImportFormat;
  records: ImportRecord[];
  /** Rows left out, by reason (a WordPress status other than 1/spam, empty content). */
  skipped: Record<string, number>;
}

/** Postgres text refuses NUL (FACTS.md); a dump may carry one as `\0`. */
const clean = (s: string | null | undefined): string | undefined => {
  if (s == null) return undefined;
  const v = s.replaceAll("\u0000", "");
  return v === "" ? undefined : v;
};

function wpDate(gmt: string | null | undefined, local: string | null | undefined): Date | undefined {
  for (const value of [gmt, local]) {
    // WordPress writes 0000-00-00 00:00:00 where it has no date.
    if (!value || value.startsWith("0000")) continue;
    const date = new Date(`${value.trim().replace(" ", "T")}Z`);
    if (!Number.isNaN(date.getTime())) return date;
  }
  return undefined;
}

/** comment_approved: `1` is ham, `spam` is spam; `0` (pending), `trash`, `post-trashed` are skipped. */
export function wpRecords(rows: readonly WpRow[]): { records: ImportRecord[]; skipped: Record<string, number> } {
  const records: ImportRecord[] = [];
  const skipped: Record<string, number> = {};
  const skip = (reason: string) => (skipped[reason] = (skipped[reason] ?? 0) + 1);
  for (const row of rows) {
    const approved = (row.comment_approved ?? "").trim();
    const label: Label | undefined = approved === "1" ? "ham" : approved === "spam" ? "spam" : undefined;
    if (!label) {
      skip(`comment_approved=${approved === "" ? "(empty)" : approved}`);
      continue;
    }
    const id = (row.comment_ID ?? "").trim();
    const content = clean(row.comment_content);
    if (!/^\d+$/.test(id)) {
      skip("no comment_ID");
      continue;
    }
    if (!content) {
      skip("empty content");
      continue;
    }
    const name = clean(row.comment_author);
    const email = clean(row.comment_author_email);
    const url = clean(row.comment_author_url);
    const createdAt = wpDate(row.comment_date_gmt, row.comment_date);
    records.push({
      externalId: `wp:${id}`,
      label,
      content,
      thread: `post-${(row.comment_post_ID ?? "0").trim()}`,
      ...(name || email || url ? { author: { ...(name ? { name } : {}), ...(email ? { email } : {}), ...(url ? { url } : {}) } } : {}),
      ...(clean(row.comment_author_IP) ? { ip: clean(row.comment_author_IP) } : {}),
      ...(clean(row.comment_agent) ? { userAgent: clean(row.comment_agent) } : {}),
      ...(createdAt ? { createdAt } : {}),
      meta: { wordpress: { postId: row.comment_post_ID, parent: row.comment_parent, type: row.comment_type || "comment", userId: row.user_id } },
    });
  }
  return { records, skipped };
}

/**
 * Reads one file. WordPress is recognised by a `.sql` name or an INSERT statement, or by a CSV
 * whose header names comment_approved (or a headerless one shaped like wp_comments); everything
 * else goes to the eval's reader (CSV with label/text columns, JSONL, `ham<TAB>text`).
 */
export function parseImport(content: string, name: string, options: { wpTable?: string } = {}): ParsedImport {
  const ext = extname(name).toLowerCase();
  if (ext === ".sql" || /^\s*(--|\/\*|INSERT\s|SET\s|CREATE\s|DROP\s|LOCK\s)/i.test(content.slice(0, 200))) {
    const { rows } = parseWpSql(content, options.wpTable === undefined ? {} : { table: options.wpTable });
    return { format: "wordpress-sql", ...wpRecords(rows) };
  }
  if (ext !== ".jsonl" && ext !== ".tsv" && looksLikeWpCsv(content)) return { format: "wordpress-csv", ...wpRecords(parseWpCsv(content)) };
  const source = basename(name);
  const examples = parseFile(content, name);
  const seen = new Map<string, number>();
  const records = examples.map((e): ImportRecord => {
    // The same row again in the same file is a second comment, not a rerun: number the repeats.
    const hash = createHash("sha256").update(`${e.author ?? ""}\u0000${e.date ?? ""}\u0000${e.text}`).digest("base64url").slice(0, 22);
    const nth = (seen.get(hash) ?? 0) + 1;
    seen.set(hash, nth);
    const createdAt = e.date ? new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(e.date) ? e.date : `${e.date}Z`) : undefined;
    return {
      externalId: `${source}:${hash}${nth > 1 ? `:${nth}` : ""}`,
      label: e.label,
      content: e.text.replaceAll("\u0000", ""),
      thread: source,
      ...(e.author ? { author: { name: e.author } } : {}),
      ...(createdAt && !Number.isNaN(createdAt.getTime()) ? { createdAt } : {}),
    };
  });
  const format: ImportFormat = ext === ".jsonl" || ext === ".ndjson" ? "jsonl" : ext === ".tsv" ? "tsv" : "csv";
  return { format, records: records.filter((r) => r.content.trim() !== ""), skipped: {} };
}

export function readImportFile(path: string, options: { wpTable?: string } = {}): ParsedImport {
  return parseImport(readFileSync(path, "utf8"), path, options);
}
