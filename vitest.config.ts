import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);

const UNIT_TESTS = "test/unit/**/*.test.ts";

export default defineConfig({
  resolve: {
    // Node loads graphql's CommonJS build for the dependencies (Yoga, Pothos); Vite would give our
    // own files the ESM build, and two graphql instances refuse each other's types. Use one.
    alias: [{ find: /^graphql$/, replacement: require.resolve("graphql") }],
  },
  test: {
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two projects (`--project unit`, `--project database`); `vitest run` runs both. Unit tests
    // open no database, so their project skips the set-up that migrates one (test/README.md).
    projects: [
      { extends: true, test: { name: "unit", include: [UNIT_TESTS] } },
      {
        extends: true,
        test: {
          name: "database",
          include: ["test/**/*.test.ts"],
          exclude: [UNIT_TESTS],
          globalSetup: ["test/support/global-setup.ts"],
        },
      },
    ],
  },
});
