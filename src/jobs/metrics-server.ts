import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";
import { log } from "../core/log.js";

/**
 * /metrics (Prometheus text, from `registry`), /healthz (the process is alive) and /readyz
 * (consuming and writing), on `host` (loopback unless told otherwise: METRICS_HOST,
 * --metrics-host). `onScrape` is called after each /metrics answer.
 */
export function startMetricsServer(
  host: string,
  port: number,
  registry: Registry,
  ready: () => boolean,
  onScrape?: () => void,
): Server {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/metrics") {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { "content-type": registry.contentType }).end(text, () => onScrape?.());
        },
        (e: unknown) => {
          log.warn("collecting the metrics failed", { error: String(e) });
          res.writeHead(500, { "content-type": "text/plain" }).end("collecting the metrics failed\n");
        },
      );
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
