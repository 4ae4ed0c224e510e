/**
 * A TCP relay in front of the shared test Postgres that a test can cut, so a pool sees "Postgres
 * went away" mid-test without anyone stopping the machine's shared server:
 * - `forward`: bytes pass both ways (Postgres is up);
 * - `refuse`: the port is closed and every open connection is reset (Postgres is down);
 * - `blackhole`: connections are accepted and never answered (Postgres hangs, e.g. while it restarts).
 */
import net from "node:net";
import { TEST_DATABASE_URL } from "../env.js";

/** This suite's port range for stand-in database servers (see the helpers' brief). */
const PORTS = { first: 55110, last: 55199 };

export type ProxyMode = "forward" | "refuse" | "blackhole";

export interface PgProxy {
  /** TEST_DATABASE_URL with host and port pointing at the relay. */
  url: string;
  setMode(mode: ProxyMode): Promise<void>;
  close(): Promise<void>;
}

function listen(server: net.Server, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => (err.code === "EADDRINUSE" ? resolve(false) : reject(err));
    server.once("error", onError);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", onError);
      resolve(true);
    });
  });
}

async function listenInRange(server: net.Server): Promise<number> {
  // Start at a random offset: several test files may look for a port at the same moment.
  const span = PORTS.last - PORTS.first + 1;
  const offset = Math.floor(Math.random() * span);
  for (let i = 0; i < span; i++) {
    const port = PORTS.first + ((offset + i) % span);
    if (await listen(server, port)) return port;
  }
  throw new Error(`no free port in ${PORTS.first}-${PORTS.last}`);
}

export async function startPgProxy(): Promise<PgProxy> {
  const target = new URL(TEST_DATABASE_URL);
  const targetPort = Number(target.port || 5432);
  let mode: ProxyMode = "forward";
  const sockets = new Set<net.Socket>();

  const onConnection = (client: net.Socket) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => {});
    if (mode === "blackhole") return;
    const upstream = net.connect(targetPort, target.hostname);
    sockets.add(upstream);
    upstream.on("close", () => {
      sockets.delete(upstream);
      client.destroy();
    });
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  };

  let server = net.createServer(onConnection);
  const port = await listenInRange(server);
  const url = new URL(TEST_DATABASE_URL);
  url.hostname = "127.0.0.1";
  url.port = String(port);

  const closeServer = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.resetAndDestroy();
      sockets.clear();
      if (!server.listening) return resolve();
      server.close(() => resolve());
    });

  return {
    url: url.toString(),
    async setMode(next) {
      if (next === mode) return;
      await closeServer();
      mode = next;
      if (next === "refuse") return;
      server = net.createServer(onConnection);
      if (!(await listen(server, port))) throw new Error(`port ${port} was taken while the relay was closed`);
    },
    close: closeServer,
  };
}
