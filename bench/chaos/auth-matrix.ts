/**
 * Every route against every kind of wrong key: none, malformed ones, another site's key, the wrong
 * role (site vs moderator vs admin), a revoked and a rotated-away key. A leak is a 2xx (for the
 * Akismet routes, any answer but `invalid`) to a key the route must refuse, or another site's data
 * (its comment text or its site id) in any answer. Each route also has a positive control: the
 * right key gets a 2xx (and the owner sees its own data), so the matrix cannot pass by refusing
 * everything.
 */
import type { Row } from "./check.js";
import { countStatus, isOk, percentile, request, type Reply, type Site } from "./load.js";

interface Deps {
  port: number;
  adminToken: string;
  createSite(name: string): Promise<Site>;
  log(msg: string): void;
}

type Cred = { name: string; header?: string; akismetKey?: string };

interface Route {
  name: string;
  method: string;
  path: string;
  body?: () => string;
  /** Akismet: form body built around the key; the key may also travel in the Host name. */
  akismet?: { form: (key: string | undefined) => Record<string, string>; viaHost?: boolean };
  /** Credentials that must get a 2xx. */
  allowed: string[];
  /** Credentials whose answer must contain site A's comment text (the owner's positive control). */
  mustSee?: string[];
}

export async function runAuthMatrix(deps: Deps): Promise<Row> {
  const { port, adminToken } = deps;
  const [a, b, c, d, e] = await Promise.all(["auth-a", "auth-b", "auth-c", "auth-d", "auth-e"].map((n) => deps.createSite(n))) as [Site, Site, Site, Site, Site];
  const adminH = { authorization: `Bearer ${adminToken}`, "content-type": "application/json" };
  const must = async (what: string, r: Promise<Reply>, status: number) => {
    const reply = await r;
    if (reply.status !== status) throw new Error(`auth matrix setup: ${what} gave ${reply.status} ${reply.body.slice(0, 200)}`);
    return reply;
  };
  // Site A's data: one published comment whose text must never reach another site's key.
  const secret = `auth-secret-${a.id}`;
  const posted = await must(
    "posting A's comment",
    request({ port, method: "POST", path: "/v1/comments", headers: { authorization: `Bearer ${a.apiKey}`, "content-type": "application/json" }, body: JSON.stringify({ thread: "a-thread", content: `Site A only: ${secret}` }) }),
    202,
  );
  const commentA = (JSON.parse(posted.body) as { id: string }).id;
  await must(
    "publishing A's comment",
    request({ port, method: "POST", path: `/v1/comments/${commentA}/decision`, headers: { authorization: `Bearer ${a.moderatorKey}`, "content-type": "application/json" }, body: JSON.stringify({ label: "ham" }) }),
    200,
  );
  // C's keys revoked, E's API key rotated away: both must be refused at once.
  for (const kind of ["api", "moderator"]) await must(`revoking C's ${kind} key`, request({ port, method: "POST", path: `/v1/sites/${c.id}/keys/${kind}/revoke`, headers: adminH }), 200);
  await must("rotating E's api key", request({ port, method: "POST", path: `/v1/sites/${e.id}/keys/api/rotate`, headers: adminH }), 200);

  const creds: Cred[] = [
    { name: "none" },
    { name: "malformed: Bearer (empty)", header: "Bearer", akismetKey: "" },
    { name: "malformed: Basic", header: "Basic dXNlcjpwYXNzd29yZA==", akismetKey: "dXNlcjpwYXNz" },
    { name: "malformed: 300 chars", header: `Bearer ${"k".repeat(300)}`, akismetKey: "k".repeat(300) },
    { name: "malformed: two words", header: `Bearer ${a.apiKey} ${a.apiKey}`, akismetKey: `${a.apiKey} ${a.apiKey}` },
    { name: "malformed: upper-cased key", header: `Bearer ${a.apiKey.toUpperCase()}`, akismetKey: a.apiKey.toUpperCase() },
    { name: "malformed: truncated key", header: `Bearer ${a.apiKey.slice(0, -1)}`, akismetKey: a.apiKey.slice(0, -1) },
    { name: "malformed: SQL", header: "Bearer ' OR '1'='1", akismetKey: "' OR '1'='1" },
    { name: "A api", header: `Bearer ${a.apiKey}`, akismetKey: a.apiKey },
    { name: "A moderator", header: `Bearer ${a.moderatorKey}`, akismetKey: a.moderatorKey },
    { name: "B api", header: `Bearer ${b.apiKey}`, akismetKey: b.apiKey },
    { name: "B moderator", header: `Bearer ${b.moderatorKey}`, akismetKey: b.moderatorKey },
    { name: "C api (revoked)", header: `Bearer ${c.apiKey}`, akismetKey: c.apiKey },
    { name: "C moderator (revoked)", header: `Bearer ${c.moderatorKey}`, akismetKey: c.moderatorKey },
    { name: "E api (rotated away)", header: `Bearer ${e.apiKey}`, akismetKey: e.apiKey },
    { name: "admin", header: `Bearer ${adminToken}`, akismetKey: adminToken },
    { name: "admin, one char off", header: `Bearer ${adminToken.slice(0, -1)}x`, akismetKey: `${adminToken.slice(0, -1)}x` },
  ];
  const json = (v: unknown) => () => JSON.stringify(v);
  const checkForm = (key: string | undefined): Record<string, string> => ({
    ...(key !== undefined ? { api_key: key } : {}),
    // Not A's blog: B's usage of it would otherwise look like A's data in B's key-sites.
    blog: "https://matrix.chaos.example",
    user_ip: "198.51.100.20",
    comment_content: `auth matrix check ${Math.random()}`,
  });
  const keyOnly = (key: string | undefined): Record<string, string> => (key !== undefined ? { api_key: key } : {});
  const routes: Route[] = [
    { name: "POST /v1/sites", method: "POST", path: "/v1/sites", body: json({ name: "auth-made", url: "https://made.chaos.example" }), allowed: ["admin"] },
    { name: "GET /v1/sites", method: "GET", path: "/v1/sites", allowed: ["admin"] },
    { name: "GET /v1/sites/:A", method: "GET", path: `/v1/sites/${a.id}`, allowed: ["admin"] },
    { name: "PATCH /v1/sites/:A", method: "PATCH", path: `/v1/sites/${a.id}`, body: json({ name: "auth-a" }), allowed: ["admin"] },
    { name: "POST /v1/sites/:D/keys/api/rotate", method: "POST", path: `/v1/sites/${d.id}/keys/api/rotate`, allowed: ["admin"] },
    { name: "POST /v1/sites/:D/keys/moderator/revoke", method: "POST", path: `/v1/sites/${d.id}/keys/moderator/revoke`, allowed: ["admin"] },
    { name: "GET /v1/sites/:A/akismet", method: "GET", path: `/v1/sites/${a.id}/akismet`, allowed: ["admin"] },
    { name: "PATCH /v1/sites/:A/akismet", method: "PATCH", path: `/v1/sites/${a.id}/akismet`, body: json({ unsureAnswer: "ham" }), allowed: ["admin"] },
    { name: "POST /v1/comments", method: "POST", path: "/v1/comments", body: json({ thread: "auth", content: "an auth matrix comment" }), allowed: ["A api", "B api"] },
    { name: "GET /v1/comments/:A", method: "GET", path: `/v1/comments/${commentA}`, allowed: ["A api", "A moderator"], mustSee: ["A api", "A moderator"] },
    { name: "POST /v1/comments/:A/decision", method: "POST", path: `/v1/comments/${commentA}/decision`, body: json({ label: "ham" }), allowed: ["A moderator"], mustSee: ["A moderator"] },
    { name: "GET /v1/threads/a-thread/comments", method: "GET", path: "/v1/threads/a-thread/comments", allowed: ["A api", "B api"], mustSee: ["A api"] },
    { name: "GET /v1/moderation/queue", method: "GET", path: "/v1/moderation/queue?status=published", allowed: ["A moderator", "B moderator"], mustSee: ["A moderator"] },
    { name: "GET /v1/campaigns", method: "GET", path: "/v1/campaigns", allowed: ["A moderator", "B moderator"] },
    { name: "GET /v1/sites/:A/campaigns", method: "GET", path: `/v1/sites/${a.id}/campaigns`, allowed: ["admin"] },
    { name: "PATCH /v1/sites/:A/campaigns", method: "PATCH", path: `/v1/sites/${a.id}/campaigns`, body: json({ crossSite: true }), allowed: ["admin"] },
    { name: "POST /1.1/verify-key", method: "POST", path: "/1.1/verify-key", akismet: { form: (k) => ({ ...(k !== undefined ? { key: k } : {}), blog: a.url }) }, allowed: ["A api", "B api"] },
    { name: "POST /1.1/comment-check", method: "POST", path: "/1.1/comment-check", akismet: { form: checkForm }, allowed: ["A api", "B api"] },
    { name: "POST /1.1/comment-check (key in Host)", method: "POST", path: "/1.1/comment-check", akismet: { form: checkForm, viaHost: true }, allowed: ["A api", "B api"] },
    { name: "POST /1.1/submit-spam", method: "POST", path: "/1.1/submit-spam", akismet: { form: checkForm }, allowed: ["A api", "B api"] },
    { name: "POST /1.1/submit-ham (key in Host)", method: "POST", path: "/1.1/submit-ham", akismet: { form: checkForm, viaHost: true }, allowed: ["A api", "B api"] },
    { name: "POST /1.2/usage-limit", method: "POST", path: "/1.2/usage-limit", akismet: { form: keyOnly }, allowed: ["A api", "B api"] },
    { name: "POST /1.2/key-sites", method: "POST", path: "/1.2/key-sites", akismet: { form: keyOnly }, allowed: ["A api", "B api"] },
  ];
  // Site A's own data, which only A's keys and the admin may see.
  const ownedByA = [secret, a.id, new URL(a.url).host];
  const seesA = new Set(["A api", "A moderator", "admin"]);

  const byStatus: Record<string, number> = {};
  const latencies: number[] = [];
  const violations: string[] = [];
  let sent = 0;
  let ok = 0;
  for (const route of routes) {
    for (const cred of creds) {
      let reply: Reply;
      if (route.akismet) {
        // A key that is not 12 lowercase letters/digits cannot be a Host label; it goes in the body.
        const hostKey = route.akismet.viaHost && cred.akismetKey !== undefined && /^[a-z0-9]{1,63}$/.test(cred.akismetKey);
        const form = new URLSearchParams(route.akismet.form(hostKey ? undefined : cred.akismetKey)).toString();
        reply = await request({
          port,
          method: route.method,
          path: route.path,
          headers: { "content-type": "application/x-www-form-urlencoded", ...(hostKey ? { host: `${cred.akismetKey}.localhost` } : {}) },
          body: form,
        });
      } else {
        reply = await request({
          port,
          method: route.method,
          path: route.path,
          headers: { ...(cred.header !== undefined ? { authorization: cred.header } : {}), ...(route.body ? { "content-type": "application/json" } : {}) },
          body: route.body?.(),
        });
      }
      sent++;
      latencies.push(reply.ms);
      countStatus(byStatus, reply.status);
      const granted = route.akismet ? reply.status === 200 && reply.body !== "invalid" : isOk(reply.status);
      if (granted) ok++;
      const where = `${route.name} with ${cred.name}`;
      if (typeof reply.status === "number" && reply.status >= 500) violations.push(`${where}: ${reply.status}`);
      if (typeof reply.status !== "number") violations.push(`${where}: ${reply.status}`);
      if (route.allowed.includes(cred.name)) {
        if (!granted) violations.push(`control failed: ${where} got ${reply.status} ${reply.body.slice(0, 120)}`);
        if (route.mustSee?.includes(cred.name) && !reply.body.includes(secret)) violations.push(`control failed: ${where} did not show A's comment`);
      } else if (granted) {
        violations.push(`LEAK: ${where} got ${reply.status} ${reply.body.slice(0, 120)}`);
      }
      if (!seesA.has(cred.name)) {
        const shown = ownedByA.filter((s) => reply.body.includes(s));
        if (shown.length) violations.push(`LEAK: ${where} showed site A's data (${shown.join(", ")})`);
      }
    }
  }
  const leaks = violations.filter((v) => v.startsWith("LEAK")).length;
  deps.log(`auth matrix: ${sent} requests, ${routes.length} routes × ${creds.length} keys, ${leaks} leaks`);
  return {
    scenario: `auth matrix (${routes.length} routes × ${creds.length} keys)`,
    sent,
    ok,
    byStatus,
    lost: null,
    stuck: null,
    doubled: null,
    p99: percentile(latencies, 99),
    violations,
    notes: [`${leaks} leaks; 2xx column counts the positive controls (and Akismet answers other than \`invalid\`)`],
  };
}
