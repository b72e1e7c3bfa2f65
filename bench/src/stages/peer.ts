import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseMysqlUrl } from "../../../src/sink/mysql-url.js";
import {
  CONNECT_VERSION,
  CpuSplit,
  DEBEZIUM_JDBC_VERSION,
  ensureConnectJars,
  MARIADB_DRIVER_VERSION,
  startConnect,
} from "../lib/connect.js";
import { checksum, watchUntil } from "../lib/flat.js";
import { flatChecksums, produceAll, theFlatWorkload, windowFigures } from "../lib/flat-side.js";
import { freePort } from "../lib/http.js";
import { info } from "../lib/log.js";
import { connect } from "../lib/mysql.js";
import { round } from "../lib/numbers.js";
import { OUT, ROOT } from "../lib/paths.js";
import type { Stage } from "../lib/stage.js";

/** A .properties file of bench/peer/ (comments and blank lines left out). */
function properties(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(join(ROOT, "bench", "peer", file), "utf8").split("\n")) {
    const t = line.trim();
    if (t === "" || t.startsWith("#")) continue;
    const i = t.indexOf("=");
    out[t.slice(0, i).trim()] = t.slice(i + 1).trim();
  }
  return out;
}

/**
 * peer: the same users rows through Kafka Connect standalone and the Debezium JDBC sink
 * (bench/peer/*.properties), from a topic of the rows already flattened by projector's mapping, as
 * Connect JSON with schemas (which favours the peer: it does no mapping). Measured as the flat stage
 * is, from the first row committed to the last; the table must end equal to the flat stage's
 * (CHECKSUM TABLE), else the stage is an error.
 */
export const peer: Stage = {
  name: "peer",
  label: "flat users (Debezium JDBC sink)",
  quiesce: true,
  async run(ctx) {
    const { config } = ctx;
    await ctx.kafka.ensureBroker();
    ensureConnectJars();
    const w = theFlatWorkload(ctx);
    const { db, url } = await ctx.databases.fresh("peer");
    const stageEnv = ctx.kafka.stageEnv("peer", url);
    const topic = `${stageEnv.prefix}users-flat`;
    const produced = await produceAll(ctx.kafka, topic, config.flat_partitions, w.flat);
    const name = `bench-${ctx.runId}-peer`;
    ctx.kafka.addGroup(`connect-${name}`); // a sink connector's group
    const target = parseMysqlUrl(url);
    const o = target.options as { host?: string; port?: number; user?: string; password?: string };
    const connector = {
      ...properties("connector.properties"),
      name,
      topics: topic,
      "tasks.max": String(config.flat_partitions),
      "connection.url": `jdbc:mariadb://${o.host ?? "127.0.0.1"}:${o.port ?? 3306}/${target.database}`,
      "connection.username": o.user ?? "root",
      "connection.password": o.password ?? "",
    };
    const worker = {
      ...properties("worker.properties"),
      "bootstrap.servers": config.kafka_brokers,
      listeners: `http://127.0.0.1:${await freePort()}`,
      "offset.storage.file.filename": join(OUT, "peer", `offsets-${ctx.runId}`),
    };
    info(
      `peer: ${w.events} flat records on ${config.flat_partitions} partitions, Connect ${CONNECT_VERSION} + Debezium JDBC ${DEBEZIUM_JDBC_VERSION}`,
    );
    const conn = await connect(url);
    const started = performance.now();
    const proc = startConnect(worker, connector, join(OUT, "peer"));
    let alive = true;
    void proc.exited.then(() => {
      alive = false;
    });
    try {
      const cpu = new CpuSplit();
      const seen = await watchUntil(conn, db, w.expected.lastWins, {
        timeoutMs: 900_000,
        alive: () => alive,
        onFirstRow: () => cpu.begin(proc.child.pid),
        onPoll: () => cpu.sampleWriter(proc.child.pid),
      });
      const split = cpu.end((seen.doneAt - seen.firstRowAt) / 1000);
      const rss = proc.peakRssMb();
      await proc.stop();
      const sum = await checksum(conn, db);
      const want = flatChecksums.get(ctx.runId);
      if (want !== undefined && want !== sum)
        throw new Error(
          `the peer's users table differs from projector's (CHECKSUM ${sum} vs ${want}): not a figure`,
        );
      const figures = windowFigures(w, config.flat_partitions, seen, started, {
        produceSeconds: produced.seconds,
        checksum: sum,
        cpu: split,
      });
      return {
        ...figures,
        max_rss_mb: rss,
        same_as_flat: want === undefined ? null : want === sum,
        versions: {
          connect: CONNECT_VERSION,
          debezium_jdbc: DEBEZIUM_JDBC_VERSION,
          mariadb_jdbc: MARIADB_DRIVER_VERSION,
        },
        notes: `Connect ${CONNECT_VERSION}, Debezium JDBC ${DEBEZIUM_JDBC_VERSION}; JVM start to done ${round(figures.wall_seconds_from_start, 1)} s; ${want === undefined ? "not compared (flat did not run)" : "CHECKSUM = flat"}`,
      };
    } finally {
      await proc.stop();
      await conn.end();
    }
  },
};
