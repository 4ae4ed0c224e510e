import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { onFreePort } from "./ports.js";

/** The app on a real HTTP server at 127.0.0.1 (a port of this suite's range), for clients and browsers. */
export async function listen(fetch: (req: Request) => Response | Promise<Response>): Promise<{ url: string; close(): Promise<void> }> {
  return onFreePort(async (port) => {
    const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
      const s = serve({ fetch, hostname: "127.0.0.1", port }, () => resolve(s));
      s.once("error", reject);
    });
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        }),
    };
  });
}
