import { createServer, type Server, type ServerResponse } from "node:http";
import { getRequestListener } from "@hono/node-server";
import type { Config } from "../config.js";

export interface HttpServer {
  server: Server;
  port: number;
  /**
   * Stops accepting, answers every later request with `Connection: close`, keeps closing idle
   * sockets, and cuts whatever is still open at `forceAfterMs`. Resolves once every socket is gone.
   */
  drain(forceAfterMs: number): Promise<void>;
}

type ServerConfig = Pick<
  Config,
  "HOST" | "PORT" | "HTTP_HEADERS_TIMEOUT_MS" | "HTTP_REQUEST_TIMEOUT_MS" | "HTTP_KEEP_ALIVE_TIMEOUT_MS" | "HTTP_MAX_CONNECTIONS"
>;

/**
 * Node checks the headers and request timeouts only this often (its default, 30 s, let a slowloris
 * client hold a socket ~89 s against a 60 s headers timeout). One pass over the open sockets a
 * second costs nothing next to the requests.
 */
const CONNECTIONS_CHECK_MS = 1000;

/** While draining, idle kept-alive sockets are closed this often (new ones go idle between requests). */
const IDLE_SWEEP_MS = 50;

export async function startHttpServer(fetch: (req: Request) => Response | Promise<Response>, config: ServerConfig): Promise<HttpServer> {
  const listener = getRequestListener(fetch);
  let draining = false;
  /** Answers not yet sent: when draining starts they too say `Connection: close`. */
  const open = new Set<ServerResponse>();
  const server = createServer(
    {
      headersTimeout: config.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeout: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      connectionsCheckingInterval: CONNECTIONS_CHECK_MS,
    },
    (req, res) => {
      // Node then sends `Connection: close` and closes the socket after this answer: a busy
      // kept-alive client cannot keep a draining server alive by sending more requests.
      if (draining) res.shouldKeepAlive = false;
      else {
        open.add(res);
        res.once("close", () => open.delete(res));
      }
      void listener(req, res);
    },
  );
  server.maxConnections = config.HTTP_MAX_CONNECTIONS;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.PORT, config.HOST, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.PORT;

  return {
    server,
    port,
    drain(forceAfterMs) {
      draining = true;
      // Its client then does not reuse the socket: reusing it races our closing it (ECONNRESET).
      for (const res of open) if (!res.headersSent) res.shouldKeepAlive = false;
      open.clear();
      return new Promise<void>((resolve, reject) => {
        const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
        // Past this, requests still open are cut so the rest of the shutdown can run in time.
        const force = setTimeout(() => server.closeAllConnections(), forceAfterMs);
        server.close((err) => {
          clearInterval(sweep);
          clearTimeout(force);
          if (err) reject(err);
          else resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}
