import type { App } from "../../src/http/app.js";
import { call, type TestSite } from "../helpers.js";

/** A unique client address per caller, so login throttling in one test never trips another. */
let clientCounter = 0;
export function clientAddress(): string {
  clientCounter++;
  return `198.51.${Math.floor(Math.random() * 250)}.${clientCounter % 250}`;
}

export interface ConsoleClient {
  cookie: string;
  csrf: string;
  get(path: string, headers?: Record<string, string>): Promise<{ status: number; text: string; headers: Headers }>;
  post(path: string, form: Record<string, string | string[]>, opts?: { csrf?: string | null; json?: boolean }): Promise<{ status: number; text: string; headers: Headers }>;
}

function formBody(form: Record<string, string | string[]>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) for (const one of ([] as string[]).concat(v)) p.append(k, one);
  return p.toString();
}

export function csrfIn(html: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(html);
  if (!m?.[1]) throw new Error("no csrf token on the page");
  return m[1];
}

/** Signs in through the login form as a browser would (login CSRF cookie, then the session cookie). */
export async function signIn(app: App, key: string, client = clientAddress()): Promise<ConsoleClient> {
  const env = { incoming: { socket: { remoteAddress: client } } };
  const login = await app.request("/moderate/login", {}, env);
  const loginCookie = (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  const res = await app.request(
    "/moderate/login",
    { method: "POST", headers: { cookie: loginCookie, "content-type": "application/x-www-form-urlencoded" }, body: formBody({ csrf: csrfIn(await login.text()), key }) },
    env,
  );
  if (res.status !== 303) throw new Error(`sign-in answered ${res.status}`);
  const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  const get: ConsoleClient["get"] = async (path, headers = {}) => {
    const r = await app.request(path, { headers: { cookie, ...headers } }, env);
    return { status: r.status, text: await r.text(), headers: r.headers };
  };
  const page = await get(res.headers.get("location") ?? "/moderate");
  const client_: ConsoleClient = {
    cookie,
    csrf: csrfIn(page.text),
    get,
    async post(path, form, opts = {}) {
      const body = { ...form, ...(opts.csrf === null ? {} : { csrf: opts.csrf ?? client_.csrf }) };
      const r = await app.request(
        path,
        {
          method: "POST",
          headers: { cookie, "content-type": "application/x-www-form-urlencoded", ...(opts.json ? { accept: "application/json" } : {}) },
          body: formBody(body),
        },
        env,
      );
      return { status: r.status, text: await r.text(), headers: r.headers };
    },
  };
  return client_;
}

/** Posts a comment and waits for its verdict. */
export async function postComment(app: App, site: TestSite, body: Record<string, unknown>): Promise<string> {
  const res = await call(app, "POST", "/v1/comments?wait=2000", { key: site.apiKey, body: { thread: "t", ...body } });
  if (res.status !== 200 && res.status !== 202) throw new Error(`intake answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}
