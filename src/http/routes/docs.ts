import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Hono } from "hono";
import type { AppEnv } from "../types.js";

/** Swagger UI's files, read from the npm package (swagger-ui-dist): the page loads nothing from a CDN. */
const SWAGGER_DIR = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));

const ASSETS = {
  "swagger-ui.css": { file: "swagger-ui.css", type: "text/css; charset=utf-8" },
  "swagger-ui-bundle.js": { file: "swagger-ui-bundle.js", type: "text/javascript; charset=utf-8" },
  "favicon-32x32.png": { file: "favicon-32x32.png", type: "image/png" },
} as const;

// Relative URLs, so the page works behind a proxy that mounts the service under a path.
// validatorUrl null: Swagger UI would otherwise send the document to validator.swagger.io.
const INIT = `window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({ url: "openapi.json", dom_id: "#swagger-ui", deepLinking: true, validatorUrl: null, persistAuthorization: false });
});
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Commentinel API</title>
<link rel="stylesheet" href="docs/swagger-ui.css">
<link rel="icon" type="image/png" href="docs/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/swagger-ui-bundle.js"></script>
<script src="docs/init.js"></script>
</body>
</html>
`;

/**
 * `GET /openapi.json` (the OpenAPI 3.1 document, built once from the routes' zod schemas) and
 * `GET /docs` (Swagger UI on that document). Both public: the document says no more than the README.
 */
export function docsRoutes(document: () => unknown) {
  const app = new Hono<AppEnv>();
  let cached: string | undefined;
  const files = new Map<string, Buffer>();

  app.get("/openapi.json", (c) => {
    cached ??= JSON.stringify(document());
    return c.body(cached, 200, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-cache" });
  });
  app.get("/docs", (c) => c.html(PAGE));
  app.get("/docs/init.js", (c) => c.body(INIT, 200, { "Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "public, max-age=3600" }));
  app.get("/docs/:file", (c) => {
    const name = c.req.param("file");
    const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name as keyof typeof ASSETS] : undefined;
    if (!asset) return c.notFound();
    let body = files.get(name);
    if (!body) {
      body = readFileSync(join(SWAGGER_DIR, asset.file));
      files.set(name, body);
    }
    return c.body(new Uint8Array(body), 200, { "Content-Type": asset.type, "Cache-Control": "public, max-age=86400" });
  });
  return app;
}
