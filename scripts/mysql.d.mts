// Types of scripts/mysql.mjs for the TypeScript that imports it (test setup, bench).
export declare const EMBEDDED_URL: string;
export declare function handshake(
  host: string,
  port: number,
  timeoutMs?: number,
): Promise<string | undefined>;
export declare function startEmbedded(): Promise<string>;
export declare function stopEmbedded(): Promise<void>;
export declare function findMysql(): Promise<string>;
