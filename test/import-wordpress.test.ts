import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseImport } from "../src/import/records.js";
import { SqlDumpError, parseWpCsv, parseWpSql } from "../src/import/wordpress.js";

const FIXTURES = path.resolve(import.meta.dirname, "fixtures");

describe("reading wp_comments from a SQL dump", () => {
  it("reads the fixture's multi-row INSERTs with escapes and newlines, and not the SQL quoted in a post", () => {
    const { table, rows } = parseWpSql(readFileSync(path.join(FIXTURES, "wp-comments.sql"), "utf8"));
    expect(table).toBe("wp_comments");
    expect(rows.map((r) => r.comment_ID)).toEqual(["11", "12", "13", "14", "15"]);
    expect(rows[0]).toMatchObject({ comment_author: "O'Brien", comment_author_IP: "2001:db8::1", comment_content: 'It\'s a "great" post;\nsecond line, with a comma) and a paren', comment_approved: "1" });
    expect(rows[1]?.comment_content).toBe("cheap replica watches -- best deal /* not a comment */ http://spam.example");
    expect(rows[3]?.comment_content).toBe("Doubled '' quotes and a backslash \\ here and a unicode snowman ☃");
  });

  it("takes a column list in any order, doubled quotes, NULL, a _binary introducer and ON DUPLICATE KEY", () => {
    const dump = [
      "INSERT IGNORE INTO `blog_comments` (`comment_approved`, `comment_content`, `comment_ID`, `comment_author_url`) VALUES",
      "('spam', 'it''s spam\\r\\nreally', 5, NULL), ('1', _binary 'binary ok', 6, 'https://x.example')",
      "ON DUPLICATE KEY UPDATE comment_content = VALUES(comment_content);",
    ].join("\n");
    const { table, rows } = parseWpSql(dump);
    expect(table).toBe("blog_comments");
    expect(rows).toEqual([
      { comment_approved: "spam", comment_content: "it's spam\r\nreally", comment_ID: "5", comment_author_url: null },
      { comment_approved: "1", comment_content: "binary ok", comment_ID: "6", comment_author_url: "https://x.example" },
    ]);
  });

  it("asks which table to read when a multisite dump has several, and says where a dump is broken", () => {
    const two = "INSERT INTO `wp_comments` VALUES (1,1,'a','','','','','','x',0,'1','','',0,0);\nINSERT INTO `wp_2_comments` VALUES (1,1,'b','','','','','','y',0,'spam','','',0,0);";
    expect(() => parseWpSql(two)).toThrow(/several comments tables \(wp_comments, wp_2_comments\): choose one with --wp-table/);
    expect(parseWpSql(two, { table: "wp_2_comments" }).rows.map((r) => r.comment_content)).toEqual(["y"]);
    expect(() => parseWpSql(two, { table: "wp_3_comments" })).toThrow(/no INSERT INTO `wp_3_comments`/);
    expect(() => parseWpSql("-- dump\n\nINSERT INTO `wp_comments` VALUES (1,'never closed")).toThrow(SqlDumpError);
    expect(() => parseWpSql("-- dump\n\nINSERT INTO `wp_comments` VALUES (1,'never closed")).toThrow(/^line 3: unterminated string$/);
  });
});

describe("reading wp_comments from a phpMyAdmin CSV", () => {
  it("reads a headerless export in table order, and one separated by semicolons", () => {
    const headerless = '"9","2","Kim","kim@example.com","","192.0.2.1","2024-03-01 10:00:00","2024-03-01 09:00:00","hello, ""world""\nbye","0","1","UA","comment","0","0"\n';
    expect(parseWpCsv(headerless)).toEqual([
      expect.objectContaining({ comment_ID: "9", comment_post_ID: "2", comment_content: 'hello, "world"\nbye', comment_approved: "1", user_id: "0" }),
    ]);
    const excel = '"comment_ID";"comment_content";"comment_approved"\n"3";"a; b, c";"spam"\n';
    expect(parseWpCsv(excel)).toEqual([{ comment_ID: "3", comment_content: "a; b, c", comment_approved: "spam" }]);
  });

  it("labels 1 as ham and spam as spam, counts the rest, and gives each row a stable externalId", () => {
    const parsed = parseImport(readFileSync(path.join(FIXTURES, "wp-comments.csv"), "utf8"), "wp-comments.csv");
    expect(parsed.format).toBe("wordpress-csv");
    expect(parsed.records.map((r) => [r.externalId, r.label])).toEqual([
      ["wp:1", "ham"],
      ["wp:2", "ham"],
      ["wp:3", "spam"],
      ["wp:4", "spam"],
      ["wp:7", "ham"],
    ]);
    expect(parsed.skipped).toEqual({ "comment_approved=0": 1, "comment_approved=trash": 1 });
    // No comment_date_gmt (0000-00-00): the local date stands in.
    expect(parsed.records.at(-1)?.createdAt?.toISOString()).toBe("2024-01-10T09:15:00.000Z");
  });
});

describe("reading the eval's formats for import", () => {
  it("numbers exact repeats within a file instead of merging them, so reruns still match", () => {
    const jsonl = ['{"label":"spam","text":"buy now"}', '{"label":"spam","text":"buy now"}', '{"label":"ham","text":"nice"}'].join("\n");
    const a = parseImport(jsonl, "/tmp/x/s.jsonl");
    expect(a.records.map((r) => r.externalId.split(":").length)).toEqual([2, 3, 2]);
    expect(new Set(a.records.map((r) => r.externalId)).size).toBe(3);
    expect(parseImport(jsonl, "/elsewhere/s.jsonl").records.map((r) => r.externalId)).toEqual(a.records.map((r) => r.externalId));
  });
});
