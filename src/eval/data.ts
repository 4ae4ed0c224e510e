import { readFileSync, readdirSync, statSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { parse } from "csv-parse/sync";
import type { Label } from "../classifier/index.js";

/** One labeled comment from an evaluation file. */
export interface Example {
  text: string;
  label: Label;
  /** The file it came from (basename): used as the site scope and for leave-one-file-out runs. */
  source: string;
  author?: string;
  /**
   * When the comment was posted (the CSV's DATE column, ISO 8601), only to put a stream in time
   * order (`--online`); never a feature: in one YouTube file it gives the label away.
   */
  date?: string;
}

const DATA_EXTENSIONS = new Set([".csv", ".tsv", ".txt", ".jsonl", ".ndjson", ".json"]);

/** Maps the label spellings found in public spam sets to ours; undefined for anything else. */
export function parseLabel(raw: unknown): Label | undefined {
  const value = String(raw).trim().toLowerCase();
  if (["spam", "1", "true", "yes", "junk"].includes(value)) return "spam";
  if (["ham", "0", "false", "no", "legit", "legitimate", "not spam", "not_spam"].includes(value)) return "ham";
  return undefined;
}

const LABEL_COLUMNS = ["class", "label", "tag", "category", "spam", "is_spam", "v1", "type"];
const TEXT_COLUMNS = ["content", "text", "comment", "message", "body", "comment_content", "v2", "sms"];

function pickColumn(header: string[], names: string[]): number {
  const lower = header.map((h) => h.trim().toLowerCase());
  for (const name of names) {
    const index = lower.indexOf(name);
    if (index >= 0) return index;
  }
  return -1;
}

/**
 * A CSV with a header naming a label column and a text column (the YouTube files' `CLASS` and
 * `CONTENT` included). Only those columns, and `AUTHOR` when present, are read: the YouTube README
 * warns that `DATE` gives the label away in one file.
 */
export function parseCsv(content: string, source: string): Example[] {
  const rows: string[][] = parse(content, { bom: true, relax_column_count: true, skip_empty_lines: true });
  const header = rows[0];
  if (!header) return [];
  const labelAt = pickColumn(header, LABEL_COLUMNS);
  const textAt = pickColumn(header, TEXT_COLUMNS);
  if (labelAt < 0 || textAt < 0) {
    throw new Error(`${source}: the CSV header needs a label column (${LABEL_COLUMNS.join("/")}) and a text column (${TEXT_COLUMNS.join("/")})`);
  }
  const authorAt = pickColumn(header, ["author", "author_name", "comment_author"]);
  const dateAt = pickColumn(header, ["date", "comment_date", "timestamp"]);
  const out: Example[] = [];
  for (const row of rows.slice(1)) {
    const label = parseLabel(row[labelAt]);
    const text = row[textAt];
    if (label === undefined || text === undefined) continue;
    const author = authorAt >= 0 ? row[authorAt] : undefined;
    const date = dateAt >= 0 ? row[dateAt]?.trim() : undefined;
    out.push({ text, label, source, ...(author === undefined ? {} : { author }), ...(date ? { date } : {}) });
  }
  return out;
}

/** JSON Lines: `{"label": "spam"|"ham", "text": "…"}` per line. */
export function parseJsonl(content: string, source: string): Example[] {
  const out: Example[] = [];
  for (const [index, line] of content.split(/\r?\n/).entries()) {
    if (line.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new Error(`${source}:${index + 1}: not JSON`);
    }
    if (typeof value !== "object" || value === null) continue;
    const record = value as Record<string, unknown>;
    const label = parseLabel(record.label);
    const text = record.text ?? record.content;
    if (label === undefined || typeof text !== "string") continue;
    out.push({ text, label, source });
  }
  return out;
}

/** SMS Spam Collection style: `ham<TAB>text` lines. */
export function parseTsv(content: string, source: string): Example[] {
  const out: Example[] = [];
  for (const line of content.split(/\r?\n/)) {
    const tab = line.indexOf("\t");
    if (tab < 0) continue;
    const label = parseLabel(line.slice(0, tab));
    if (label === undefined) continue;
    out.push({ text: line.slice(tab + 1), label, source });
  }
  return out;
}

/** Parses one file, choosing the format from its extension and, for .txt/.json, its first line. */
export function parseFile(content: string, name: string): Example[] {
  const source = basename(name);
  const ext = extname(name).toLowerCase();
  const firstLine = content.slice(0, content.indexOf("\n") >= 0 ? content.indexOf("\n") : undefined).trim();
  if (ext === ".jsonl" || ext === ".ndjson" || (ext !== ".csv" && firstLine.startsWith("{"))) return parseJsonl(content, source);
  if (ext === ".tsv" || (ext !== ".csv" && /^(ham|spam)\t/i.test(firstLine))) return parseTsv(content, source);
  return parseCsv(content, source);
}

/** Reads files and folders (a folder means all its data files, sorted by name). */
export function loadExamples(paths: readonly string[]): Example[] {
  const out: Example[] = [];
  for (const path of paths) {
    if (statSync(path).isDirectory()) {
      const files = readdirSync(path)
        .filter((f) => !f.startsWith(".") && DATA_EXTENSIONS.has(extname(f).toLowerCase()))
        .sort();
      for (const file of files) out.push(...parseFile(readFileSync(join(path, file), "utf8"), file));
    } else {
      out.push(...parseFile(readFileSync(path, "utf8"), path));
    }
  }
  return out;
}

/**
 * Drops exact repeats of an earlier text (keeping the first), so that no text sits in both a
 * training and a test fold. Returns how many were dropped and how many repeats had another label.
 */
export function dedupe(examples: readonly Example[]): { examples: Example[]; dropped: number; conflicts: number } {
  const seen = new Map<string, Label>();
  const out: Example[] = [];
  let conflicts = 0;
  for (const example of examples) {
    const earlier = seen.get(example.text);
    if (earlier !== undefined) {
      if (earlier !== example.label) conflicts++;
      continue;
    }
    seen.set(example.text, example.label);
    out.push(example);
  }
  return { examples: out, dropped: examples.length - out.length, conflicts };
}
