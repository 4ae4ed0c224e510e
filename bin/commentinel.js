#!/usr/bin/env node
// `commentinel <verb>` from a checkout (`npx commentinel`, `npm link`): runs the TypeScript source
// through tsx when both are here, else the compiled dist/main.js (`npm run build`). The container
// image runs `node dist/main.js <verb>` directly (its ENTRYPOINT), without this file.
import { existsSync } from "node:fs";
import { URL, fileURLToPath } from "node:url";

const root = new URL("../", import.meta.url);
const source = new URL("src/main.ts", root);

async function tsxRegister() {
  try {
    return (await import("tsx/esm/api")).register;
  } catch {
    return undefined; // a production install: no tsx
  }
}

const register = existsSync(fileURLToPath(source)) ? await tsxRegister() : undefined;
if (register) {
  register();
  await import(source.href);
} else {
  await import(new URL("dist/main.js", root).href);
}
