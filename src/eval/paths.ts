import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file is src/eval/paths.ts). */
export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/**
 * The shared data folder: explicit option, then COMMENTINEL_DATA_DIR from the environment the
 * entry point passes in, then ../shared/data from the repo root.
 */
export function dataDir(option: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  const fromEnv = env.COMMENTINEL_DATA_DIR;
  return resolve(option ?? (fromEnv !== undefined && fromEnv !== "" ? fromEnv : resolve(REPO_ROOT, "../shared/data")));
}

export const YOUTUBE_FOLDER = "youtube-spam-collection";

/** A path as given if it exists (relative to the working directory), else relative to the data folder. */
export function resolveInput(path: string, data: string): string {
  if (isAbsolute(path) || existsSync(path)) return resolve(path);
  const inData = resolve(data, path);
  if (existsSync(inData)) return inData;
  const inYoutube = resolve(data, YOUTUBE_FOLDER, path);
  if (existsSync(inYoutube)) return inYoutube;
  throw new Error(`input not found: ${path} (looked in the working directory and in ${data})`);
}
