import type { Log } from "./log.js";

export interface Shutdown {
  /** Registers a closer. Closers run last-registered first, so build in dependency order. */
  add(name: string, close: () => Promise<void>): void;
  /** Runs every closer once, in order, under the deadline; resolves to the exit code. */
  run(reason: string): Promise<number>;
  /** SIGTERM/SIGINT start a graceful shutdown; a later second signal exits at once. */
  installSignalHandlers(exit: (code: number) => void, onSignal?: () => void): void;
}

export function createShutdown(log: Log, timeoutMs: number): Shutdown {
  const closers: { name: string; close: () => Promise<void> }[] = [];
  let running: Promise<number> | undefined;
  let firstSignalAt = 0;

  const runAll = async () => {
    let code = 0;
    for (const { name, close } of [...closers].reverse()) {
      try {
        await close();
        log.debug("closed", { name });
      } catch (err) {
        code = 1;
        log.error("close failed", { name, error: err });
      }
    }
    return code;
  };

  const run = (reason: string) => {
    running ??= (async () => {
      log.info("shutting down", { reason, deadlineMs: timeoutMs });
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<number>((resolve) => {
        timer = setTimeout(() => {
          log.error("shutdown deadline passed; exiting with work unfinished", { deadlineMs: timeoutMs });
          resolve(1);
        }, timeoutMs);
        timer.unref();
      });
      const code = await Promise.race([runAll(), deadline]);
      clearTimeout(timer);
      log.info("shutdown complete", { code });
      return code;
    })();
    return running;
  };

  return {
    add: (name, close) => closers.push({ name, close }),
    run,
    installSignalHandlers(exit, onSignal) {
      for (const signal of ["SIGTERM", "SIGINT"] as const) {
        process.on(signal, () => {
          onSignal?.();
          // Ctrl-C reaches us twice (from the terminal and relayed by npm/tsx): only a signal sent
          // well after the first means "stop waiting".
          if (running && Date.now() - firstSignalAt < 2000) return;
          if (running) {
            log.warn("second signal: exiting now", { signal });
            exit(1);
            return;
          }
          firstSignalAt = Date.now();
          void run(signal).then(exit);
        });
      }
    },
  };
}
