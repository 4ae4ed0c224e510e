/**
 * Sums a V8 .cpuprofile's self time by package, by our source file and by function, for the
 * profiles `BENCH_CHILD_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR"` leaves behind:
 *   npx tsx bench/cpuprofile.ts DIR/CPU.*.cpuprofile [--skip-s 3] [--top 40]
 * `--skip-s` leaves out the first seconds (start-up, module loading). Shares are of the busy time
 * (everything but `(idle)`).
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  children?: number[];
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args.splice(i, 2)[1]) : fallback;
};
const skipUs = option("--skip-s", 0) * 1e6;
const top = option("--top", 30);

/** `node_modules/@scope/name/...` → `@scope/name`; our `src/x/y.ts` → `src/x/y.ts`; node's own → `(node)`. */
function ownerOf(url: string): { pkg: string; file?: string } {
  if (url === "") return { pkg: "(native)" };
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + "node_modules/".length).split("/");
    return { pkg: rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : (rest[0] ?? "?") };
  }
  // Our code under tsx (src/*.ts) or built (dist/*.js, whose line numbers are the real ones).
  const src = Math.max(url.lastIndexOf("/src/"), url.lastIndexOf("/dist/"));
  if (src >= 0) return { pkg: "(ours)", file: url.slice(src + 1) };
  if (url.startsWith("node:")) return { pkg: "(node)" };
  return { pkg: url };
}

const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);

// `| head` closes stdout early: stop quietly.
process.stdout.on("error", () => process.exit(0));

for (const path of args) {
  const profile = JSON.parse(readFileSync(path, "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  /** The package of the nearest frame above `id` that is not node's or native: who asked for it. */
  const blamed = (id: number): string => {
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)?.callFrame;
      if (!f || f.functionName.startsWith("(")) continue;
      const o = ownerOf(f.url);
      if (o.pkg !== "(node)" && o.pkg !== "(native)") return o.file ?? o.pkg;
    }
    return "(node, from the event loop)";
  };
  const byCaller = new Map<string, number>();
  /** Inclusive time of functions (ours and packages'): each sample counts once for every distinct one on its stack. */
  const inclusive = new Map<string, number>();
  const fnKey = (f: ProfileNode["callFrame"]) => {
    const o = ownerOf(f.url);
    return `${f.functionName || "(anonymous)"} ${o.file ?? o.pkg}:${f.lineNumber + 1}`;
  };
  const byPkg = new Map<string, number>();
  const byFile = new Map<string, number>();
  const byFn = new Map<string, number>();
  let t = 0;
  let busy = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    t += dt;
    if (t < skipUs) return;
    const node = byId.get(id);
    if (!node) return;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === "(idle)") {
      idle += dt;
      return;
    }
    busy += dt;
    const owner = functionName.startsWith("(") ? { pkg: functionName } : ownerOf(url);
    add(byPkg, owner.pkg, dt);
    const onStack = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)?.callFrame;
      if (f && !f.functionName.startsWith("(") && !["(node)", "(native)"].includes(ownerOf(f.url).pkg)) onStack.add(fnKey(f));
    }
    for (const k of onStack) add(inclusive, k, dt);
    add(byCaller, owner.pkg === "(node)" || owner.pkg === "(native)" ? blamed(id) : (owner.file ?? owner.pkg), dt);
    if (owner.file) add(byFile, owner.file, dt);
    add(byFn, `${functionName || "(anonymous)"} ${owner.file ?? owner.pkg}:${lineNumber + 1}`, dt);
  });
  const share = (v: number) => `${((100 * v) / busy).toFixed(1).padStart(5)} %  ${(v / 1000).toFixed(0).padStart(6)} ms`;
  const print = (title: string, m: Map<string, number>, n: number) => {
    console.log(`\n${title}`);
    for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${share(v)}  ${k}`);
  };
  console.log(`${path}: busy ${(busy / 1e6).toFixed(2)} s, idle ${(idle / 1e6).toFixed(2)} s (first ${skipUs / 1e6} s skipped)`);
  print("by package", byPkg, top);
  print("by our file", byFile, top);
  print("by package or our file, node's and native time charged to the nearest caller", byCaller, top);
  print("by function", byFn, top);
  print("functions, inclusive (with everything they call synchronously; an async function's parts after each await count too)", inclusive, top);
}
