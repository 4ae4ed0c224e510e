/** This suite's port range for HTTP servers it starts itself (see the helpers' brief). */
export const HTTP_PORTS = { first: 3110, last: 3199 };

/** Tries ports of the range from a random offset until `start` does not fail with EADDRINUSE. */
export async function onFreePort<T>(start: (port: number) => Promise<T>): Promise<T> {
  const span = HTTP_PORTS.last - HTTP_PORTS.first + 1;
  const offset = Math.floor(Math.random() * span);
  for (let i = 0; i < span; i++) {
    try {
      return await start(HTTP_PORTS.first + ((offset + i) % span));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE") throw err;
    }
  }
  throw new Error(`no free port in ${HTTP_PORTS.first}-${HTTP_PORTS.last}`);
}
