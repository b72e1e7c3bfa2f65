import { defineConfig } from "vitest/config";

// Three projects: `unit` (pure code, no server: `npm run test:unit`), `integration` (the real
// MariaDB and Kafka broker, which its global setup finds or starts) and `monitoring` (the shipped
// Prometheus and Grafana configuration against a real Prometheus and promtool, and `status --watch`
// in tmux; its set-up installs them from Debian's packages). `npm test` runs all three.
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
      {
        extends: true,
        test: {
          name: "monitoring",
          include: ["test/monitoring/**/*.test.ts"],
          globalSetup: ["test/monitoring/setup.ts"],
        },
      },
    ],
  },
});
