import { describe, expect, it } from "vitest";
import { cli, EXAMPLES } from "../helpers/cli.js";
import { serverOptions } from "../helpers/db.js";

const SECRET = "TopSecret42";
/** The test server: a wrong password is refused by a real server, not by a closed port. */
const { host, port } = serverOptions();

describe("credentials never reach the output", () => {
  it("a refused password is shown as *** in the error (exit 1: the user's to fix)", () => {
    const r = cli(["replay", EXAMPLES], {
      MYSQL_URL: `mysql://root:${SECRET}%23x@${host}:${port}/projector_cred`,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("MySQL refused the credentials");
    expect(r.stderr).toContain(`root:***@${host}`);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });

  it.each(["#", "/", "?"])("a password with an unencoded %s is refused without echoing it", (c) => {
    for (const command of ["replay", "status", "migrate"]) {
      const args = command === "replay" ? ["replay", EXAMPLES] : [command];
      const r = cli(args, { MYSQL_URL: `mysql://root:1${c}${SECRET}@${host}:${port}/projector_cred` });
      expect(r.status, command).toBe(1);
      expect(r.stderr).toContain("percent-encode");
      expect(r.stdout + r.stderr).not.toContain(SECRET);
    }
  });
});

describe("numeric flags", () => {
  it.each([
    [["run", "--batch-size", "0"], "--batch-size must be a positive integer"],
    [["run", "--batch-size", "abc"], "--batch-size must be a positive integer"],
    [["run", "--metrics-port", "x"], "--metrics-port must be an integer from 0 to 65535"],
    [["run", "--metrics-port", "70000"], "--metrics-port must be an integer from 0 to 65535"],
    [["replay", EXAMPLES, "--linger-ms", "-1"], "--linger-ms must be a non-negative integer"],
    [["replay", EXAMPLES, "--max-retries", "z"], "--max-retries must be a non-negative integer"],
    [["emit", EXAMPLES, "--batch-size", "0"], "--batch-size must be a positive integer"],
  ])("%j is refused at once (run used to wait forever with --batch-size 0)", (args, message) => {
    const r = cli(args, {
      MYSQL_URL: "mysql://root@127.0.0.1:3306/projector_cli_input",
      KAFKA_BROKERS: "127.0.0.1:1",
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(message);
  });
});
