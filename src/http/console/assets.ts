import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

/**
 * The console's static files, read once from `assets/` next to this module (the build copies them
 * into dist/). Each is served under a name carrying its content hash, so it can be cached for a year
 * and a new release is fetched at once. Nothing comes from a CDN.
 */
export interface Asset {
  /** URL path, e.g. `/moderate/static/console.3f2a9c1e0b.js`. */
  path: string;
  body: Buffer;
  type: string;
}

const FILES = { "console.js": "text/javascript; charset=utf-8", "console.css": "text/css; charset=utf-8" } as const;
export type AssetName = keyof typeof FILES;

export function loadAssets(prefix: string): { byName: Record<AssetName, Asset>; byPath: Map<string, Asset> } {
  const byName = {} as Record<AssetName, Asset>;
  const byPath = new Map<string, Asset>();
  for (const [name, type] of Object.entries(FILES) as [AssetName, string][]) {
    const body = readFileSync(new URL(`./assets/${name}`, import.meta.url));
    const hash = createHash("sha256").update(body).digest("hex").slice(0, 12);
    const dot = name.lastIndexOf(".");
    const asset = { path: `${prefix}/${name.slice(0, dot)}.${hash}${name.slice(dot)}`, body, type };
    byName[name] = asset;
    byPath.set(asset.path, asset);
  }
  return { byName, byPath };
}
