import { describe, expect, it } from "vitest";
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
});
