/**
 * Benchmark runner: `npm run bench` runs every module below, `npm run bench -- classifier` only the
 * named ones. A module exports `run(): Promise<void>` and prints its own table.
 */
const MODULES: Record<string, () => Promise<{ run: () => Promise<void> }>> = {
  classifier: () => import("./classifier.js"),
  service: () => import("./service.js"),
  akismet: () => import("./akismet.js"),
  campaigns: () => import("./campaigns.js"),
  model: () => import("./model.js"),
  console: () => import("./console.js"),
  privacy: () => import("./privacy.js"),
  "rate-limit": () => import("./rate-limit.js"),
  "request-path": () => import("./request-path.js"),
};

async function main(names: readonly string[]): Promise<void> {
  const unknown = names.filter((n) => !(n in MODULES));
  if (unknown.length > 0) throw new Error(`unknown bench module(s): ${unknown.join(", ")}; known: ${Object.keys(MODULES).join(", ")}`);
  for (const name of names.length > 0 ? names : Object.keys(MODULES)) {
    const load = MODULES[name];
    if (!load) continue;
    process.stdout.write(`\n## ${name}\n`);
    const bench = await load();
    await bench.run();
  }
}

main(process.argv.slice(2)).then(
  () => {
    // Every module closes what it opened, so the process ends here by itself. If it does not, say
    // what is still open (that is the bug to fix) and stop anyway.
    setTimeout(() => {
      process.stderr.write(`bench: still running 5 s after the last table; open: ${process.getActiveResourcesInfo().join(", ")}\n`);
      process.exit(1);
    }, 5000).unref();
  },
  (error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  // Exit now: a failed bench leaves pools and child processes open that would keep it alive.
  process.exit(1);
  },
);
