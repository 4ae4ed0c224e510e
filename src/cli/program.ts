/**
 * `commentinel <verb>`: the service's roles and the operator verbs, one program (commander).
 * Verbs call the domain layer (src/comments) against the database directly, never the HTTP API.
 * Exit codes: 0 done, 1 failed (no such site, a file that does not parse, database down),
 * 2 bad arguments (one line on stderr).
 */
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { extname, join } from "node:path";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { z } from "zod";
import { importRecords } from "../comments/import.js";
import { retrain } from "../comments/retrain.js";
import { InvalidSettingsError, KEY_KINDS, createSite, effectiveSettings, findSite, listSites, revokeSiteKey, rotateSiteKey, setSettings, type KeyKind } from "../comments/site-admin.js";
import { evaluateSite, type SiteEvalReport } from "../comments/site-eval.js";
import { erasePerson, exportPerson, type PersonMatch } from "../comments/privacy.js";
import { purgeAll, purgeSite } from "../comments/retention.js";
import { ConfirmMismatchError, SiteNotFoundError, deleteSite } from "../comments/sites.js";
import { ConfigError } from "../config.js";
import type { Db } from "../db/client.js";
import type { SiteRow } from "../db/schema.js";
import { adminSiteView } from "../http/views.js";
import { parseImport, type ParsedImport } from "../import/records.js";
import { withDatabase } from "./context.js";
import { createProgress } from "./progress.js";

/** What the server roles run (src/main.ts): resolves to the exit code once the role stops. */
export type Serve = (role: "api" | "worker" | "all" | "migrate") => Promise<number>;

/** A failure the operator can act on: printed as one line, no stack. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}

const usage = (message: string) => new CliError(message, 2);

/** The same width everywhere, so the README's listing matches every terminal's `--help`. */
const HELP_WIDTH = 100;

const siteIdArg = (value: string): string => {
  if (!z.uuid().safeParse(value).success) throw new InvalidArgumentError("a site id is a UUID (see `commentinel sites list`).");
  return value;
};

const keyKindArg = (value: string): KeyKind => {
  if (!(KEY_KINDS as readonly string[]).includes(value)) throw new InvalidArgumentError(`one of ${KEY_KINDS.join(", ")}.`);
  return value as KeyKind;
};

const positiveInt = (max: number) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`a whole number from 1 to ${max}.`);
  return n;
};

const siteName = z.string().trim().min(1, "must not be empty").max(200, "at most 200 characters").refine((s) => !s.includes("\u0000"), "must not contain NUL");
const siteUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).max(2000);

async function siteOrFail(db: Db, id: string): Promise<SiteRow> {
  const site = await findSite(db, id);
  if (!site) throw new CliError(`no site ${id} (see \`commentinel sites list\`).`);
  return site;
}

const print = (text: string): void => void process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
const printJson = (value: unknown): void => print(JSON.stringify(value, null, 2));
const note = (text: string): void => void process.stderr.write(`${text}\n`);

function table(rows: readonly string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join("  ")).join("\n");
}

function describeSite(site: SiteRow): string {
  const view = adminSiteView(site);
  const settings = effectiveSettings(site);
  return [
    `id        ${view.id}`,
    `name      ${view.name}`,
    `url       ${view.url}`,
    `keys      api ${view.keys.api}, moderator ${view.keys.moderator}`,
    `created   ${view.createdAt}`,
    `settings`,
    ...Object.entries(settings).map(([k, v]) => `  ${k} = ${JSON.stringify(v)}`),
  ].join("\n");
}

/** `KEY=VALUE`: the value is JSON when it parses (numbers, true/false, null), else the text itself. */
function parseAssignment(raw: string): [string, unknown] {
  const eq = raw.indexOf("=");
  if (eq <= 0) throw usage(`expected KEY=VALUE, got "${raw}".`);
  const key = raw.slice(0, eq).trim();
  const text = raw.slice(eq + 1);
  try {
    return [key, JSON.parse(text)];
  } catch {
    return [key, text];
  }
}

function formatEval(r: SiteEvalReport): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const lines = [`site ${r.siteId}: ${r.comments} decided comments, windows of ${r.windowDays} days; the first window (${r.warmup}) only trains`];
  if (r.windows.length === 0 || !r.metrics) {
    lines.push(`no comment after the first window: nothing to test yet (decisions span less than ${r.windowDays} days).`);
    return lines.join("\n");
  }
  lines.push(
    "",
    table([
      ["window from", "trained", "tested", "spam", "ham", "spam caught", "blocked ham", "held"],
      ...r.windows.map((w) => [w.from.slice(0, 10), String(w.trainedOn), String(w.count), String(w.spam), String(w.ham), pct(w.spamCaught), pct(w.blockedHam), pct(w.held)]),
    ]),
  );
  const m = r.metrics;
  const tw = m.threeWay;
  lines.push(
    "",
    `overall (${m.count} tested: ${m.spam} spam, ${m.ham} ham)`,
    `  auc ${m.auc.toFixed(4)}  accuracy ${pct(m.accuracy)}  precision ${pct(m.precision)}  recall ${pct(m.recall)}  f1 ${m.f1.toFixed(3)}  mcc ${m.mcc.toFixed(3)}`,
    ...(tw
      ? [
          `  three-way at the site's cutoffs: spam → spam ${pct(tw.spam.spam)}, unsure ${pct(tw.spam.unsure)}, ham ${pct(tw.spam.ham)}; ham → ham ${pct(tw.ham.ham)}, unsure ${pct(tw.ham.unsure)}, spam ${pct(tw.ham.spam)} (blocked ham)`,
        ]
      : []),
  );
  return lines.join("\n");
}

const IMPORT_EXTENSIONS = new Set([".sql", ".csv", ".tsv", ".txt", ".jsonl", ".ndjson", ".json"]);

/** Files as named; a folder means its data files, sorted by name (as the eval reads them). */
function expandInputs(paths: readonly string[]): string[] {
  return paths.flatMap((p) => {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(p).isDirectory();
    } catch (err) {
      throw usage(`cannot read ${p}: ${(err as NodeJS.ErrnoException).code ?? String(err)}.`);
    }
    if (!isDirectory) return [p];
    const files = readdirSync(p).filter((f) => !f.startsWith(".") && IMPORT_EXTENSIONS.has(extname(f).toLowerCase())).sort();
    if (files.length === 0) throw usage(`${p} has no data files (${[...IMPORT_EXTENSIONS].join(" ")}).`);
    return files.map((f) => join(p, f));
  });
}

function readImports(paths: readonly string[], wpTable: string | undefined): { file: string; parsed: ParsedImport }[] {
  return expandInputs(paths).map((file) => {
    let content: string;
    try {
      content = readFileSync(file, "utf8");
    } catch (err) {
      throw usage(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}.`);
    }
    try {
      return { file, parsed: parseImport(content, file, wpTable === undefined ? {} : { wpTable }) };
    } catch (err) {
      throw new CliError(`${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
}

/** The program, with every verb. `serve` runs the server roles (main.ts passes its own). */
export function buildProgram(serve: Serve): Command {
  const program = new Command("commentinel")
    .description("Self-hosted spam filter for website comments: the service's roles and the operator verbs.")
    .usage("[verb] [options]")
    .addHelpText(
      "after",
      `
Every verb uses DATABASE_URL, or without it the embedded Postgres in DATA_DIR (the running
\`npm start\`'s if there is one). Exit codes: 0 done, 1 failed, 2 bad arguments.
Run \`commentinel <verb> --help\` for a verb's options.`,
    );
  // Inherited by every command added below.
  program
    .exitOverride()
    .configureHelp({ helpWidth: HELP_WIDTH, sortSubcommands: false })
    .showSuggestionAfterError(true)
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  const role = (name: "api" | "worker" | "all" | "migrate", description: string, isDefault = false) =>
    program
      .command(name, { isDefault })
      .description(description)
      .action(async () => {
        process.exitCode = await serve(name);
      });
  role("all", "API and worker in one process (default; migrates first)", true);
  role("api", "HTTP API only (needs DATABASE_URL)");
  role("worker", "scoring worker, webhook deliveries, retention purge and their sweeps only (needs DATABASE_URL)");
  role("migrate", "apply database migrations and exit");

  program
    .command("retrain")
    .description("rebuild the model's counts from all stored decisions, with progress")
    .action(() =>
      withDatabase("retrain", async ({ db }) => {
        const progress = createProgress("retrain");
        const started = performance.now();
        const out = await retrain(db, { onProgress: (done, total) => progress.update(done, total) }).finally(() => progress.stop());
        print(`retrained on ${out.comments} comments: ${out.scopes} scopes, ${out.tokenRows} token rows, in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      }),
    );

  const sites = program.command("sites").description("create, list, show and delete sites");
  sites
    .command("create")
    .description("create a site and print its API key and moderator key (shown once)")
    .requiredOption("--name <name>", "the site's name")
    .requiredOption("--url <url>", "the site's address (http or https)")
    .option("--json", "print the API's JSON ({ site, apiKey, moderatorKey })")
    .action((opts: { name: string; url: string; json?: boolean }) => {
      const name = siteName.safeParse(opts.name);
      if (!name.success) throw usage(`--name ${name.error.issues[0]?.message ?? "is invalid"}.`);
      const url = siteUrl.safeParse(opts.url);
      if (!url.success) throw usage(`--url ${url.error.issues[0]?.message ?? "is invalid"}.`);
      return withDatabase("sites create", async ({ db }) => {
        const { site, apiKey, moderatorKey } = await createSite(db, { name: name.data, url: url.data });
        if (opts.json) return printJson({ site: adminSiteView(site), apiKey, moderatorKey });
        print(`site ${site.id} (${site.name})\napi key        ${apiKey}\nmoderator key  ${moderatorKey}`);
        note("The keys are shown once: only their hashes are stored.");
      });
    });
  sites
    .command("list")
    .description("list every site, newest first")
    .option("--json", "print the API's JSON ({ sites })")
    .action((opts: { json?: boolean }) =>
      withDatabase("sites list", async ({ db }) => {
        const rows = await listSites(db);
        if (opts.json) return printJson({ sites: rows.map(adminSiteView) });
        if (rows.length === 0) return print("no sites yet: `commentinel sites create --name NAME --url URL`");
        print(table([["id", "name", "url", "keys", "created"], ...rows.map((s) => [s.id, s.name, s.url, `api ${s.apiKeyHash ? "active" : "revoked"}, moderator ${s.moderatorKeyHash ? "active" : "revoked"}`, s.createdAt.toISOString()])]));
      }),
    );
  sites
    .command("show")
    .description("show a site and its effective settings")
    .argument("<site>", "site id", siteIdArg)
    .option("--json", "print the API's JSON ({ site })")
    .action((id: string, opts: { json?: boolean }) =>
      withDatabase("sites show", async ({ db }) => {
        const site = await siteOrFail(db, id);
        print(opts.json ? JSON.stringify({ site: adminSiteView(site) }, null, 2) : describeSite(site));
      }),
    );

  sites
    .command("delete")
    .description("delete a site: its comments, decisions, keys and counts, and what it taught the global scope")
    .argument("<site>", "site id", siteIdArg)
    .requiredOption("--confirm <name>", "the site's exact name (nothing is deleted otherwise)")
    .action((id: string, opts: { confirm: string }) =>
      withDatabase("sites delete", async ({ db }) => {
        const site = await siteOrFail(db, id);
        if (site.name !== opts.confirm) throw usage("--confirm does not match the site's name; nothing was deleted.");
        const progress = createProgress("delete");
        try {
          const out = await deleteSite(db, id, opts.confirm, { actor: "cli", onProgress: (done) => progress.update(done, done) }).finally(() => progress.stop());
          print(`deleted site ${id}: ${out.comments} comments, ${out.decisions} decisions, unlearned from the global scope`);
        } catch (err) {
          if (err instanceof ConfirmMismatchError) throw usage("--confirm does not match the site's name; nothing was deleted.");
          if (err instanceof SiteNotFoundError) throw new CliError(`no site ${id}.`);
          throw err;
        }
      }),
    );

  const keys = program.command("keys").description("rotate or revoke a site's keys");
  keys
    .command("rotate")
    .description("replace a key; prints the new key (shown once), the old one stops working")
    .argument("<site>", "site id", siteIdArg)
    .argument("<kind>", `${KEY_KINDS.join(" or ")}`, keyKindArg)
    .option("--json", "print { site, apiKey | moderatorKey }")
    .action((id: string, kind: KeyKind, opts: { json?: boolean }) =>
      withDatabase("keys rotate", async ({ db }) => {
        await siteOrFail(db, id);
        const rotated = await rotateSiteKey(db, id, kind);
        if (!rotated) throw new CliError(`no site ${id}.`);
        if (opts.json) return printJson({ site: adminSiteView(rotated.site), [kind === "api" ? "apiKey" : "moderatorKey"]: rotated.key });
        print(rotated.key);
        note(`New ${kind} key for ${id}, shown once. Running API processes stop accepting the old one within KEY_CACHE_TTL_MS.`);
      }),
    );
  keys
    .command("revoke")
    .description("revoke a key until the next rotate")
    .argument("<site>", "site id", siteIdArg)
    .argument("<kind>", `${KEY_KINDS.join(" or ")}`, keyKindArg)
    .action((id: string, kind: KeyKind) =>
      withDatabase("keys revoke", async ({ db }) => {
        await siteOrFail(db, id);
        if (!(await revokeSiteKey(db, id, kind))) throw new CliError(`no site ${id}.`);
        print(`revoked the ${kind} key of ${id}`);
      }),
    );

  const settings = program.command("settings").description("read and change a site's settings");
  settings
    .command("get")
    .description("print a site's effective settings (defaults filled in), or one of them")
    .argument("<site>", "site id", siteIdArg)
    .argument("[key]", "one setting, e.g. spamCutoff or akismet.unsureAnswer")
    .option("--json", "print JSON")
    .action((id: string, key: string | undefined, opts: { json?: boolean }) =>
      withDatabase("settings get", async ({ db }) => {
        const all = effectiveSettings(await siteOrFail(db, id));
        if (key !== undefined) {
          if (!(key in all)) throw usage(`unknown setting ${key} (known: ${Object.keys(all).join(", ")}).`);
          return print(JSON.stringify(all[key]));
        }
        print(opts.json ? JSON.stringify(all, null, 2) : Object.entries(all).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join("\n"));
      }),
    );
  settings
    .command("set")
    .description("change settings: each KEY=VALUE (VALUE read as JSON when it parses; null restores a default cutoff)")
    .argument("<site>", "site id", siteIdArg)
    .argument("<assignments...>", "e.g. spamCutoff=0.95 akismet.unsureAnswer=spam signals.minSubmitMs=3000")
    .action((id: string, assignments: string[]) => {
      const values = Object.fromEntries(assignments.map(parseAssignment));
      return withDatabase("settings set", async ({ db }) => {
        const site = await siteOrFail(db, id);
        let updated: SiteRow;
        try {
          updated = await setSettings(db, site, values);
        } catch (err) {
          if (err instanceof InvalidSettingsError) throw usage(err.message);
          throw err;
        }
        const all = effectiveSettings(updated);
        print(Object.keys(values).map((k) => `${k} = ${JSON.stringify(all[k])}`).join("\n"));
        note("Running API processes apply the change within KEY_CACHE_TTL_MS.");
      });
    });

  program
    .command("import")
    .description("import labeled history into a site: each comment becomes a decision and trains the site's model")
    .argument("<files...>", "WordPress wp_comments as SQL (wp db export) or CSV (phpMyAdmin), or the eval's formats; a folder means its data files")
    .requiredOption("--site <site>", "site id", siteIdArg)
    .option("--wp-table <name>", "the comments table to read from a dump with several (e.g. wp_2_comments)")
    .addOption(new Option("--batch <n>", "comments per transaction").argParser(positiveInt(5000)).default(500))
    .option("--dry-run", "read and count, write nothing")
    .option("--json", "print the summary as JSON")
    .addHelpText(
      "after",
      `
Labels: WordPress comment_approved 1 is ham, spam is spam, anything else (0 pending, trash) is
skipped and counted. The eval's formats: a CSV with a label and a text column (the YouTube set),
JSONL {"label","text"}, "ham<TAB>text" lines. Rerunning skips every comment already imported
(WordPress: by comment_ID; others: by a hash of the row).`,
    )
    .action((files: string[], opts: { site: string; wpTable?: string; batch: number; dryRun?: boolean; json?: boolean }) => {
      const inputs = readImports(files, opts.wpTable);
      const records = inputs.flatMap((i) => i.parsed.records);
      const fileSummaries = inputs.map(({ file, parsed }) => ({
        file,
        format: parsed.format,
        read: parsed.records.length,
        spam: parsed.records.filter((r) => r.label === "spam").length,
        ham: parsed.records.filter((r) => r.label === "ham").length,
        skipped: parsed.skipped,
      }));
      const describeFiles = () =>
        fileSummaries.map((f) => {
          const skipped = Object.entries(f.skipped);
          return `  ${f.file}: ${f.format}, ${f.read} labeled (spam ${f.spam}, ham ${f.ham})${skipped.length ? `; left out: ${skipped.map(([k, v]) => `${v} ${k}`).join(", ")}` : ""}`;
        });
      return withDatabase("import", async ({ db }) => {
        await siteOrFail(db, opts.site);
        if (opts.dryRun) {
          if (opts.json) return printJson({ dryRun: true, files: fileSummaries });
          return print([`dry run: ${records.length} labeled comments in ${inputs.length} file(s), nothing written`, ...describeFiles()].join("\n"));
        }
        const progress = createProgress("import");
        const summary = await importRecords(db, opts.site, records, { batchSize: opts.batch, onProgress: (done, total) => progress.update(done, total) }).finally(() => progress.stop());
        const rate = summary.imported / Math.max(0.001, summary.ms / 1000);
        if (opts.json) return printJson({ site: opts.site, ...summary, ratePerSecond: Math.round(rate), files: fileSummaries });
        print(
          [
            `imported ${summary.imported} comments into ${opts.site} (spam ${summary.byLabel.spam}, ham ${summary.byLabel.ham}) in ${(summary.ms / 1000).toFixed(1)} s, ${Math.round(rate)}/s`,
            `skipped ${summary.skipped} already imported`,
            ...describeFiles(),
          ].join("\n"),
        );
      });
    });

  const person = (cmd: Command) =>
    cmd
      .requiredOption("--site <site>", "site id", siteIdArg)
      .option("--email <email>", "the author e-mail (as given; a site that hashes e-mails is matched on the hash)")
      .option("--url <url>", "the author URL")
      .option("--ip <ip>", "the IP address");
  const matchOf = (opts: { email?: string; url?: string; ip?: string }): PersonMatch => {
    const match: PersonMatch = {
      ...(opts.email ? { email: opts.email } : {}),
      ...(opts.url ? { url: opts.url } : {}),
      ...(opts.ip ? { ip: opts.ip } : {}),
    };
    if (Object.keys(match).length === 0) throw usage("give at least one of --email, --url or --ip.");
    return match;
  };
  const siteGone = (id: string) => (err: unknown) => {
    throw err instanceof SiteNotFoundError ? new CliError(`no site ${id}.`) : err;
  };

  person(program.command("export"))
    .description("every comment, decision and verdict about one person on a site, as JSON")
    .option("--out <file>", "write the JSON to a file instead of stdout")
    .action((opts: { site: string; email?: string; url?: string; ip?: string; out?: string }) => {
      const match = matchOf(opts);
      return withDatabase("export", async ({ db }) => {
        const out = await exportPerson(db, opts.site, match).catch(siteGone(opts.site));
        const text = JSON.stringify({ export: out }, null, 2) + "\n";
        if (opts.out === undefined) return print(text);
        writeFileSync(opts.out, text, { mode: 0o600 });
        note(`wrote ${out.comments.length} comments to ${opts.out}`);
      });
    });

  person(program.command("erase"))
    .description("delete one person's comments on a site and unlearn what they taught, recorded without personal data")
    .action((opts: { site: string; email?: string; url?: string; ip?: string }) => {
      const match = matchOf(opts);
      return withDatabase("erase", async ({ db }) => {
        const out = await erasePerson(db, opts.site, match, "cli").catch(siteGone(opts.site));
        print(`erased ${out.comments} comments and ${out.decisions} decisions (${out.unlearned} unlearned); erasure ${out.erasureId}`);
      });
    });

  program
    .command("purge")
    .description("purge comments past their site's retention now (the worker also does it on a schedule)")
    .addOption(new Option("--site <site>", "only this site (default: every site with a retention period)").argParser(siteIdArg))
    .action((opts: { site?: string }) =>
      withDatabase("purge", async ({ db }) => {
        const progress = createProgress("purge");
        const onProgress = (done: number) => progress.update(done, done);
        if (opts.site !== undefined) {
          const site = opts.site;
          const out = await purgeSite(db, site, { onProgress }).catch(siteGone(site)).finally(() => progress.stop());
          return print(`purged ${out.purged} comments of ${site} (${out.unlearned} unlearned first)`);
        }
        const out = await purgeAll(db, { onProgress }).finally(() => progress.stop());
        print(`purged ${out.purged} comments on ${out.sites} sites with a retention period (${out.unlearned} unlearned first)`);
      }),
    );

  program
    .command("eval")
    .description("the classifier on a site's own decided comments in time order: train on the past, test the next window")
    .requiredOption("--site <site>", "site id", siteIdArg)
    .addOption(new Option("--window-days <n>", "days per test window").argParser(positiveInt(3650)).default(7))
    .option("--json", "print the report as JSON")
    .addHelpText("after", "\nFor the data sets on disk (cross-validation, peers, plots), see `npm run eval -- --help`.")
    .action((opts: { site: string; windowDays: number; json?: boolean }) =>
      withDatabase("eval", async ({ db }) => {
        const site = await siteOrFail(db, opts.site);
        const progress = createProgress("eval");
        const report = await evaluateSite(db, site, { windowDays: opts.windowDays, onProgress: (done) => progress.update(done, done) }).finally(() => progress.stop());
        print(opts.json ? JSON.stringify(report, null, 2) : formatEval(report));
      }),
    );

  // A group without its subcommand is a bad argument, not a request for help.
  for (const group of [sites, keys, settings]) {
    group.allowExcessArguments(true).action((_opts: unknown, cmd: Command) => {
      const verbs = group.commands.map((c) => c.name()).join(", ");
      const given = cmd.args[0];
      throw usage(`${given === undefined ? `${group.name()} needs one of` : `unknown verb '${group.name()} ${given}'; ${group.name()} takes`}: ${verbs} (see \`commentinel ${group.name()} --help\`).`);
    });
  }
  return program;
}

/** Every command's `--help`, in order: the README's listing (test/cli.test.ts checks it matches). */
export function helpListing(program: Command): string {
  const out: string[] = [];
  const walk = (cmd: Command, path: string[]) => {
    // outputHelp, not helpInformation: the text added with addHelpText is part of what users see.
    let text = "";
    const output = cmd.configureOutput();
    cmd.configureOutput({ ...output, writeOut: (s) => (text += s) });
    cmd.outputHelp();
    cmd.configureOutput(output);
    out.push(`$ ${["commentinel", ...path, "--help"].join(" ")}`, text.trimEnd(), "");
    for (const sub of cmd.commands) walk(sub, [...path, sub.name()]);
  };
  walk(program, []);
  return out.join("\n").trimEnd() + "\n";
}

/** Parses and runs; resolves to the exit code (a server role keeps running and never resolves). */
export async function runCli(argv: readonly string[], serve: Serve): Promise<number> {
  const program = buildProgram(serve);
  // `commentinel --help | head`: a reader that left takes the rest of the output with it; not a
  // crash (the server roles add their own handler for other stdout errors).
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
  });
  try {
    // The default verb (all) takes no arguments: anything else first is a mistyped verb.
    const first = argv[0];
    if (first !== undefined && !first.startsWith("-") && !program.commands.some((c) => c.name() === first)) {
      throw usage(`unknown verb '${first}' (verbs: ${program.commands.map((c) => c.name()).join(", ")}).`);
    }
    await program.parseAsync([...argv], { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed its one line (or the help) already.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof CliError) {
      process.stderr.write(`error: ${err.message}\n`);
      return err.exitCode;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    const e = err as { message?: string; code?: string; cause?: { code?: string; message?: string } };
    process.stderr.write(`error: ${e.cause?.message ?? e.message ?? String(err)}${e.cause?.code ?? e.code ? ` (${e.cause?.code ?? e.code})` : ""}\n`);
    return 1;
  }
}
