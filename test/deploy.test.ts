import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { startHttpServer, type HttpServer } from "../src/http/server.js";
import { ADMIN_TOKEN, call, createSite, harness, type Harness } from "./helpers.js";

/** Labels Prometheus adds to every scraped series itself. */
const TARGET_LABELS = new Set(["job", "instance"]);
const METRIC = /\b(?:commentinel|process|nodejs)_[a-z0-9_]+\b/g;
const SELECTOR = /\b((?:commentinel|process|nodejs)_[a-z0-9_]+)\{([^}]*)\}/g;

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: { severity?: string };
  annotations?: { summary?: string };
}

function dashboardExprs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const v of node) dashboardExprs(v, out);
  else if (node && typeof node === "object") {
    for (const [k, v] of Object.entries(node)) {
      if ((k === "expr" || k === "query" || k === "definition") && typeof v === "string") out.push(v);
      else dashboardExprs(v, out);
    }
  }
  return out;
}

/** Metric families of a scrape: name → its type and the label names its samples carry. */
function families(text: string): Map<string, { type: string; labels: Set<string> }> {
  const out = new Map<string, { type: string; labels: Set<string> }>();
  for (const line of text.split("\n")) {
    const t = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (t?.[1] && t[2]) out.set(t[1], { type: t[2], labels: new Set() });
  }
  for (const line of text.split("\n")) {
    const m = /^([a-z_:][\w:]*)\{([^}]*)\}/.exec(line);
    if (!m?.[1] || m[2] === undefined) continue;
    const family = out.get(m[1]) ?? out.get(m[1].replace(/_(bucket|sum|count)$/, ""));
    for (const l of m[2].matchAll(/(\w+)="/g)) if (l[1]) family?.labels.add(l[1]);
  }
  return out;
}

/** The family a name in an expression refers to (`x_bucket` is histogram `x`'s). */
function familyOf(name: string, all: ReturnType<typeof families>) {
  const direct = all.get(name);
  if (direct) return direct;
  const base = all.get(name.replace(/_(bucket|sum|count)$/, ""));
  return base && (base.type === "histogram" || base.type === "summary") ? base : undefined;
}

describe("deploy/ (Grafana dashboard, Prometheus alerts)", () => {
  let h: Harness;
  let server: HttpServer;
  let scraped: string;
  const dashboard = JSON.parse(readFileSync("deploy/grafana-dashboard.json", "utf8")) as { panels: unknown[] };
  const alerts = parse(readFileSync("deploy/prometheus-alerts.yml", "utf8")) as { groups: { name: string; rules: Rule[] }[] };
  const exprs = [...dashboardExprs(dashboard), ...alerts.groups.flatMap((g) => g.rules.map((r) => r.expr))];

  beforeAll(async () => {
    h = harness();
    h.startWorker();
    // Some traffic first, so the histograms and labelled counters have samples to read labels from.
    const site = await createSite(h.app);
    await call(h.app, "POST", "/v1/comments?wait=2000", { key: site.apiKey, body: { thread: "deploy", content: "metrics for the deploy check" } });
    server = await startHttpServer(h.app.fetch, { ...h.deps.config, HOST: "127.0.0.1", PORT: 0 });
    const res = await fetch(`http://127.0.0.1:${server.port}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    scraped = await res.text();
  });
  afterAll(async () => {
    await server.drain(1000);
    await h.close();
  });

  it("names only metrics that a running service exports", () => {
    const all = families(scraped);
    const names = new Set(exprs.flatMap((e) => [...e.matchAll(METRIC)].map((m) => m[0])));
    expect(names.size).toBeGreaterThan(15);
    const missing = [...names].filter((n) => !familyOf(n, all));
    expect(missing).toEqual([]);
  });

  it("selects only labels those metrics carry", () => {
    const all = families(scraped);
    const wrong: string[] = [];
    for (const e of exprs) {
      for (const [, name, body] of e.matchAll(SELECTOR)) {
        const family = name ? familyOf(name, all) : undefined;
        for (const l of (body ?? "").matchAll(/(\w+)\s*(?:=~|!~|!=|=)/g)) {
          const label = l[1] ?? "";
          if (!TARGET_LABELS.has(label) && !family?.labels.has(label)) wrong.push(`${name}{${label}}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it("has the alerts the runbook names, each with a severity and a summary", () => {
    const rules = alerts.groups.flatMap((g) => g.rules);
    for (const name of ["CommentinelBacklogGrowing", "CommentinelSweepReenqueuing", "CommentinelWebhookFailures", "CommentinelHigh5xxRate"]) {
      expect(rules.map((r) => r.alert)).toContain(name);
    }
    for (const r of rules) {
      expect(r.expr.trim().length).toBeGreaterThan(0);
      expect(["info", "warning", "critical"]).toContain(r.labels?.severity);
      expect(r.annotations?.summary).toBeTruthy();
    }
  });

  it("is a dashboard Grafana can import: unique panel ids, a Prometheus datasource variable", () => {
    const ids = (dashboard.panels as { id: number }[]).map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(JSON.stringify(dashboard)).toContain('"type": "prometheus"'.replace(": ", ":"));
  });
});
