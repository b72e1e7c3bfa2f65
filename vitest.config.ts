import { defineConfig } from "vitest/config";

// Two projects: `unit` (pure code, no server: `npm run test:unit`) and `integration` (the real
// MariaDB and Kafka broker, which its global setup finds or starts). `npm test` runs both.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 180_000,
    projects: [
      { extends: true, test: { name: "unit", include: ["test/unit/**/*.test.ts"] } },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          globalSetup: ["test/global-setup.ts"],
        },
      },
    ],
  },
});
