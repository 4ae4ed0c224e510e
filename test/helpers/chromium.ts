import { execSync } from "node:child_process";
import { existsSync } from "node:fs";

/** `CHROMIUM` names the binary (a path that does not exist means "no browser"); else Debian's `chromium` on PATH. */
export function findChromium(): string | undefined {
  const given = process.env.CHROMIUM;
  if (given !== undefined && given !== "") return existsSync(given) ? given : undefined;
  try {
    return execSync("command -v chromium || command -v chromium-browser", { shell: "/bin/sh", encoding: "utf8" }).trim().split("\n")[0] || undefined;
  } catch {
    return undefined;
  }
}

export const IN_CI = /^(1|true)$/i.test(process.env.CI ?? "");
