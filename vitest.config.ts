import { defineConfig } from "vitest/config";
import { isDroppedTypeFetch } from "./src/db/client.js";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Creates and migrates the shared test database once (TEST_DATABASE_URL).
    globalSetup: ["test/global-setup.ts"],
    // Tests share one Postgres and one Redis; files run in parallel but each test isolates its
    // rows (own site) and its queues (own prefix).
    testTimeout: 30_000,
    // The tests that cut Postgres connections can hit postgres.js's dropped type-fetch promise
    // (see isDroppedTypeFetch); main.ts logs it too instead of treating it as a crash.
    onUnhandledError: (error) => !isDroppedTypeFetch(error),
    hookTimeout: 60_000,
  },
});
