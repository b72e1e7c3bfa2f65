// Types of scripts/monitoring-tools.mjs for the TypeScript that imports it (the monitoring tests).
export declare const PROMETHEUS_HOME: string;
export declare function ensurePrometheus(): { prometheus: string; promtool: string };
export declare function ensureTmux(): string;
