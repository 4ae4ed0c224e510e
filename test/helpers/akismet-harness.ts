/**
 * What driving a running server with the real `akismet-api` client needs (see shared FACTS.md):
 * the client sends comment-check to `{key}.localhost:PORT`, which Node does not resolve, so
 * `dns.lookup` is wrapped to answer 127.0.0.1 for `localhost` and every `*.localhost` name; and a
 * server on an ephemeral loopback port.
 */
import dns from "node:dns";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";

type LookupFn = typeof dns.lookup;

function isLocalhostName(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, "");
  return h === "localhost" || h.endsWith(".localhost");
}

/**
 * Routes `localhost` and `*.localhost` to 127.0.0.1 (IPv4 only, so it always matches a server bound
 * to 127.0.0.1). Returns the undo. Node's `net` reads `dns.lookup` at connect time, so replacing the
 * property is enough; `http.globalAgent` tricks are not.
 */
export function resolveLocalhostSubdomains(): () => void {
  const original: LookupFn = dns.lookup;
  const patched = function lookup(hostname: string, options: unknown, callback?: unknown): void {
    const cb = (typeof options === "function" ? options : callback) as (
      err: NodeJS.ErrnoException | null,
      address: string | dns.LookupAddress[],
      family?: number,
    ) => void;
    const opts = typeof options === "object" && options !== null ? (options as dns.LookupOptions) : {};
    if (!isLocalhostName(hostname)) {
      (original as (...a: unknown[]) => void)(hostname, options, callback);
      return;
    }
    // Asynchronous like the real lookup, so callers' event ordering does not change.
    process.nextTick(() => {
      if (opts.all) cb(null, [{ address: "127.0.0.1", family: 4 }]);
      else cb(null, "127.0.0.1", 4);
    });
  };
  dns.lookup = patched as LookupFn;
  return () => {
    dns.lookup = original;
  };
}

export interface RunningServer {
  port: number;
  /** `localhost:PORT`, the value akismet-api takes as `host`. */
  host: string;
  close: () => Promise<void>;
}

/** Serves a Hono app (anything with `fetch`) on 127.0.0.1 and an ephemeral port. */
export async function startServer(app: { fetch: (req: Request) => Response | Promise<Response> }): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) => {
      resolve({
        port: info.port,
        host: `localhost:${info.port}`,
        close: () =>
          new Promise<void>((res, rej) => {
            // Idle keep-alive sockets would otherwise hold close() open until they time out.
            if ("closeAllConnections" in server) server.closeAllConnections();
            server.close((err) => (err ? rej(err) : res()));
          }),
      });
    });
    server.once("error", reject);
  });
}
