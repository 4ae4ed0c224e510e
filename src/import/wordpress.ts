/**
 * WordPress comment exports, read for `commentinel import`: the `wp_comments` table as phpMyAdmin
 * exports it to CSV, and as `wp db export` (mysqldump) writes it to SQL. Pure parsing: no I/O.
 * Columns: https://codex.wordpress.org/Database_Description#Table:_wp_comments
 */
import { parse } from "csv-parse/sync";

/** wp_comments' columns in table order: what a dump without a column list (mysqldump's default) holds. */
export const WP_COMMENT_COLUMNS = [
  "comment_ID",
  "comment_post_ID",
  "comment_author",
  "comment_author_email",
  "comment_author_url",
  "comment_author_IP",
  "comment_date",
  "comment_date_gmt",
  "comment_content",
  "comment_karma",
  "comment_approved",
  "comment_agent",
  "comment_type",
  "comment_parent",
  "user_id",
] as const;

/** One row of wp_comments, by column name; SQL NULL is null. */
export type WpRow = Record<string, string | null>;

function firstLineOf(content: string): string {
  const end = content.search(/\r?\n/);
  return end < 0 ? content : content.slice(0, end);
}

/** True when the text looks like a phpMyAdmin CSV export of wp_comments (with or without its header row). */
export function looksLikeWpCsv(content: string): boolean {
  const first = firstLineOf(content).replace(/^\uFEFF/, "");
  if (/(^|[,;"])comment_approved(["]?)([,;]|$)/i.test(first)) return true;
  // Headerless (phpMyAdmin's default): a numeric comment_ID, a numeric post id, then the author.
  return /^"?\d+"?[,;]"?\d+"?[,;]/.test(first);
}

/**
 * Rows of a phpMyAdmin CSV export: fields enclosed in `"`, quotes doubled (phpMyAdmin's defaults),
 * separated by `,` ("CSV") or `;` ("CSV for MS Excel"), the header row optional, NULL written
 * as `NULL`. Newlines inside quoted content are kept.
 */
export function parseWpCsv(content: string): WpRow[] {
  const firstLine = firstLineOf(content);
  const delimiter = (firstLine.match(/;/g)?.length ?? 0) > (firstLine.match(/,/g)?.length ?? 0) ? ";" : ",";
  const rows: string[][] = parse(content, { bom: true, delimiter, relax_column_count: true, skip_empty_lines: true });
  const head = rows[0];
  if (!head) return [];
  const hasHeader = head.some((h) => h.trim().toLowerCase() === "comment_approved");
  const columns = hasHeader ? head.map((h) => h.trim()) : [...WP_COMMENT_COLUMNS];
  return (hasHeader ? rows.slice(1) : rows).map((row) => rowOf(columns, row.map((v) => (v === "NULL" ? null : v))));
}

function rowOf(columns: readonly string[], values: readonly (string | null)[]): WpRow {
  const row: WpRow = {};
  // Column names are matched case-insensitively (comment_ID vs comment_id in hand-made exports).
  columns.forEach((c, i) => (row[canonical(c)] = values[i] ?? null));
  return row;
}

const CANONICAL = new Map(WP_COMMENT_COLUMNS.map((c) => [c.toLowerCase(), c]));
function canonical(column: string): string {
  return CANONICAL.get(column.toLowerCase()) ?? column;
}

/** The comments tables a dump inserts into (`wp_comments`, `wp_2_comments` on a multisite, …). */
export class SqlDumpError extends Error {}

/** MySQL's backslash escapes in string literals (https://dev.mysql.com/doc/refman/8.0/en/string-literals.html). */
const ESCAPES: Record<string, string> = { "0": "\u0000", b: "\b", n: "\n", r: "\r", t: "\t", Z: "\u001a" };

/**
 * Reads every `INSERT INTO <prefix>comments` of a MySQL dump (`wp db export`, mysqldump,
 * phpMyAdmin's SQL export): multi-row VALUES lists, with or without a column list, strings with
 * backslash escapes or doubled quotes, newlines inside strings, NULL, numbers. The rest of the dump
 * (other tables, comments, `/*!…*\/` directives) is skipped by a scanner that knows where strings
 * and comments begin and end, so SQL inside a post's text is never taken for a statement.
 * Not read: `INSERT … SELECT`, `SET`-style inserts, and hex or `_binary` literals (as written text).
 */
export function parseWpSql(content: string, options: { table?: string } = {}): { table: string | undefined; rows: WpRow[] } {
  const tables = new Map<string, WpRow[]>();
  let i = 0;
  const n = content.length;
  const fail = (message: string): never => {
    const line = content.slice(0, i).split("\n").length;
    throw new SqlDumpError(`line ${line}: ${message}`);
  };
  const skipSpace = () => {
    for (;;) {
      while (i < n && /\s/.test(content[i] ?? "")) i++;
      if (content.startsWith("--", i) || content[i] === "#") {
        const end = content.indexOf("\n", i);
        i = end < 0 ? n : end + 1;
      } else if (content.startsWith("/*", i)) {
        const end = content.indexOf("*/", i + 2);
        i = end < 0 ? n : end + 2;
      } else return;
    }
  };
  const readQuoted = (): string => {
    const quote = content[i];
    i++;
    let out = "";
    for (;;) {
      if (i >= n) fail("unterminated string");
      const ch = content[i] ?? "";
      if (ch === "\\" && quote !== "`") {
        const next = content[i + 1] ?? "";
        out += ESCAPES[next] ?? next;
        i += 2;
      } else if (ch === quote) {
        if (content[i + 1] === quote) {
          out += quote;
          i += 2;
        } else {
          i++;
          return out;
        }
      } else {
        // Copy the run up to the next quote or backslash at once: content is mostly plain text.
        let j = i + 1;
        while (j < n && content[j] !== quote && content[j] !== "\\") j++;
        out += content.slice(i, j);
        i = j;
      }
    }
  };
  const readIdentifier = (): string => {
    skipSpace();
    if (content[i] === "`" || content[i] === '"') return readQuoted();
    const m = /^[\w$.]+/.exec(content.slice(i, i + 256));
    if (!m) fail("expected a name");
    i += m?.[0].length ?? 0;
    return m?.[0] ?? "";
  };
  const readValue = (): string | null => {
    skipSpace();
    const ch = content[i];
    if (ch === "'" || ch === '"') return readQuoted();
    const m = /^[^,)\s]+/.exec(content.slice(i, i + 1024));
    if (!m) fail("expected a value");
    const word = m?.[0] ?? "";
    i += word.length;
    if (/^_\w+$/.test(word)) {
      // A charset introducer (_binary, _utf8mb4) before a string literal.
      skipSpace();
      if (content[i] === "'") return readQuoted();
    }
    return word.toUpperCase() === "NULL" ? null : word;
  };
  /** Skips to after the `;` that ends the current statement. */
  const skipStatement = () => {
    while (i < n) {
      const ch = content[i];
      if (ch === "'" || ch === '"' || ch === "`") readQuoted();
      else if (ch === ";") {
        i++;
        return;
      } else if (content.startsWith("--", i) || ch === "#" || content.startsWith("/*", i)) skipSpace();
      else i++;
    }
  };

  while (i < n) {
    skipSpace();
    if (i >= n) break;
    const head = /^INSERT\s+(?:IGNORE\s+)?INTO\s+/i.exec(content.slice(i, i + 64));
    if (!head) {
      skipStatement();
      continue;
    }
    i += head[0].length;
    const name = readIdentifier();
    const table = name.includes(".") ? name.slice(name.lastIndexOf(".") + 1) : name;
    if (!/comments$/i.test(table)) {
      skipStatement();
      continue;
    }
    skipSpace();
    let columns: string[] = [...WP_COMMENT_COLUMNS];
    if (content[i] === "(") {
      i++;
      columns = [];
      for (;;) {
        columns.push(readIdentifier());
        skipSpace();
        if (content[i] === ",") i++;
        else if (content[i] === ")") {
          i++;
          break;
        } else fail("expected , or ) in the column list");
      }
      skipSpace();
    }
    if (!/^VALUES?\b/i.test(content.slice(i, i + 7))) {
      skipStatement();
      continue;
    }
    i += /^VALUES?/i.exec(content.slice(i, i + 7))?.[0].length ?? 0;
    const rows = tables.get(table) ?? [];
    tables.set(table, rows);
    for (;;) {
      skipSpace();
      if (content[i] !== "(") fail("expected ( to start a row");
      i++;
      const values: (string | null)[] = [];
      for (;;) {
        values.push(readValue());
        skipSpace();
        if (content[i] === ",") i++;
        else if (content[i] === ")") {
          i++;
          break;
        } else fail("expected , or ) in a row");
      }
      rows.push(rowOf(columns, values));
      skipSpace();
      if (content[i] === ",") i++;
      else {
        // `;`, or the end of the file, or `ON DUPLICATE KEY …`: the rows are all read.
        skipStatement();
        break;
      }
    }
  }
  if (options.table !== undefined) {
    const rows = tables.get(options.table);
    if (!rows) throw new SqlDumpError(`no INSERT INTO \`${options.table}\` in the dump${tables.size ? ` (found ${[...tables.keys()].join(", ")})` : ""}`);
    return { table: options.table, rows };
  }
  if (tables.size > 1) throw new SqlDumpError(`the dump has several comments tables (${[...tables.keys()].join(", ")}): choose one with --wp-table`);
  const [only] = tables;
  return { table: only?.[0], rows: only?.[1] ?? [] };
}
