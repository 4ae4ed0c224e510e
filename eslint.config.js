// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "migrations/", "coverage/", ".data/"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Unhandled promises in queue and shutdown code lose comments silently.
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // The classifier is pure: no I/O, no clock, no environment, so it runs the same in the worker,
    // the eval CLI and the benchmarks.
    files: ["src/classifier/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["node:*", "fs", "path", "http", "net", "postgres", "pg", "ioredis", "bullmq", "drizzle-orm", "drizzle-orm/*", "hono", "hono/*", "natural", "../db/*", "../http/*", "../queue/*", "../worker/*", "../config.js"],
              message: "src/classifier is pure code: no I/O libraries.",
            },
          ],
        },
      ],
      "no-restricted-globals": ["error", "process", "Date", "fetch", "setTimeout", "setInterval"],
    },
  },
  {
    // HTTP routes and the domain layer go through db/queries, never raw SQL.
    files: ["src/http/**", "src/comments/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        { paths: [{ name: "postgres", message: "Use src/db/queries." }, { name: "drizzle-orm", message: "Use src/db/queries." }] },
      ],
    },
  },
  {
    // Akismet's calls reach Postgres only through comments/, like every entry point (types aside).
    files: ["src/akismet/**"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          paths: [{ name: "postgres", message: "Go through src/comments." }, { name: "drizzle-orm", message: "Go through src/comments." }],
          patterns: [{ group: ["../db/*", "../db/**"], message: "Go through src/comments.", allowTypeImports: true }],
        },
      ],
    },
  },
  {
    files: ["**/*.js"],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The console's one browser script (served as is, no build step).
    files: ["src/http/console/assets/*.js"],
    languageOptions: {
      sourceType: "script",
      globals: Object.fromEntries(
        ["document", "window", "location", "fetch", "FormData", "URLSearchParams", "DOMParser", "HTMLElement", "HTMLFormElement", "HTMLInputElement", "setTimeout", "clearTimeout"].map((g) => [g, "readonly"]),
      ),
    },
  },
);
