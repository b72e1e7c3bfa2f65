import { createServer, type Server } from "node:http";
import { log } from "../core/log.js";

/**
 * /metrics (Prometheus text), /healthz (the process is alive) and /readyz (consuming and writing),
 * on `host` (loopback unless told otherwise: METRICS_HOST, --metrics-host).
 */
export function startMetricsServer(
  host: string,
  port: number,
  metrics: () => string,
  ready: () => boolean,
): Server {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/metrics") {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(metrics());
    } else if (path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    } else if (path === "/readyz") {
      const ok = ready();
      res.writeHead(ok ? 200 : 503, { "content-type": "text/plain" }).end(ok ? "ready\n" : "not ready\n");
    } else {
      res.writeHead(404).end();
    }
  });
  server.listen(port, host, () => log.info("metrics listening", { host, port }));
  return server;
}
