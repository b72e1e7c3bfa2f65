#!/usr/bin/env node
// Replays the Dockerfile's build outside Docker (CI has no Docker engine): the build stage's WORKDIR,
// COPY and RUN steps (npm ci, build, npm prune --omit=dev) in a scratch folder, then the runtime
// stage's COPY --from=build into a second one, and runs the image's ENTRYPOINT there with
// `validate`, `ddl`, `test` and `generate`. A broken `npm ci`, a file the image forgets or a runtime
// dependency declared as a dev dependency fails this.
//
//   node scripts/image-check.mjs [--keep]
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const keep = process.argv.includes("--keep");
const scratch = mkdtempSync(join(tmpdir(), "projector-image-"));
const log = (msg) => console.log(`image-check: ${msg}`);
const die = (msg) => {
  console.error(`image-check: FAILED: ${msg}`);
  if (!keep) rmSync(scratch, { recursive: true, force: true });
  process.exit(1);
};

/** The Dockerfile's instructions, continuation lines joined, comments dropped, grouped by stage. */
function stages(text) {
  const lines = text
    .replace(/\\\r?\n/g, " ")
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  const out = [];
  for (const line of lines) {
    const [, op, rest] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    if (!op) continue;
    if (op.toUpperCase() === "FROM") {
      const alias = /\sAS\s+(\S+)/i.exec(rest)?.[1];
      out.push({ alias, steps: [] });
    } else out.at(-1)?.steps.push({ op: op.toUpperCase(), rest });
  }
  return out;
}

/** `["a", "b"]` (exec form) or a shell string. */
function args(rest) {
  return rest.startsWith("[") ? JSON.parse(rest) : rest.split(/\s+/);
}

const dockerfile = readFileSync(join(repo, "Dockerfile"), "utf8");
const [build, runtime] = stages(dockerfile);
if (!build?.alias || !runtime) die("expected a build stage (FROM … AS name) and a runtime stage");
const dirs = { [build.alias]: join(scratch, "build"), runtime: join(scratch, "runtime") };

/** Runs one stage: `/app` of the image is the stage's folder in the scratch space. */
function runStage(stage, root) {
  let workdir = root;
  let image = "/";
  /** ENV of the image, its paths still the image's (mapped when the stage is done). */
  const raw = {};
  const local = (p) => join(root, resolve(image === "/" ? "/" : image, p));
  for (const { op, rest } of stage.steps) {
    switch (op) {
      case "WORKDIR":
        image = resolve(image, rest);
        workdir = local(".");
        mkdirSync(workdir, { recursive: true });
        break;
      case "ENV": {
        const [, k, v] = /^(\S+?)[=\s]\s*(.*)$/.exec(rest) ?? [];
        raw[k] = v;
        break;
      }
      case "COPY": {
        const parts = args(rest);
        const from = parts[0]?.startsWith("--from=") ? parts.shift().slice(7) : undefined;
        const dest = parts.pop();
        for (const src of parts) {
          const source = from ? join(dirs[from], src) : join(repo, src);
          if (!existsSync(source)) die(`COPY ${src}: ${source} does not exist`);
          // `COPY a b ./` copies files into the folder; `COPY dir ./dir` copies the folder's contents.
          const target = dest.endsWith("/") ? join(local(dest), src.split("/").pop()) : local(dest);
          cpSync(source, target, { recursive: true });
        }
        break;
      }
      case "RUN": {
        log(`RUN ${rest}`);
        const r = spawnSync("sh", ["-c", rest], {
          cwd: workdir,
          env: { ...process.env, ...raw },
          stdio: "inherit",
        });
        if (r.status !== 0) die(`RUN ${rest} exited ${r.status}`);
        break;
      }
      case "USER":
      case "EXPOSE":
      case "HEALTHCHECK":
      case "CMD":
      case "ARG":
      case "LABEL":
        break;
      case "ENTRYPOINT":
        stage.entrypoint = args(rest);
        break;
      default:
        die(`unsupported Dockerfile instruction ${op}`);
    }
  }
  // Paths inside the image (under its WORKDIR) are paths under the stage's folder here.
  const host = (v) => (image !== "/" && (v === image || v.startsWith(`${image}/`)) ? join(root, v) : v);
  const env = { ...process.env };
  for (const [k, v] of Object.entries(raw)) env[k] = host(v);
  if (stage.entrypoint) stage.entrypoint = stage.entrypoint.map(host);
  return { workdir, env };
}

log(`build stage in ${dirs[build.alias]}`);
runStage(build, dirs[build.alias]);
log(`runtime stage in ${dirs.runtime}`);
const { workdir, env } = runStage(runtime, dirs.runtime);
if (!runtime.entrypoint) die("the runtime stage has no ENTRYPOINT");
const [cmd, ...base] = runtime.entrypoint;
// From another folder than the image's, as the image runs it from any working directory.
const cwd = mkdtempSync(join(scratch, "cwd-"));
const checks = [
  [["validate"], /^ok: \d+ files, \d+ tables/],
  [["ddl"], /CREATE TABLE IF NOT EXISTS `users`/],
  [["test"], / passed, 0 failed/],
  [["generate", "--count", "50", "--seed", "3"], /"event_type"/],
  [["--help"], /Usage: projector/],
];
for (const [extra, expected] of checks) {
  const r = spawnSync(cmd === "node" ? process.execPath : cmd, [...base, ...extra], {
    cwd,
    env,
    encoding: "utf8",
  });
  if (r.status !== 0 || !expected.test(r.stdout))
    die(
      `projector ${extra.join(" ")} in the pruned image exited ${r.status}:\n${r.stdout.slice(0, 2000)}${r.stderr}`,
    );
  log(`ok: projector ${extra.join(" ")}`);
}
if (keep) log(`kept ${scratch}`);
else rmSync(scratch, { recursive: true, force: true });
log(`the image's build steps and its pruned tree work (${workdir.replace(scratch, "<scratch>")})`);
