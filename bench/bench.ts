/**
 * `npm run bench`: aztec-butler at operator scale, on a local anvil behind a counting JSON-RPC
 * proxy on loopback. Its sections, by the names BENCH_ONLY takes:
 *
 * - `startup` (bench/startup.ts): `node -e 0`, `--help` and a 1-validator run of every command;
 * - `ppk` (bench/ppk.ts): process-private-keys with 100, 1,000 and 10,000 keys against a provider
 *   queue of 10,000, the limit-relative target and where the time goes;
 * - `deployment` (bench/deployment.ts): prepare-deployment with 5,000 validators (4,000 in
 *   production + 1,000 new) and 500 publishers;
 * - `encrypted` (bench/encrypted-keys.ts): process-private-keys on 100 validators in Aztec's
 *   encrypted format;
 * - `status` (bench/status.ts) and `queue-health` (bench/queue-health.ts): status at 10,000
 *   attesters and the provider queue's health at 10,000 entries, each on a chain of its own.
 *
 * BENCH_ONLY=<comma list> (e.g. `startup,ppk`) runs those sections only, to iterate quickly;
 * unset, every section runs. Only a run of every section writes BENCHMARKS.md. BENCH_REPEATS
 * (default 3): runs of each scenario.
 *
 * Each scenario runs the real CLI (`node bin/aztec-butler.js`, its esbuild bundle) BENCH_REPEATS
 * times and reports the median wall time, keys per second, peak RSS and the HTTP requests and
 * JSON-RPC calls the proxy received, beside a baseline doing the same work the straightforward
 * way in the same run. Prints a table, writes BENCHMARKS.md, and exits 1 when a target is
 * missed. anvil and the proxy are stopped on every path out.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Address } from "viem";

import {
  ANVIL_ACCOUNTS,
  addKeysToProviderQueue,
  deployStakingRegistry,
  makeDummyRegistrationTuples,
  registerProvider,
  startTestChain,
  type TestChain,
} from "../tests/support/test-chain.js";
import { startRpcProxy, type RpcProxy } from "../tests/support/rpc-proxy.js";
import { timed } from "./baselines.js";
import { configFor, type BenchContext, type ProviderContext } from "./context.js";
import { observe } from "./counting.js";
import { benchPrepareDeployment } from "./deployment.js";
import { benchEncryptedKeyFiles } from "./encrypted-keys.js";
import { describeMachine, loadAverage } from "./machine.js";
import { benchProcessPrivateKeys, QUEUE_LENGTH } from "./ppk.js";
import { benchQueueHealth } from "./queue-health.js";
import {
  fmtInt,
  fmtMs,
  fmtRatio,
  markdownReport,
  textTable,
  type FullReport,
  type Report,
} from "./report.js";
import { PROJECT_ROOT, ensureFreshBundle, rssMethod } from "./run-cli.js";
import { benchStartup, measureHelp } from "./startup.js";
import { benchStatus } from "./status.js";

const SECTIONS = ["startup", "ppk", "deployment", "encrypted", "status", "queue-health"] as const;
type Section = (typeof SECTIONS)[number];
/** The sections that run on the main chain (the others start their own). */
const ON_MAIN_CHAIN: readonly Section[] = ["startup", "ppk", "deployment", "encrypted"];
/** The sections that run against provider 1's queue of 10,000 (as in a full run). */
const ON_THE_QUEUE: readonly Section[] = ["ppk", "deployment", "encrypted"];
const BATCH_SIZE = 500; // RPC_BATCH_SIZE default
const REPEATS = Math.max(1, Number(process.env.BENCH_REPEATS ?? 3));

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

/** BENCH_ONLY's sections, in the order they run; every section when it is unset or empty. */
function selectedSections(): Section[] {
  const names = (process.env.BENCH_ONLY ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  const unknown = names.filter((name) => !(SECTIONS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new Error(
      `BENCH_ONLY: unknown section ${unknown.join(", ")} (sections: ${SECTIONS.join(", ")})`,
    );
  }
  return names.length === 0 ? [...SECTIONS] : SECTIONS.filter((s) => names.includes(s));
}

/** What the sections add to the report. */
type Results = Omit<
  Report,
  "startedAt" | "machine" | "loadBefore" | "loadAfter" | "repeats" | "rssMethod" | "sections"
>;

const emptyResults = (): Results => ({
  scenarios: [],
  components: [],
  targets: [],
  limits: [],
  breakdowns: [],
  baselineDerivation: [],
});

/** What must be stopped on the way out. */
interface Held {
  chain?: TestChain;
  proxy?: RpcProxy;
}

/** anvil with the bench's staking registry, and the counting proxy in front of it. */
async function startMainChain(
  tmp: string,
  held: Held,
): Promise<{ bench: BenchContext; fromBlock: bigint }> {
  log("starting anvil, deploying the staking registry");
  const chain = (held.chain = await startTestChain());
  const fromBlock = await chain.publicClient.getBlockNumber();
  const { address: registry } = await deployStakingRegistry(chain);
  const proxy = (held.proxy = await startRpcProxy(chain.rpcUrl, { onRequest: observe }));
  return { bench: { tmp, repeats: REPEATS, log, chain, proxy, registry }, fromBlock };
}

/** Provider 1 (admin = anvil account 1) with a queue of 10,000 entries. */
async function queuedProvider(bench: BenchContext, results: Results): Promise<ProviderContext> {
  const admin = ANVIL_ACCOUNTS[1]! as Address;
  const providerId = await registerProvider(bench.chain, bench.registry, admin);
  log(`filling provider ${providerId}'s queue with ${fmtInt(QUEUE_LENGTH)} entries`);
  const fill = await timed(() =>
    addKeysToProviderQueue(
      bench.chain,
      bench.registry,
      providerId,
      makeDummyRegistrationTuples(QUEUE_LENGTH),
    ),
  );
  log(`queue filled in ${fmtMs(fill.wallMs)}`);
  results.queueFillMs = fill.wallMs;
  return { providerId, admin, config: configFor(bench, providerId) };
}

async function runMainChainSections(only: Section[], tmp: string, held: Held, results: Results) {
  const { bench, fromBlock } = await startMainChain(tmp, held);
  let helpMs: number | undefined;
  if (only.includes("startup")) {
    const startup = await benchStartup(bench, fromBlock);
    results.startup = startup.report;
    results.targets.push(...startup.targets);
    helpMs = startup.helpMs;
  }
  if (!only.some((s) => ON_THE_QUEUE.includes(s))) return;
  const provider = await queuedProvider(bench, results);
  if (only.includes("ppk")) {
    helpMs ??= await measureHelp(bench);
    const ppk = await benchProcessPrivateKeys(bench, provider, { helpMs, batchSize: BATCH_SIZE });
    const { scenarios, components, targets, ...rest } = ppk;
    results.scenarios.push(...scenarios);
    results.components.push(...components);
    results.targets.push(...targets);
    Object.assign(results, rest);
  }
  if (only.includes("deployment")) {
    const deployment = await benchPrepareDeployment(bench, provider);
    results.scenarios.push(deployment.scenario);
    results.components.push(deployment.component);
    results.targets.push(deployment.target);
    results.keystoreLoaded = deployment.keystoreLoaded;
  }
  if (only.includes("encrypted")) {
    // 100 encrypted validators in Aztec's format (bench/encrypted-keys.ts).
    const encrypted = await benchEncryptedKeyFiles({
      tmp,
      config: provider.config,
      log,
      repeats: REPEATS,
    });
    encrypted.lines.forEach((line) => log(line));
    results.targets.push(...encrypted.targets);
  }
}

async function runOwnChainSections(only: Section[], tmp: string, results: Results) {
  if (only.includes("status")) {
    // status at 10,000 attesters (bench/status.ts, a chain of its own).
    const status = await benchStatus(tmp, log, REPEATS);
    results.targets.push(...status.targets);
    status.lines.forEach((line) => log(line));
  }
  if (only.includes("queue-health")) {
    // The provider queue's health at 10,000 entries (bench/queue-health.ts, its own chain).
    const health = await benchQueueHealth(tmp, log, REPEATS);
    results.targets.push(...health.targets);
    health.lines.forEach((line) => log(line));
  }
}

/** The report as BENCHMARKS.md needs it, when every section ran. */
function asFullReport(report: Report): FullReport | undefined {
  const { startup, queueFillMs, progressNote, keystoreLoaded, baselineQueueMs, workersNote } =
    report;
  if (report.sections.length !== SECTIONS.length) return undefined;
  if (startup === undefined || queueFillMs === undefined || progressNote === undefined)
    return undefined;
  if (keystoreLoaded === undefined || baselineQueueMs === undefined || workersNote === undefined)
    return undefined;
  return {
    ...report,
    startup,
    queueFillMs,
    progressNote,
    keystoreLoaded,
    baselineQueueMs,
    workersNote,
  };
}

/** Prints the table, writes BENCHMARKS.md after a full run, and returns the exit code. */
function conclude(report: Report): number {
  process.stdout.write(`${textTable(report)}\n`);
  const full = asFullReport(report);
  if (full) {
    writeFileSync(join(PROJECT_ROOT, "BENCHMARKS.md"), markdownReport(full));
    log("wrote BENCHMARKS.md");
  } else {
    log(
      `BENCH_ONLY=${process.env.BENCH_ONLY}: BENCHMARKS.md not written (only a run of every section writes it)`,
    );
  }
  const missed = report.targets.filter((t) => !t.met);
  if (missed.length > 0) {
    log(`${missed.length} target(s) missed: ${missed.map((t) => t.target).join("; ")}`);
    return 1;
  }
  const ratios = report.scenarios.map((s) => s.baselineMs / s.wallMs);
  log(
    `every target met${ratios.length > 0 ? ` (wall-time ratios up to ${fmtRatio(Math.max(...ratios))})` : ""}`,
  );
  return 0;
}

async function main(): Promise<number> {
  const sections = selectedSections();
  const startedAt = new Date();
  const machine = describeMachine();
  const loadBefore = loadAverage();
  const tmp = mkdtempSync(join(tmpdir(), "butler-bench-"));
  const held: Held = {};
  const stopAll = async () => {
    const { proxy, chain } = held;
    held.proxy = held.chain = undefined;
    await proxy?.stop();
    await chain?.stop();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    void stopAll().finally(() => {
      rmSync(tmp, { recursive: true, force: true });
      process.kill(process.pid, signal);
    });
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    if (ensureFreshBundle()) log("dist/ was older than src/: rebuilt it (npm run build)");
    log(
      `machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memory}, node ${machine.node}; load ${loadBefore}; sections ${sections.join(", ")}`,
    );
    const results = emptyResults();
    if (sections.some((s) => ON_MAIN_CHAIN.includes(s))) {
      await runMainChainSections(sections, tmp, held, results);
      await stopAll();
    }
    await runOwnChainSections(sections, tmp, results);
    const header = { startedAt, machine, loadBefore, loadAfter: loadAverage(), repeats: REPEATS };
    return conclude({ ...header, rssMethod, sections, ...results });
  } finally {
    await stopAll();
    rmSync(tmp, { recursive: true, force: true });
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `bench: failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
