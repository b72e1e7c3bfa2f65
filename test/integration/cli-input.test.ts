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

describe("input checked before anything is written", () => {
  it("replay checks its number flags before the MySQL URL", () => {
    const r = cli(["replay", EXAMPLES, "--batch-size", "0", "--mysql-url", "bogus://x"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("--batch-size must be a positive integer");
  });

  it("rebuild --from an empty name or a missing file is refused, and creates nothing", async () => {
    const db = await createTestDb("pjfrom");
    try {
      const url = `mysql://root@${host}:${port}/${db.name}`;
      const empty = cli(["rebuild", "orders", "--from", ""], { MYSQL_URL: url });
      expect(empty.status).toBe(1);
      expect(empty.stderr).toContain("--from needs a JSONL file");
      const missing = cli(["rebuild", "orders", "--from", "no/such/file.jsonl"], { MYSQL_URL: url });
      expect(missing.status).toBe(1);
      expect(missing.stderr).toContain("cannot read no/such/file.jsonl: no such file");
      expect(missing.stderr).not.toContain("internal error");
      const [tables] = await db.rows<{ n: number }>(
        "SELECT COUNT(*) n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()",
      );
      expect(Number(tables!.n)).toBe(0);
    } finally {
      await db.drop();
    }
  });

  it("dead-letters list, show and purge on a database that does not exist: no letters, nothing created", async () => {
    const name = `pj_nodb_${process.pid}`;
    const url = `mysql://root@${host}:${port}/${name}`;
    const list = cli(["dead-letters", "list"], { MYSQL_URL: url });
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toContain("no dead letters match");
    const json = cli(["dead-letters", "list", "--json"], { MYSQL_URL: url });
    expect(JSON.parse(json.stdout)).toEqual([]);
    const show = cli(["dead-letters", "show", "1"], { MYSQL_URL: url });
    expect(show.status).toBe(1);
    expect(show.stderr).toContain("no dead letter with id 1");
    const purge = cli(["dead-letters", "purge", "--yes", "--json"], { MYSQL_URL: url });
    expect(purge.status, purge.stderr).toBe(0);
    expect(JSON.parse(purge.stdout)).toMatchObject({ matching: 0, purged: 0 });
    const db = await createTestDb("pjprobe");
    try {
      const [found] = await db.rows<{ n: number }>(
        "SELECT COUNT(*) n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
        [name],
      );
      expect(Number(found!.n)).toBe(0);
    } finally {
      await db.drop();
    }
  });
});
