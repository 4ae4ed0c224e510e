import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Creates and migrates the shared test database once (TEST_DATABASE_URL).
    globalSetup: ["test/global-setup.ts"],
    // Tests share one Postgres and one Redis; files run in parallel but each test isolates its
    // rows (own site) and its queues (own prefix).
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
