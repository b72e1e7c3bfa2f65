import { describe, expect, it } from "vitest";
import { cli, EXAMPLES } from "../helpers/cli.js";
import { createTestDb, serverDialect, serverOptions } from "../helpers/db.js";

const SECRET = "TopSecret42";
/** The test server: a wrong password is refused by a real server, not by a closed port. */
const { host, port } = serverOptions();

describe("credentials never reach the output", () => {
  it("a refused password is shown as *** in the error (exit 1: the user's to fix)", async () => {
    const r = cli(["replay", EXAMPLES], {
      MYSQL_URL: `mysql://root:${SECRET}%23x@${host}:${port}/projector_cred`,
    });
    expect(r.status).toBe(1);
    // MySQL 8 asks for a wrong password in full, which is only sent over TLS: the error says how.
    expect(r.stderr).toContain(
      (await serverDialect()) === "mysql" ? "add ?ssl-mode=REQUIRED" : "MySQL refused the credentials",
    );
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

describe("an account with a password", () => {
  it("MySQL 8: over TLS (ssl-mode=REQUIRED) or with allow-public-key-retrieval, else a clear error; MariaDB as it is", async () => {
    const db = await createTestDb("pjpw");
    const user = `pw_${db.name.slice(-8)}`;
    const pw = "s3cret-Pw";
    const url = (query = "") => `mysql://${user}:${pw}@${host}:${port}/${db.name}${query}`;
    try {
      await db.conn.query(`CREATE USER '${user}'@'%' IDENTIFIED BY '${pw}'`);
      await db.conn.query(`GRANT ALL ON \`${db.name}\`.* TO '${user}'@'%'`);
      // Empties caching_sha2_password's cache: the next login asks for the password in full.
      await db.conn.query("FLUSH PRIVILEGES");
      const plain = cli(["migrate"], { MYSQL_URL: url() });
      if ((await serverDialect()) === "mysql") {
        expect(plain.status).toBe(1);
        expect(plain.stderr).toContain("add ?ssl-mode=REQUIRED");
        expect(plain.stderr).toContain(`${user}:***@`);
        expect(plain.stdout + plain.stderr).not.toContain(pw);
        const tls = cli(["migrate"], { MYSQL_URL: url("?ssl-mode=REQUIRED") });
        expect(tls.status, tls.stderr).toBe(0);
        await db.conn.query("FLUSH PRIVILEGES");
        const key = cli(["migrate"], { MYSQL_URL: url("?allow-public-key-retrieval=true") });
        expect(key.status, key.stderr).toBe(0);
      } else {
        expect(plain.status, plain.stderr).toBe(0);
      }
      const [tables] = await db.rows<{ n: number }>(
        "SELECT COUNT(*) n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()",
      );
      expect(Number(tables!.n)).toBeGreaterThan(19);
    } finally {
      await db.conn.query(`DROP USER IF EXISTS '${user}'@'%'`);
      await db.drop();
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
