import cliProgress from "cli-progress";

export interface Progress {
  /** Done so far of `total` (the total may change: a count known only once work starts). */
  update(done: number, total?: number): void;
  /** Ends the bar (or prints the last line). */
  stop(): void;
}

/** Without a terminal, one line per this many milliseconds (and a last one at the end). */
const LINE_EVERY_MS = 5_000;

function formatRate(perSecond: number): string {
  return perSecond >= 100 ? Math.round(perSecond).toString() : perSecond.toFixed(1);
}

/**
 * A progress bar with rate and ETA on a terminal (cli-progress); when stdout is not a terminal
 * (a pipe, a log file, CI), periodic plain lines on stderr instead, so stdout keeps only results.
 */
export function createProgress(label: string, opts: { unit?: string; tty?: boolean; write?: (line: string) => void } = {}): Progress {
  const unit = opts.unit ?? "comments";
  const tty = opts.tty ?? process.stdout.isTTY === true;
  const started = performance.now();
  let done = 0;
  let total = 0;
  const rate = () => done / Math.max(0.001, (performance.now() - started) / 1000);

  if (tty) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {speed}/s | ETA {eta_formatted}`,
        hideCursor: true,
        clearOnComplete: false,
        // The ETA averages the last 50 updates, so one slow batch does not swing it.
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(0, 0, { speed: "0" });
    return {
      update(value, newTotal) {
        done = value;
        if (newTotal !== undefined && newTotal !== total) {
          total = newTotal;
          bar.setTotal(total);
        }
        bar.update(done, { speed: formatRate(rate()) });
      },
      stop: () => bar.stop(),
    };
  }

  const write = opts.write ?? ((line: string) => process.stderr.write(line + "\n"));
  // The first line after LINE_EVERY_MS of work: a short run prints only the last one.
  let lastLine = started;
  const line = () => {
    const r = rate();
    const pct = total > 0 ? ` ${Math.floor((done / total) * 100)}%` : "";
    const eta = total > done && r > 0 ? ` eta ${Math.ceil((total - done) / r)}s` : "";
    write(`${label}: ${done}/${total} ${unit}${pct} ${formatRate(r)}/s${eta}`);
    lastLine = performance.now();
  };
  return {
    update(value, newTotal) {
      done = value;
      if (newTotal !== undefined) total = newTotal;
      if (done > 0 && performance.now() - lastLine >= LINE_EVERY_MS) line();
    },
    stop: line,
  };
}
