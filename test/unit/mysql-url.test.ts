import { describe, expect, it } from "vitest";
import { DatabaseError } from "../../src/core/database-error.js";
import { isAccessDenied, isConnectionError, needsSecureAuth } from "../../src/sink/mysql-errors.js";
import { parseMysqlUrl, scrub } from "../../src/sink/mysql-url.js";

describe("parseMysqlUrl", () => {
  it("takes user, percent-encoded password, host, port and database; prints the password masked", () => {
    const t = parseMysqlUrl("mysql://app:p%23ss%2Fw%3Frd@db.example:3307/shop");
    expect(t.options).toMatchObject({ user: "app", password: "p#ss/w?rd", host: "db.example", port: 3307 });
    expect(t.database).toBe("shop");
    expect(t.display).toBe("mysql://app:***@db.example:3307/shop");
    expect(scrub("Access denied (using password p#ss/w?rd)", t.secrets)).toBe(
      "Access denied (using password ***)",
    );
  });

  it("keeps an '@' of the password (the last '@' ends the user part)", () => {
    const t = parseMysqlUrl("mysql://app:p@ss@127.0.0.1/shop");
    expect(t.options).toMatchObject({ password: "p@ss", host: "127.0.0.1" });
    expect(t.display).not.toContain("p@ss");
  });

  it.each([
    ["#", "mysql://root:1234#TopSecret@127.0.0.1:3306/rev_pw"],
    ["/", "mysql://root:/TopSecret@127.0.0.1:3306/rev_pw"],
    ["?", "mysql://root:?TopSecret@127.0.0.1:3306/rev_pw"],
    ["? and =", "mysql://root:?tok=TopSecret@127.0.0.1:3306/rev_pw"],
    ["? after digits", "mysql://root:3306?tok=TopSecret@127.0.0.1:3306/rev_pw"],
  ])("refuses a password with an unencoded %s, without echoing it", (_, url) => {
    let message = "";
    try {
      parseMysqlUrl(url);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain("percent-encode");
    expect(message).not.toContain("TopSecret");
  });

  it("accepts an '@' inside a query value after a user part", () => {
    expect(parseMysqlUrl("mysql://root@127.0.0.1/shop?tag=a@b").database).toBe("shop");
  });

  it("TLS and MySQL 8's public key retrieval come from the query, off unless asked", () => {
    const plain = parseMysqlUrl("mysql://u:p@db:3306/shop").options;
    expect(plain.ssl).toBeUndefined();
    expect(plain.allowPublicKeyRetrieval).toBeUndefined();
    expect(parseMysqlUrl("mysql://u:p@db/shop?ssl-mode=REQUIRED").options.ssl).toEqual({
      rejectUnauthorized: false,
    });
    expect(
      parseMysqlUrl("mysql://u:p@db/shop?allow-public-key-retrieval=true").options.allowPublicKeyRetrieval,
    ).toBe(true);
    expect(
      parseMysqlUrl("mysql://u:p@db/shop?allow-public-key-retrieval=yes").options.allowPublicKeyRetrieval,
    ).toBeUndefined();
  });
});

describe("errors of a MySQL 8 login", () => {
  it("caching_sha2_password without TLS is the user's to fix, not an outage to wait out", () => {
    const e = new DatabaseError(
      "MySQL mysql://u:***@db/shop: …",
      undefined,
      "PUBLIC_KEY_RETRIEVAL_NOT_ALLOWED",
      false,
    );
    expect(needsSecureAuth(e)).toBe(true);
    expect(isAccessDenied(e)).toBe(true);
    expect(
      isConnectionError(
        Object.assign(new Error("x"), { code: "PUBLIC_KEY_RETRIEVAL_NOT_ALLOWED", fatal: true }),
      ),
    ).toBe(false);
    expect(isConnectionError(Object.assign(new Error("x"), { code: "ECONNREFUSED", fatal: true }))).toBe(
      true,
    );
  });
});
