import { ensurePrometheus, ensureTmux } from "../../scripts/monitoring-tools.mjs";
import integrationSetup from "../global-setup.js";

/**
 * The monitoring tests' set-up: the servers of the integration tests (MySQL, the Kafka broker), and
 * the real tools they drive, installed from Debian's packages when missing (prometheus and promtool
 * 2.42 into .prometheus/, tmux).
 */
export default async function setup(): Promise<void> {
  await integrationSetup();
  const { prometheus, promtool } = ensurePrometheus();
  process.env.PROJECTOR_TEST_PROMETHEUS = prometheus;
  process.env.PROJECTOR_TEST_PROMTOOL = promtool;
  process.env.PROJECTOR_TEST_TMUX = ensureTmux();
}
