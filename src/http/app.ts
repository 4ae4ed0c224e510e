import { HTTPException } from "hono/http-exception";
import type { Deps } from "../deps.js";
import { requestContext } from "./access-log.js";
import { limitBody } from "./body-limit.js";
import { API_SECURE_HEADERS, SECURE_HEADERS, secureHeaders, withHeader } from "./secure-headers.js";
import { consoleRoutes, homeRoutes } from "./console/routes.js";
import { ApiError, errorBody, errorStatus, isUnavailable, RETRY_AFTER_S, type ErrorCode } from "./errors.js";
import { createApi, DOCUMENT_INFO, securitySchemes } from "./openapi.js";
import { docsRoutes } from "./routes/docs.js";
import { formRoutes } from "./routes/form.js";
import { akismetRoutes, akismetSettingsRoutes } from "./routes/akismet.js";
import { siteRuleRoutes } from "./routes/site-rules.js";
import { privacyRoutes } from "./routes/privacy.js";
import { campaignRoutes, campaignSettingsRoutes } from "./routes/campaigns.js";
import { commentRoutes } from "./routes/comments.js";
import { healthRoutes } from "./routes/health.js";
import { metricsRoutes } from "./routes/metrics.js";
import { QUEUES_PATH, queueRoutes } from "./routes/queues.js";
import { moderationRoutes } from "./routes/moderation.js";
import { siteGuardRoutes } from "./routes/site-guard.js";
import { siteRoutes } from "./routes/sites.js";
import { threadRoutes } from "./routes/threads.js";
import { webhookAdminRoutes, webhookSiteRoutes } from "./routes/webhooks.js";

/** The API's answers (JSON, Akismet's text, health and metrics), as opposed to pages. */
const API_PATH = /^\/(v1|1\.[12])\/|^\/(healthz|readyz|metrics)$/;

/** 503 with Retry-After: our envelope on /v1 and the health routes, plain text on Akismet's paths. */
function unavailable(path: string, requestId: string, message: string): Response {
  const headers = { "Retry-After": RETRY_AFTER_S, "X-Request-Id": requestId };
  if (/^\/1\.[12]\//.test(path)) {
    return new Response(`${message} (request ${requestId}).`, { status: 503, headers: { ...headers, "Content-Type": "text/plain; charset=UTF-8" } });
  }
  return Response.json(errorBody("SERVICE_UNAVAILABLE", message, requestId), { status: 503, headers });
}

/**
 * The documented /v1 API, chained so that its type carries every route, for `hono/client`
 * (`ApiType` below). A new route module goes here; see src/http/routes/README.md.
 */
function v1Routes(deps: Deps) {
  return createApi()
    .route("/v1/sites", siteRoutes(deps))
    .route("/v1/comments", commentRoutes(deps))
    .route("/v1/threads", threadRoutes(deps))
    .route("/v1/moderation", moderationRoutes(deps))
    .route("/v1/sites", akismetSettingsRoutes(deps))
    .route("/v1/sites", siteRuleRoutes(deps))
    .route("/v1/sites", privacyRoutes(deps))
    .route("/v1/campaigns", campaignRoutes(deps))
    .route("/v1/sites", campaignSettingsRoutes(deps))
    .route("/v1/sites", siteGuardRoutes(deps))
    .route("/v1", formRoutes())
    // Webhook endpoints: any site's for the admin, its own for a site's API key.
    .route("/v1/sites", webhookAdminRoutes(deps))
    .route("/v1/webhooks", webhookSiteRoutes(deps));
}

/** The /v1 API's type for `hc<ApiType>(baseUrl)` from `hono/client` (README, "API document and typed client"). */
export type ApiType = ReturnType<typeof v1Routes>;

export function createApp(deps: Deps) {
  // An OpenAPIHono: the documented /v1 sub-apps mounted below add their routes to its document.
  const app = createApi();
  const log = deps.log;

  // Order: request id first (every later answer and log line carries it) with the access log and
  // the duration histogram around everything else, then limits.
  app.use("*", requestContext(log));
  // Every request is answered within REQUEST_DEADLINE_MS. A handler still waiting (on a Postgres
  // that restarts, a pool that is full) goes on in the background; its late answer is dropped.
  // One promise and one timer per request (a Promise.race of two with a finally made five).
  app.use("*", async (c, next) => {
    const work = next();
    const outcome = await new Promise<"done" | "expired">((resolve, reject) => {
      const timer = setTimeout(() => resolve("expired"), deps.config.REQUEST_DEADLINE_MS);
      work.then(
        () => {
          clearTimeout(timer);
          resolve("done");
        },
        (err: Error) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
    if (outcome === "done") return;
    work.catch((err: unknown) => log.warn("request failed after its deadline", { requestId: c.var.requestId, error: err }));
    log.warn("request deadline passed", { requestId: c.var.requestId, method: c.req.method, path: c.req.path, deadlineMs: deps.config.REQUEST_DEADLINE_MS });
    return unavailable(c.req.path, c.var.requestId, `No answer within ${deps.config.REQUEST_DEADLINE_MS} ms; retry shortly`);
  });
  app.use(
    "/v1/*",
    limitBody(deps.config.MAX_BODY_BYTES, (c) =>
      c.json(errorBody("PAYLOAD_TOO_LARGE", `The body exceeds ${deps.config.MAX_BODY_BYTES} bytes`, c.var.requestId), 413),
    ),
  );
  // Secure headers on every answer, never over a header a route set itself (the console's CSP and
  // frame policy): hono/secure-headers' full set on pages, the four an API answer needs on the API
  // (see secure-headers.ts). A page elsewhere loads the form helper with <script src>, which CORP
  // same-origin would block.
  app.use("*", secureHeaders((path) => (API_PATH.test(path) ? API_SECURE_HEADERS : SECURE_HEADERS)));
  app.use("/v1/form.js", secureHeaders(withHeader(API_SECURE_HEADERS, "Cross-Origin-Resource-Policy", "cross-origin")));

  app.route("/", healthRoutes(deps));
  // The moderation console (server-rendered pages) and the index page that links to it.
  app.route("/", homeRoutes());
  app.route("/moderate", consoleRoutes(deps));
  app.route("/", v1Routes(deps));
  // Akismet's REST API (/1.1, /1.2) in its own wire format.
  app.route("/", akismetRoutes(deps));
  // The API document of every route mounted above, and its interactive page.
  for (const [name, scheme] of Object.entries(securitySchemes)) app.openAPIRegistry.registerComponent("securitySchemes", name, scheme);
  app.route("/", docsRoutes(() => app.getOpenAPI31Document(DOCUMENT_INFO)));
  // Operators: Prometheus metrics and the queue dashboard, both behind the admin token.
  app.route("/", metricsRoutes(deps));
  app.route(QUEUES_PATH, queueRoutes(deps));

  app.notFound((c) => c.json(errorBody("NOT_FOUND", `No route for ${c.req.method} ${c.req.path}`, c.var.requestId), 404));

  app.onError((err, c) => {
    const requestId = c.var.requestId;
    if (err instanceof ApiError) {
      if (err.code === "SERVICE_UNAVAILABLE") c.header("Retry-After", RETRY_AFTER_S);
      return c.json(errorBody(err.code, err.message, requestId, err.details), err.status);
    }
    if (err instanceof HTTPException && err.status >= 400 && err.status < 500) {
      // A 4xx thrown by Hono or a library (zod-openapi's media-type gate): our envelope, its words.
      const code = (Object.keys(errorStatus) as ErrorCode[]).find((k) => errorStatus[k] === err.status) ?? "BAD_REQUEST";
      return c.json(errorBody(code, err.message || code, requestId), errorStatus[code]);
    }
    if (isUnavailable(err)) {
      log.warn("dependency unavailable", { requestId, error: err });
      return unavailable(c.req.path, requestId, "A backing service is unavailable; retry shortly");
    }
    // Never echo err.message: it may carry SQL or internals. The log has it, keyed by request id.
    log.error("unhandled error", { requestId, method: c.req.method, path: c.req.path, error: err });
    return c.json(errorBody("INTERNAL", "Internal error", requestId), 500);
  });

  return app;
}

export type App = ReturnType<typeof createApp>;
