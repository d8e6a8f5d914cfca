/**
 * `npm run bench`: aztec-butler at operator scale, on a local anvil behind a counting JSON-RPC
 * proxy on loopback.
 *
 * - process-private-keys with 100, 1,000 and 10,000 keys against a provider queue of 10,000;
 * - prepare-deployment with 5,000 validators (4,000 in production + 1,000 new) and 500 publishers.
 *
 * Each scenario runs the real CLI (`node bin/aztec-butler.js`, its esbuild bundle) BENCH_REPEATS
 * times (default 3) and reports the median wall time, keys per second, peak RSS and the HTTP
 * requests and JSON-RPC calls the proxy received, beside a baseline doing the same work the
 * straightforward way in the same run. Prints a table, writes BENCHMARKS.md, and exits 1 when a
 * target is missed. anvil and the proxy are stopped on every path out.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { toFunctionSelector, type AbiFunction, type Address, type Hex } from "viem";

import { providerQueueReaderBytecode } from "../src/core/chain/provider-queue-reader-code.js";
import { stakingRegistryAbi } from "../src/types/abi/staking-registry.js";
import {
  ANVIL_ACCOUNTS,
  addKeysToProviderQueue,
  deployStakingRegistry,
  makeDummyRegistrationTuples,
  registerProvider,
  setBalances,
  startTestChain,
  type TestChain,
} from "../tests/support/test-chain.js";
import { startRpcProxy, type RpcCall, type RpcProxy } from "../tests/support/rpc-proxy.js";
import {
  baselineBalances,
  baselineDerive,
  baselineQueueRead,
  timed,
  toolChainReads,
} from "./baselines.js";
import { makeDeploymentInputs, makePrivateKeyFile } from "./keygen.js";
import { benchEncryptedKeyFiles } from "./encrypted-keys.js";
import { benchStatus } from "./status.js";
import { benchQueueHealth } from "./queue-health.js";
import { describeMachine, loadAverage } from "./machine.js";
import {
  fmtInt,
  fmtMs,
  fmtRatio,
  markdownReport,
  median,
  textTable,
  type ComponentRow,
  type ScenarioRow,
  type TargetRow,
} from "./report.js";
import {
  PROJECT_ROOT,
  ensureFreshBundle,
  isolatedEnv,
  rssMethod,
  runCli,
  type CliRun,
  runOnPseudoTerminal,
} from "./run-cli.js";

const KEY_COUNTS = [100, 1_000, 10_000] as const;
const QUEUE_LENGTH = 10_000;
const DEPLOYMENT = { existing: 4_000, fresh: 1_000, publishers: 500 } as const;
const BATCH_SIZE = 500; // RPC_BATCH_SIZE default
const REPEATS = Math.max(1, Number(process.env.BENCH_REPEATS ?? 3));
const TARGETS = { endToEndMs: 5_000, rssMiB: 500 } as const;

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

// ---------------------------------------------------------------------------------------------
// Counting requests by purpose at the proxy
// ---------------------------------------------------------------------------------------------

const QUEUE_FUNCTIONS = [
  "getFirstIndexInQueue",
  "getLastIndexInQueue",
  "getProviderQueueLength",
  "getValueAtIndexInQueue",
];
const queueSelectors = new Set(
  (stakingRegistryAbi as readonly { type: string; name?: string }[])
    .filter((item) => item.type === "function" && QUEUE_FUNCTIONS.includes(item.name ?? ""))
    .map((item) => toFunctionSelector(item as AbiFunction).toLowerCase()),
);

/** A queue read: a call of one of the queue functions, or a deployless ProviderQueueReader read. */
function isQueueRead(data: string): boolean {
  return (
    queueSelectors.has(data.slice(0, 10).toLowerCase()) ||
    data.toLowerCase().startsWith(providerQueueReaderBytecode.toLowerCase())
  );
}

interface Window {
  httpRequests: number;
  rpcCalls: number;
  /** HTTP requests carrying at least one queue read (bounds or entry). */
  queueRequests: number;
  queueCalls: number;
  /** HTTP requests carrying at least one eth_getBalance. */
  fundingRequests: number;
  balanceCalls: number;
}

const emptyWindow = (): Window => ({
  httpRequests: 0,
  rpcCalls: 0,
  queueRequests: 0,
  queueCalls: 0,
  fundingRequests: 0,
  balanceCalls: 0,
});

let window = emptyWindow();

function observe(calls: readonly RpcCall[]): void {
  window.httpRequests++;
  window.rpcCalls += calls.length;
  let queue = 0;
  let balance = 0;
  for (const call of calls) {
    if (call.method === "eth_getBalance") balance++;
    if (call.method === "eth_call" && Array.isArray(call.params)) {
      const tx = call.params[0] as { data?: string; input?: string } | undefined;
      const data = tx?.data ?? tx?.input;
      if (typeof data === "string" && isQueueRead(data)) queue++;
    }
  }
  window.queueCalls += queue;
  window.balanceCalls += balance;
  if (queue > 0) window.queueRequests++;
  if (balance > 0) window.fundingRequests++;
}

/** Runs `work` with fresh counters and returns what the proxy saw meanwhile. */
async function counted<T>(work: () => Promise<T>): Promise<{ result: T; seen: Window }> {
  window = emptyWindow();
  const result = await work();
  const seen = window;
  window = emptyWindow();
  return { result, seen };
}

// ---------------------------------------------------------------------------------------------
// Scenario helpers
// ---------------------------------------------------------------------------------------------

interface CountedRun {
  run: CliRun;
  seen: Window;
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`benchmark run invalid: ${message}`);
}

const mib = (kb: number) => kb / 1024;
const hasProgressMarks = (text: string) =>
  text.includes("deriving keys") || text.includes("\r") || text.includes("\u001b[");

async function runCounted(
  args: string[],
  cwd: string,
  env: Record<string, string>,
): Promise<CountedRun> {
  if (ensureFreshBundle()) log("src/ changed: rebuilt dist/ so the CLI runs its bundle");
  const { result: run, seen } = await counted(() => runCli(args, { cwd, env }));
  if (run.code !== 0) {
    throw new Error(`aztec-butler ${args[0]} exited ${run.code ?? run.signal}:\n${run.stderr}`);
  }
  return { run, seen };
}

function summarise(runs: CountedRun[]) {
  const walls = runs.map((r) => r.run.wallMs);
  return {
    wallMs: median(walls),
    minMs: Math.min(...walls),
    maxMs: Math.max(...walls),
    rssKb: Math.max(...runs.map((r) => r.run.peakRssKb)),
    rssKbs: runs.map((r) => r.run.peakRssKb),
    // Request counts do not depend on timing; the maximum is reported to be safe.
    seen: runs.map((r) => r.seen).reduce((a, b) => (b.httpRequests > a.httpRequests ? b : a)),
    maxQueueRequests: Math.max(...runs.map((r) => r.seen.queueRequests)),
    maxFundingRequests: Math.max(...runs.map((r) => r.seen.fundingRequests)),
  };
}

// ---------------------------------------------------------------------------------------------
// The benchmark
// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const startedAt = new Date();
  const machine = describeMachine();
  const loadBefore = loadAverage();
  const tmp = mkdtempSync(join(tmpdir(), "butler-bench-"));
  let chain: TestChain | undefined;
  let proxy: RpcProxy | undefined;
  const stopAll = async () => {
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
      `machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memory}, node ${machine.node}; load ${loadBefore}`,
    );

    // --- chain, registry, provider, a queue of 10,000, the proxy -------------------------------
    log(
      "starting anvil, deploying the staking registry, registering the provider (admin = anvil account 1)",
    );
    chain = await startTestChain();
    const { address: registry } = await deployStakingRegistry(chain);
    const admin = ANVIL_ACCOUNTS[1]! as Address;
    const providerId = await registerProvider(chain, registry, admin);
    log(`filling provider ${providerId}'s queue with ${fmtInt(QUEUE_LENGTH)} entries`);
    const fill = await timed(() =>
      addKeysToProviderQueue(
        chain!,
        registry,
        providerId,
        makeDummyRegistrationTuples(QUEUE_LENGTH),
      ),
    );
    log(`queue filled in ${fmtMs(fill.wallMs)}`);
    proxy = await startRpcProxy(chain.rpcUrl, { onRequest: observe });
    const config = {
      ETHEREUM_NODE_URL: proxy.url,
      ETHEREUM_CHAIN_ID: String(chain.chainId),
      STAKING_REGISTRY_ADDRESS: registry,
      AZTEC_STAKING_PROVIDER_ID: String(providerId),
    };

    // --- process-private-keys -----------------------------------------------------------------
    const keyFiles = new Map<number, { path: string; keys: { eth: Hex; bls: Hex }[] }>();
    for (const n of KEY_COUNTS) {
      const content = makePrivateKeyFile(n);
      const path = join(tmp, `new-private-keys-${n}.json`);
      writeFileSync(path, `${JSON.stringify(content, null, 2)}\n`);
      keyFiles.set(n, { path, keys: content.validators.map((v) => v.attester) });
    }

    const ppkRuns = new Map<number, CountedRun[]>();
    const ppkOutputs = new Map<number, string>();
    for (const n of KEY_COUNTS) {
      const runs: CountedRun[] = [];
      for (let i = 0; i < REPEATS; i++) {
        const cwd = join(tmp, `ppk-${n}-${i}`);
        mkdirSync(cwd);
        const output = join(cwd, `public-keys-${n}.json`);
        const counted = await runCounted(
          ["process-private-keys", keyFiles.get(n)!.path, "-o", output],
          cwd,
          isolatedEnv(tmp, config),
        );
        const written = JSON.parse(readFileSync(output, "utf8")) as { validators: unknown[] };
        check(
          written.validators.length === n,
          `public-keys file has ${written.validators.length} validators, expected ${n}`,
        );
        ppkOutputs.set(n, output);
        runs.push(counted);
        log(
          `process-private-keys ${fmtInt(n)} keys, run ${i + 1}/${REPEATS}: ${fmtMs(counted.run.wallMs)}, ` +
            `${fmtInt(Math.round(mib(counted.run.peakRssKb)))} MiB, ${counted.seen.httpRequests} HTTP requests`,
        );
      }
      ppkRuns.set(n, runs);
    }

    // --- baselines and the tool's components, in-process, same proxy ----------------------------
    const tool = await toolChainReads(isolatedEnv(tmp, config));
    log(
      `baseline (a): reading the queue one awaited eth_call per entry (${fmtInt(QUEUE_LENGTH)} requests)`,
    );
    const baseQueue = await counted(() =>
      timed(() => baselineQueueRead(proxy!.url, registry, providerId)),
    );
    const toolQueue = await counted(() => timed(() => tool.readQueue(registry, providerId, admin)));
    check(baseQueue.result.value.length === QUEUE_LENGTH, "baseline queue read length");
    check(
      toolQueue.result.value.attesters.every(
        (a, i) => a.toLowerCase() === baseQueue.result.value[i]!.toLowerCase(),
      ),
      "tool and baseline read different queues",
    );

    // Warm-up: the timings below leave out module loading and Barretenberg's start-up (which the
    // CLI's runs include), so they flatter the baseline.
    await baselineDerive(makePrivateKeyFile(20).validators.map((v) => v.attester));
    const baseDerive = new Map<number, number>();
    for (const n of KEY_COUNTS) {
      log(`baseline (b): deriving ${fmtInt(n)} keys one at a time on the main thread`);
      const keys = keyFiles.get(n)!.keys;
      const base = await timed(() => baselineDerive(keys));
      baseDerive.set(n, base.wallMs);
      // The CLI's output must hold exactly the keys the straightforward derivation gives.
      const written = JSON.parse(readFileSync(ppkOutputs.get(n)!, "utf8")) as {
        validators: { attester: { eth: string; bls: string } }[];
      };
      written.validators.forEach((v, i) => {
        check(
          v.attester.eth === base.value[i]!.eth,
          `validator ${i} of ${n}: attester.eth differs from the baseline`,
        );
        check(
          v.attester.bls === base.value[i]!.bls,
          `validator ${i} of ${n}: attester.bls differs from the baseline`,
        );
      });
    }

    // --- progress on a terminal, none when piped ------------------------------------------------
    let progress: { checked: boolean; ttyUpdates: number; pipedClean: boolean; note: string };
    {
      const n = 10_000;
      const cwd = join(tmp, "tty");
      mkdirSync(cwd);
      const pipedClean = [...ppkRuns.values()].flat().every((r) => !hasProgressMarks(r.run.stderr));
      const hasScript = spawnSync("script", ["--version"], { encoding: "utf8" }).status === 0;
      if (!hasScript) {
        progress = {
          checked: false,
          ttyUpdates: 0,
          pipedClean,
          note: "util-linux `script` not found; TTY case not checked",
        };
      } else {
        ensureFreshBundle();
        const tty = await runOnPseudoTerminal(
          keyFiles.get(n)!.path,
          join(cwd, "out.json"),
          cwd,
          isolatedEnv(tmp, config),
        );
        check(
          tty.code === 0,
          `process-private-keys on a pseudo-terminal exited ${tty.code}: ${tty.terminal}`,
        );
        const updates = (tty.terminal.match(/deriving keys: [\d,]+\/[\d,]+/g) ?? []).length;
        progress = {
          checked: true,
          ttyUpdates: updates,
          pipedClean,
          note:
            `stderr on a pseudo-terminal (util-linux script): ${fmtInt(updates)} progress updates ` +
            `("deriving keys: n/${fmtInt(n)}", redrawn in place); stderr piped: ` +
            `${pipedClean ? "no progress output" : "PROGRESS OUTPUT FOUND"} in all ${fmtInt(KEY_COUNTS.length * REPEATS)} runs`,
        };
      }
      log(`progress: ${progress.note}`);
    }

    // --- prepare-deployment --------------------------------------------------------------------
    const inputs = makeDeploymentInputs(
      DEPLOYMENT.existing,
      DEPLOYMENT.fresh,
      DEPLOYMENT.publishers,
    );
    const deployDir = join(tmp, "deployment");
    mkdirSync(deployDir);
    const productionFile = join(deployDir, "prod-bench-keyfile.json");
    const publicKeysFile = join(deployDir, "public-new-keys.json");
    const publishersFile = join(deployDir, "publishers.json");
    writeFileSync(productionFile, `${JSON.stringify(inputs.production, null, 2)}\n`);
    writeFileSync(publicKeysFile, `${JSON.stringify(inputs.publicKeys, null, 2)}\n`);
    writeFileSync(publishersFile, `${JSON.stringify(inputs.publishers, null, 2)}\n`);
    await setBalances(
      chain,
      inputs.publishers.map((address) => ({ address, wei: 1_000n * 10n ** 18n })),
    );
    const totalValidators = DEPLOYMENT.existing + DEPLOYMENT.fresh;

    const pdRuns: CountedRun[] = [];
    let keystoreLoaded = 0;
    for (let i = 0; i < REPEATS; i++) {
      const cwd = join(tmp, `pd-${i}`);
      mkdirSync(cwd);
      const counted = await runCounted(
        ["prepare-deployment", productionFile, publishersFile, "--new-public-keys", publicKeysFile],
        cwd,
        isolatedEnv(tmp, config),
      );
      const output = join(cwd, "prod-bench-keyfile.json.new");
      const written = JSON.parse(readFileSync(output, "utf8")) as { validators: unknown[] };
      check(
        written.validators.length === totalValidators,
        `${output} has ${written.validators.length} validators`,
      );
      if (i === 0) {
        const { loadKeystoreFile } = await import("@aztec/node-keystore/loader");
        keystoreLoaded = loadKeystoreFile(output).validators?.length ?? 0;
        check(
          keystoreLoaded === totalValidators,
          `loadKeystoreFile found ${keystoreLoaded} validators`,
        );
      }
      pdRuns.push(counted);
      log(
        `prepare-deployment ${fmtInt(totalValidators)} validators, run ${i + 1}/${REPEATS}: ${fmtMs(counted.run.wallMs)}, ` +
          `${fmtInt(Math.round(mib(counted.run.peakRssKb)))} MiB, ${counted.seen.httpRequests} HTTP requests`,
      );
    }
    log(`baseline (c): one awaited getBalance per publisher (${DEPLOYMENT.publishers} requests)`);
    const baseFunding = await counted(() =>
      timed(() => baselineBalances(proxy!.url, inputs.publishers)),
    );
    const toolFunding = await counted(() => timed(() => tool.readBalances(inputs.publishers)));
    check(
      baseFunding.result.value.every(
        (b, i) => toolFunding.result.value.balances.get(inputs.publishers[i]!.toLowerCase()) === b,
      ),
      "tool and baseline read different balances",
    );

    // --- results ---------------------------------------------------------------------------------
    const scenarios: ScenarioRow[] = [];
    const rssByKeys = new Map<number, number>();
    for (const n of KEY_COUNTS) {
      const s = summarise(ppkRuns.get(n)!);
      rssByKeys.set(n, s.rssKb);
      const baselineMs = baseQueue.result.wallMs + baseDerive.get(n)!;
      scenarios.push({
        name: `process-private-keys, ${fmtInt(n)} keys (queue ${fmtInt(QUEUE_LENGTH)})`,
        keys: n,
        wallMs: s.wallMs,
        minMs: s.minMs,
        maxMs: s.maxMs,
        rssMiB: mib(s.rssKb),
        httpRequests: s.seen.httpRequests,
        rpcCalls: s.seen.rpcCalls,
        detail: `queue check ${s.maxQueueRequests} HTTP requests / ${fmtInt(s.seen.queueCalls)} calls`,
        rssRuns: `peak RSS ${s.rssKbs.map((kb) => mib(kb).toFixed(0)).join(", ")} MiB`,
        baselineMs,
        baselineHttp: baseQueue.seen.httpRequests,
        baselineNote:
          "(a) queue read one eth_call at a time + (b) derivation one key at a time on the main thread (sum; excludes process start, file parsing and writing)",
      });
    }
    const pd = summarise(pdRuns);
    const pdBaselineMs = pd.wallMs - toolFunding.result.wallMs + baseFunding.result.wallMs;
    const pdBaselineHttp =
      pd.seen.httpRequests - pd.seen.fundingRequests + baseFunding.seen.httpRequests;
    scenarios.push({
      name: `prepare-deployment, ${fmtInt(totalValidators)} validators, ${DEPLOYMENT.publishers} publishers`,
      keys: totalValidators,
      wallMs: pd.wallMs,
      minMs: pd.minMs,
      maxMs: pd.maxMs,
      rssMiB: mib(pd.rssKb),
      httpRequests: pd.seen.httpRequests,
      rpcCalls: pd.seen.rpcCalls,
      detail: `funding check ${pd.maxFundingRequests} HTTP requests / ${fmtInt(pd.seen.balanceCalls)} getBalance calls`,
      rssRuns: `peak RSS ${pd.rssKbs.map((kb) => mib(kb).toFixed(0)).join(", ")} MiB`,
      baselineMs: pdBaselineMs,
      baselineHttp: pdBaselineHttp,
      baselineNote:
        "the tool's run with its batched funding read (measured in-process) replaced by (c), one awaited getBalance per publisher (measured)",
    });

    const components: ComponentRow[] = [
      {
        name: `queue check, ${fmtInt(QUEUE_LENGTH)} entries`,
        toolMs: toolQueue.result.wallMs,
        toolHttp: toolQueue.seen.httpRequests,
        baselineMs: baseQueue.result.wallMs,
        baselineHttp: baseQueue.seen.httpRequests,
        how: "readProviderQueue (deployless reads of 250 entries, sent together) vs viem readContract per entry, unbatched, awaited in turn",
      },
      {
        name: `funding check, ${DEPLOYMENT.publishers} publishers`,
        toolMs: toolFunding.result.wallMs,
        toolHttp: toolFunding.seen.httpRequests,
        baselineMs: baseFunding.result.wallMs,
        baselineHttp: baseFunding.seen.httpRequests,
        how: "readChainIdAndBalances (batched) vs getChainId + getBalance per publisher, awaited in turn",
      },
    ];

    const e2e10k = scenarios[KEY_COUNTS.indexOf(10_000)]!;
    const queueLimit = Math.ceil(QUEUE_LENGTH / BATCH_SIZE) + 3;
    const queueWorst = Math.max(
      ...KEY_COUNTS.map((n) => summarise(ppkRuns.get(n)!).maxQueueRequests),
    );
    const fundingLimit = 2 * Math.ceil(DEPLOYMENT.publishers / 500);
    const rss = KEY_COUNTS.map((n) => mib(rssByKeys.get(n)!));
    const slopeLow = (rss[1]! - rss[0]!) / (1_000 - 100);
    const slopeHigh = (rss[2]! - rss[1]!) / (10_000 - 1_000);
    const targets: TargetRow[] = [
      {
        target: `process-private-keys, 10,000 keys end to end < ${fmtInt(TARGETS.endToEndMs)} ms (median of ${REPEATS})`,
        measured: `${fmtMs(e2e10k.wallMs)} (runs ${fmtMs(e2e10k.minMs)} … ${fmtMs(e2e10k.maxMs)})`,
        met: e2e10k.wallMs < TARGETS.endToEndMs,
      },
      {
        target: `queue check of ${fmtInt(QUEUE_LENGTH)} entries ≤ ceil(N/500)+3 = ${queueLimit} HTTP requests`,
        measured: `${queueWorst} requests (worst of ${KEY_COUNTS.length * REPEATS} CLI runs)`,
        met: queueWorst <= queueLimit,
      },
      {
        target: `funding check ≤ 2 HTTP requests per 500 publishers (${DEPLOYMENT.publishers} → ≤ ${fundingLimit})`,
        measured: `${pd.maxFundingRequests} requests for ${fmtInt(pd.seen.balanceCalls)} getBalance calls`,
        met: pd.maxFundingRequests <= fundingLimit,
      },
      {
        target: `peak RSS at 10,000 keys < ${TARGETS.rssMiB} MiB`,
        measured: `${rss[2]!.toFixed(0)} MiB (highest of ${REPEATS} runs)`,
        met: rss[2]! < TARGETS.rssMiB,
      },
      {
        target:
          "peak RSS grows at most linearly (MiB per key from 1,000 to 10,000 ≤ from 100 to 1,000)",
        measured:
          `${rss.map((r) => r.toFixed(0)).join(" → ")} MiB for 100 → 1,000 → 10,000 keys; ` +
          `${(slopeLow * 1024).toFixed(1)} then ${(slopeHigh * 1024).toFixed(1)} KiB per key`,
        met: slopeHigh <= slopeLow,
      },
      {
        target: "progress on stderr only when it is a TTY",
        measured: progress.checked
          ? `${fmtInt(progress.ttyUpdates)} updates on a pseudo-terminal; ${progress.pipedClean ? "none" : "SOME"} when piped`
          : `not checked on a TTY (${progress.note}); ${progress.pipedClean ? "none" : "SOME"} when piped`,
        met: progress.pipedClean && (!progress.checked || progress.ttyUpdates > 0),
      },
    ];

    // 100 encrypted validators in Aztec's format (bench/encrypted-keys.ts).
    const encrypted = await benchEncryptedKeyFiles({ tmp, config, log, repeats: REPEATS });
    encrypted.lines.forEach((line) => log(line));
    targets.push(...encrypted.targets);
    // --- status at 10,000 attesters (bench/status.ts, a chain of its own) ----------------------
    const statusBench = await benchStatus(tmp, log, REPEATS);
    targets.push(...statusBench.targets);
    for (const line of statusBench.lines) log(line);
    // --- the provider queue's health at 10,000 entries (bench/queue-health.ts, its own chain) ---
    const queueHealthBench = await benchQueueHealth(tmp, log, REPEATS);
    targets.push(...queueHealthBench.targets);
    for (const line of queueHealthBench.lines) log(line);

    const report = {
      startedAt,
      machine,
      loadBefore,
      loadAfter: loadAverage(),
      repeats: REPEATS,
      rssMethod,
      queueFillMs: fill.wallMs,
      scenarios,
      components,
      targets,
      progressNote: progress.note,
      baselineDerivation: KEY_COUNTS.map((n) => ({ keys: n, wallMs: baseDerive.get(n)! })),
      baselineQueueMs: baseQueue.result.wallMs,
      // The rule in src/core/keys/private-keys.ts: one worker per 256 keys, at most one per core and 4.
      workersNote: KEY_COUNTS.map((n) => {
        const workers = Math.max(1, Math.min(4, availableParallelism(), Math.floor(n / 256)));
        return `${workers} worker thread${workers === 1 ? "" : "s"} for ${fmtInt(n)} keys`;
      }).join(", "),
      keystoreLoaded,
    };
    process.stdout.write(`${textTable(report)}\n`);
    writeFileSync(join(PROJECT_ROOT, "BENCHMARKS.md"), markdownReport(report));
    log("wrote BENCHMARKS.md");
    const missed = targets.filter((t) => !t.met);
    if (missed.length > 0) {
      log(`${missed.length} target(s) missed: ${missed.map((t) => t.target).join("; ")}`);
      return 1;
    }
    log(
      `every target met (wall-time ratios up to ${fmtRatio(Math.max(...scenarios.map((s) => s.baselineMs / s.wallMs)))})`,
    );
    return 0;
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
