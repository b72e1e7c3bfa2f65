#!/usr/bin/env node
// The tools the monitoring tests run, installed from Debian's packages when missing:
//   - prometheus and promtool (package `prometheus`, 2.42 on Debian 12): `apt-get download`ed and
//     unpacked into the git-ignored .prometheus/ (only the two binaries are used). Not `apt-get
//     install`: its maintainer script starts a system Prometheus listening on every interface.
//   - tmux (package `tmux`): `apt-get install`, as it is (no service).
// A missing package list is fetched once (`apt-get update`). Needs root (as on CI and the dev
// machines) only when something must be installed.
//   node scripts/monitoring-tools.mjs          # install what is missing, print the tools' paths
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** Where the Prometheus binaries and the tests' data directories live (git-ignored). */
export const PROMETHEUS_HOME = join(repo, ".prometheus");
const bin = join(PROMETHEUS_HOME, "bin");

const log = (msg) => process.stderr.write(`monitoring-tools: ${msg}\n`);

function works(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: "ignore" });
  return r.status === 0;
}

const apt = (args, cwd) =>
  execFileSync("apt-get", ["-q", "-o", "APT::Sandbox::User=root", ...args], {
    cwd,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });

/** Runs an apt-get step; when it fails (no or old package lists), updates the lists once and tries again. */
let updated = false;
function withLists(step) {
  try {
    step();
  } catch (e) {
    if (updated) throw e;
    log("apt-get failed; updating the package lists and trying again");
    apt(["update"]);
    updated = true;
    step();
  }
}

/** prometheus and promtool from Debian's package, unpacked into .prometheus/bin. */
export function ensurePrometheus() {
  const tools = { prometheus: join(bin, "prometheus"), promtool: join(bin, "promtool") };
  if (works(tools.promtool, ["--version"]) && works(tools.prometheus, ["--version"])) return tools;
  const debs = join(PROMETHEUS_HOME, "deb");
  rmSync(debs, { recursive: true, force: true });
  mkdirSync(debs, { recursive: true });
  log("downloading Debian's prometheus package");
  withLists(() => apt(["download", "prometheus"], debs));
  const deb = readdirSync(debs).find((f) => /^prometheus_.*\.deb$/.test(f));
  if (!deb) throw new Error("apt-get download prometheus left no .deb");
  const root = join(debs, "root");
  execFileSync("dpkg-deb", ["-x", join(debs, deb), root]);
  mkdirSync(bin, { recursive: true });
  for (const t of ["prometheus", "promtool"]) copyFileSync(join(root, "usr", "bin", t), tools[t]);
  rmSync(debs, { recursive: true, force: true });
  if (!works(tools.promtool, ["--version"])) throw new Error(`${tools.promtool} does not run`);
  log(`installed ${deb.replace(/\.deb$/, "")} into ${bin}`);
  return tools;
}

/** tmux, installed with apt-get when missing. */
export function ensureTmux() {
  if (works("tmux", ["-V"])) return "tmux";
  log("installing tmux");
  withLists(() => apt(["install", "-y", "--no-install-recommends", "tmux"]));
  if (!works("tmux", ["-V"])) throw new Error("tmux does not run after apt-get install tmux");
  return "tmux";
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { prometheus, promtool } = ensurePrometheus();
  const tmux = ensureTmux();
  if (!existsSync(prometheus)) process.exit(1);
  console.log(`prometheus ${prometheus}\npromtool ${promtool}\ntmux ${tmux}`);
}
