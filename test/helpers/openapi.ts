import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

/** The parts of an OpenAPI 3.1 document these tests read. */
export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
}

const DOC_ID = "https://commentinel.test/openapi.json";

/**
 * Validates answers against the document's response schemas with ajv (JSON Schema 2020-12, the
 * dialect of OpenAPI 3.1). `$ref`s point into the document's components, registered under one id.
 */
export function responseValidator(doc: OpenApiDocument) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  const rebase = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(rebase);
    if (node && typeof node === "object") {
      return Object.fromEntries(
        Object.entries(node).map(([k, v]) => [k, k === "$ref" && typeof v === "string" && v.startsWith("#/") ? `${DOC_ID}${v}` : rebase(v)]),
      );
    }
    return node;
  };
  ajv.addSchema({ $id: DOC_ID, components: rebase(doc.components) });
  const templates = Object.keys(doc.paths).map((template) => ({
    template,
    re: new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`),
  }));
  const compiled = new Map<string, ValidateFunction>();

  /** The problems with this answer, or [] when the document describes it. */
  return function problems(method: string, url: string, status: number, body: unknown): string[] {
    const path = new URL(url, "http://x").pathname;
    const found = templates.find((t) => t.re.test(path));
    if (!found) return [`no documented path matches ${path}`];
    const op = doc.paths[found.template]?.[method.toLowerCase()];
    if (!op) return [`${method} ${found.template} is not documented`];
    const response = op.responses[String(status)];
    if (!response) return [`${method} ${found.template} does not document status ${status}`];
    const schema = response.content?.["application/json"]?.schema;
    if (!schema) return body === undefined ? [] : [`${method} ${found.template} ${status} documents no JSON body`];
    const key = `${method} ${found.template} ${status}`;
    let validate = compiled.get(key);
    if (!validate) {
      validate = ajv.compile(rebase(schema) as object);
      compiled.set(key, validate);
    }
    return validate(body) ? [] : (validate.errors ?? []).map((e) => `${key}: ${e.instancePath || "/"} ${e.message ?? ""}`);
  };
}
