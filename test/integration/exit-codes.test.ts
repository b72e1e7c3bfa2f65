import { cpSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, EXAMPLES, REPO } from "../helpers/cli.js";
import { serverDialect, serverKeyCollation } from "../helpers/db.js";
import { MAIN_BROKER } from "../helpers/kafka/context.js";
import { testScope } from "../helpers/kafka/scope.js";

/**
 * The exit codes of the README's contract: 1 for what the user must fix (a bad spec, a bad flag,
 * refused credentials), 2 for a server that cannot be reached, 70 only for bugs; never a stack trace
 * for the first two.
 */
const scope = testScope();
const noStack = (out: string) => {
  expect(out).not.toContain("internal error");
  expect(out).not.toMatch(/\n\s+at /);
};
const SASL = {
  KAFKA_SASL_MECHANISM: "plain",
  KAFKA_SASL_USERNAME: "someone",
  KAFKA_SASL_PASSWORD: "Pa55-never-printed",
};

describe("exit codes", () => {
  it("a spec whose YAML aliases explode: 1, with file:line:col", () => {
    const dir = mkdtempSync(join(tmpdir(), "pj-bomb-"));
    cpSync(join(REPO, "test/fixtures/broken-specs/yaml-alias-bomb/shop.yaml"), join(dir, "shop.yaml"));
    const r = cli(["validate", "--projections", dir]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("shop.yaml:2:8: YAML aliases here expand to too many nodes");
    noStack(r.stderr);
    const run = cli(["replay", EXAMPLES, "--projections", dir]);
    expect(run.status).toBe(1);
    noStack(run.stderr);
  });

  it("emit when the broker refuses the SASL handshake: 1, no stack trace, no password", async () => {
    const { env } = await scope.kafka(1);
    const r = cli(["emit", EXAMPLES], { ...env, ...SASL });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`Kafka at ${MAIN_BROKER} refused the SASL authentication`);
    expect(r.stdout + r.stderr).not.toContain(SASL.KAFKA_SASL_PASSWORD);
    noStack(r.stderr);
  });

  it("run when the broker refuses the SASL handshake: 1 (it does not wait for it to change its mind)", async () => {
    const { env } = await scope.kafka(1);
    const r = cli(["run", "--until-caught-up"], { ...env, ...SASL });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("refused the SASL authentication");
    expect(r.stdout + r.stderr).not.toContain(SASL.KAFKA_SASL_PASSWORD);
    noStack(r.stderr);
  });

  it("emit to a broker that does not answer: 2", () => {
    const f = join(mkdtempSync(join(tmpdir(), "pj-emit-")), "one.jsonl");
    writeFileSync(f, `${JSON.stringify({ event_type: "user.login", entity_id: "x", data: {} })}\n`);
    const r = cli(["emit", f], { KAFKA_BROKERS: "127.0.0.1:1" });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("cannot reach Kafka at 127.0.0.1:1");
    noStack(r.stderr);
  });

  it("status without Kafka: 2, after printing what MySQL knows", async () => {
    const db = await scope.db();
    expect(cli(["replay", EXAMPLES], { MYSQL_URL: db.url }).status).toBe(0);
    const r = cli(["status"], { MYSQL_URL: db.url, KAFKA_BROKERS: "127.0.0.1:1" });
    expect(r.status).toBe(2);
    expect(r.stdout).toContain("total lag: unknown (Kafka unreachable)");
    expect(r.stdout).toMatch(/\n {2}users\s+2 {2}current\n/);
    expect(r.stdout).toContain(
      `dialect: ${await serverDialect()} (key columns compare with ${await serverKeyCollation()})`,
    );
    noStack(r.stderr);
    const json = cli(["status", "--json"], { MYSQL_URL: db.url, KAFKA_BROKERS: "127.0.0.1:1" });
    expect(json.status).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ total_lag: null, rows: { users: 2 } });
  });

  it("a malformed MYSQL_URL is a bad setting: 1", () => {
    const r = cli(["replay", EXAMPLES], { MYSQL_URL: "postgres://x@y/z" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("MYSQL_URL must start with mysql://");
    noStack(r.stderr);
  });
});
