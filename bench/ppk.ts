/**
 * Benchmark section `ppk`: process-private-keys with 100, 1,000 and 10,000 keys against a
 * provider queue of 10,000, beside baselines (a) (the queue read one eth_call at a time) and (b)
 * (the keys derived one at a time on the main thread, warm); progress on a terminal and none when
 * piped; where each size's wall time goes (the CLI's timings line); and the limit-relative target:
 * median wall ≤ 1.2 × (baseline (b) / the cores the CLI uses + `--help`'s wall, all of this run).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import type { Hex } from "viem";

import {
  baselineDerive,
  baselineDeriveWithToolsEthDerivation,
  baselineQueueRead,
  timed,
  toolChainReads,
} from "./baselines.js";
import type { BenchContext, ProviderContext } from "./context.js";
import { check, counted, mib, runCounted, summarise, type CountedRun } from "./counting.js";
import { makePrivateKeyFile } from "./keygen.js";
import {
  fmtInt,
  fmtMs,
  type BreakdownSection,
  type ComponentRow,
  type LimitRow,
  type ScenarioRow,
  type TargetRow,
} from "./report.js";
import { ensureFreshBundle, isolatedEnv, runOnPseudoTerminal } from "./run-cli.js";
import { breakdownOf, mentionsTimings, timingsProblems, TIMINGS_ENV } from "./timings.js";

export const KEY_COUNTS = [100, 1_000, 10_000] as const;
export const QUEUE_LENGTH = 10_000;
const TARGETS = { rssMiB: 500, hundredKeysMs: 500, limitRatio: 1.2 } as const;

/** The derivation workers the CLI starts for n keys (src/core/keys/derivation-pool.ts's rule). */
export const workersFor = (n: number) =>
  Math.max(1, Math.min(4, availableParallelism(), Math.floor(n / 256)));

const hasProgressMarks = (text: string) =>
  text.includes("deriving keys") || text.includes("\r") || text.includes("\u001b[");

interface KeyFile {
  path: string;
  keys: { eth: Hex; bls: Hex }[];
}

export interface PpkResult {
  scenarios: ScenarioRow[];
  components: ComponentRow[];
  targets: TargetRow[];
  limits: LimitRow[];
  breakdowns: BreakdownSection[];
  baselineDerivation: { keys: number; wallMs: number }[];
  baselineQueueMs: number;
  progressNote: string;
  workersNote: string;
}

function writeKeyFiles(tmp: string): Map<number, KeyFile> {
  const files = new Map<number, KeyFile>();
  for (const n of KEY_COUNTS) {
    const content = makePrivateKeyFile(n);
    const path = join(tmp, `new-private-keys-${n}.json`);
    writeFileSync(path, `${JSON.stringify(content, null, 2)}\n`);
    files.set(n, { path, keys: content.validators.map((v) => v.attester) });
  }
  return files;
}

/** BENCH_REPEATS runs of each size, with the timings line asked for; each output checked. */
async function runSizes(
  bench: BenchContext,
  provider: ProviderContext,
  files: Map<number, KeyFile>,
) {
  const runs = new Map<number, CountedRun[]>();
  const outputs = new Map<number, string>();
  for (const n of KEY_COUNTS) {
    runs.set(n, []);
    for (let i = 0; i < bench.repeats; i++) {
      const cwd = join(bench.tmp, `ppk-${n}-${i}`);
      mkdirSync(cwd);
      const output = join(cwd, `public-keys-${n}.json`);
      const env = isolatedEnv(bench.tmp, { ...provider.config, [TIMINGS_ENV]: "1" });
      const run = await runCounted(
        ["process-private-keys", files.get(n)!.path, "-o", output],
        cwd,
        env,
        bench.log,
      );
      const written = JSON.parse(readFileSync(output, "utf8")) as { validators: unknown[] };
      check(
        written.validators.length === n,
        `public-keys file has ${written.validators.length} validators, expected ${n}`,
      );
      outputs.set(n, output);
      runs.get(n)!.push(run);
      bench.log(
        `process-private-keys ${fmtInt(n)} keys, run ${i + 1}/${bench.repeats}: ${fmtMs(run.run.wallMs)}, ` +
          `${fmtInt(Math.round(mib(run.run.peakRssKb)))} MiB, ${run.seen.httpRequests} HTTP requests` +
          (run.run.timings ? "" : ", no timings line"),
      );
    }
  }
  return { runs, outputs };
}

/** Baselines (a) and (b), and the tool's own queue read in-process; (b) checks the CLI's output. */
async function measureBaselines(
  bench: BenchContext,
  provider: ProviderContext,
  files: Map<number, KeyFile>,
  outputs: Map<number, string>,
) {
  const tool = await toolChainReads(isolatedEnv(bench.tmp, provider.config));
  bench.log(
    `baseline (a): reading the queue one awaited eth_call per entry (${fmtInt(QUEUE_LENGTH)} requests)`,
  );
  const { registry, proxy } = bench;
  const baseQueue = await counted(() =>
    timed(() => baselineQueueRead(proxy.url, registry, provider.providerId)),
  );
  const toolQueue = await counted(() =>
    timed(() => tool.readQueue(registry, provider.providerId, provider.admin)),
  );
  check(baseQueue.result.value.length === QUEUE_LENGTH, "baseline queue read length");
  check(
    toolQueue.result.value.attesters.every(
      (a, i) => a.toLowerCase() === baseQueue.result.value[i]!.toLowerCase(),
    ),
    "tool and baseline read different queues",
  );

  // Warm-up: the timings below leave out module loading and Barretenberg's start-up (which the
  // CLI's runs include), so they flatter the baseline.
  const warmUpKeys = makePrivateKeyFile(20).validators.map((v) => v.attester);
  await baselineDerive(warmUpKeys);
  await baselineDeriveWithToolsEthDerivation(warmUpKeys);
  const derive = new Map<number, number>();
  const deriveAsTheTool = new Map<number, number>();
  for (const n of KEY_COUNTS) {
    bench.log(`baseline (b): deriving ${fmtInt(n)} keys one at a time on the main thread`);
    const base = await timed(() => baselineDerive(files.get(n)!.keys));
    derive.set(n, base.wallMs);
    bench.log(`baseline (b′): the same with the CLI's eth derivation (libsecp256k1)`);
    const own = await timed(() => baselineDeriveWithToolsEthDerivation(files.get(n)!.keys));
    deriveAsTheTool.set(n, own.wallMs);
    check(
      own.value.every((v, i) => v.eth === base.value[i]!.eth && v.bls === base.value[i]!.bls),
      `baselines (b) and (b′) derived different keys for ${n}`,
    );
    // The CLI's output must hold exactly the keys the straightforward derivation gives.
    const written = JSON.parse(readFileSync(outputs.get(n)!, "utf8")) as {
      validators: { attester: { eth: string; bls: string } }[];
    };
    written.validators.forEach((v, i) => {
      check(v.attester.eth === base.value[i]!.eth, `validator ${i} of ${n}: attester.eth differs`);
      check(v.attester.bls === base.value[i]!.bls, `validator ${i} of ${n}: attester.bls differs`);
    });
  }
  const component: ComponentRow = {
    name: `queue check, ${fmtInt(QUEUE_LENGTH)} entries`,
    toolMs: toolQueue.result.wallMs,
    toolHttp: toolQueue.seen.httpRequests,
    baselineMs: baseQueue.result.wallMs,
    baselineHttp: baseQueue.seen.httpRequests,
    how: "readProviderQueue (deployless reads of 250 entries, sent together) vs viem readContract per entry, unbatched, awaited in turn",
  };
  return { queue: baseQueue, derive, deriveAsTheTool, component };
}

/** Progress: redrawn on a pseudo-terminal (10,000 keys), absent from every piped run. */
async function checkProgress(
  bench: BenchContext,
  provider: ProviderContext,
  runs: Map<number, CountedRun[]>,
  file: KeyFile,
): Promise<{ target: TargetRow; note: string }> {
  const pipedClean = [...runs.values()].flat().every((r) => !hasProgressMarks(r.run.stderr));
  const piped = `${pipedClean ? "none" : "SOME"} when piped`;
  const hasScript = spawnSync("script", ["--version"], { encoding: "utf8" }).status === 0;
  if (!hasScript) {
    const note = "util-linux `script` not found; TTY case not checked";
    return {
      note,
      target: {
        target: "progress on stderr only when it is a TTY",
        measured: `not checked on a TTY (${note}); ${piped}`,
        met: pipedClean,
      },
    };
  }
  const cwd = join(bench.tmp, "tty");
  mkdirSync(cwd);
  ensureFreshBundle();
  const env = isolatedEnv(bench.tmp, provider.config);
  const tty = await runOnPseudoTerminal(file.path, join(cwd, "out.json"), cwd, env);
  check(
    tty.code === 0,
    `process-private-keys on a pseudo-terminal exited ${tty.code}: ${tty.terminal}`,
  );
  const updates = (tty.terminal.match(/deriving keys: [\d,]+\/[\d,]+/g) ?? []).length;
  const note =
    `stderr on a pseudo-terminal (util-linux script): ${fmtInt(updates)} progress updates ` +
    `("deriving keys: n/${fmtInt(file.keys.length)}", redrawn in place); stderr piped: ` +
    `${pipedClean ? "no progress output" : "PROGRESS OUTPUT FOUND"} in all ${fmtInt([...runs.values()].flat().length)} runs`;
  bench.log(`progress: ${note}`);
  return {
    note,
    target: {
      target: "progress on stderr only when it is a TTY",
      measured: `${fmtInt(updates)} updates on a pseudo-terminal; ${piped}`,
      met: pipedClean && updates > 0,
    },
  };
}

/** With the variable, every run's stderr ends with its timings line. */
function timingsTarget(runs: Map<number, CountedRun[]>): TargetRow {
  const all = [...runs.values()].flat().map((r) => r.run);
  const problems = timingsProblems(all, "process-private-keys");
  return {
    target: `with ${TIMINGS_ENV}=1, every process-private-keys run ends stderr with its timings line (its command, total ≤ wall)`,
    measured: problems.length === 0 ? `in all ${all.length} runs` : problems.join("; "),
    met: problems.length === 0,
  };
}

/** One 100-key run without the variable: the timings line is the bench's alone. */
async function checkNoTimingsLine(
  bench: BenchContext,
  provider: ProviderContext,
  file: KeyFile,
): Promise<TargetRow> {
  const cwd = join(bench.tmp, "ppk-no-timings");
  mkdirSync(cwd);
  const { run } = await runCounted(
    ["process-private-keys", file.path, "-o", join(cwd, "public.json")],
    cwd,
    isolatedEnv(bench.tmp, provider.config),
    bench.log,
  );
  const clean = run.timings === undefined && !mentionsTimings(run.stderr);
  return {
    target: `without ${TIMINGS_ENV}, no timings line on stderr`,
    measured: `${clean ? "none" : "A TIMINGS LINE"} in a ${fmtInt(file.keys.length)}-key run without it`,
    met: clean,
  };
}

/** Median wall ÷ (baseline (b) / the cores used + `--help`'s wall), per size; the same for (b′). */
function limitRows(
  runs: Map<number, CountedRun[]>,
  baselines: { derive: Map<number, number>; deriveAsTheTool: Map<number, number> },
  helpMs: number,
): LimitRow[] {
  return KEY_COUNTS.map((n) => {
    const wallMs = summarise(runs.get(n)!).wallMs;
    const cores = workersFor(n);
    const limitMs = baselines.derive.get(n)! / cores + helpMs;
    const toolsLimitMs = baselines.deriveAsTheTool.get(n)! / cores + helpMs;
    return {
      keys: n,
      wallMs,
      baselineMs: baselines.derive.get(n)!,
      cores,
      helpMs,
      limitMs,
      ratio: wallMs / limitMs,
      toolsBaselineMs: baselines.deriveAsTheTool.get(n)!,
      toolsRatio: wallMs / toolsLimitMs,
    };
  });
}

function scenarioRow(
  n: number,
  runs: CountedRun[],
  queue: { ms: number; http: number },
  deriveMs: number,
): ScenarioRow {
  const s = summarise(runs);
  return {
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
    baselineMs: queue.ms + deriveMs,
    baselineHttp: queue.http,
    baselineNote:
      "(a) queue read one eth_call at a time + (b) derivation one key at a time on the main thread (sum; excludes process start, file parsing and writing)",
  };
}

function ppkTargets(
  runs: Map<number, CountedRun[]>,
  limits: LimitRow[],
  repeats: number,
  batchSize: number,
): TargetRow[] {
  const summary = new Map(KEY_COUNTS.map((n) => [n, summarise(runs.get(n)!)]));
  const hundred = summary.get(100)!;
  const limit = limits.find((l) => l.keys === 10_000)!;
  const queueLimit = Math.ceil(QUEUE_LENGTH / batchSize) + 3;
  const queueWorst = Math.max(...[...summary.values()].map((s) => s.maxQueueRequests));
  const rss = KEY_COUNTS.map((n) => mib(summary.get(n)!.rssKb));
  const slopeLow = (rss[1]! - rss[0]!) / (1_000 - 100);
  const slopeHigh = (rss[2]! - rss[1]!) / (10_000 - 1_000);
  return [
    {
      target: `process-private-keys, 100 keys (queue ${fmtInt(QUEUE_LENGTH)}) end to end < ${fmtMs(TARGETS.hundredKeysMs)} (median of ${repeats})`,
      measured: `${fmtMs(hundred.wallMs)} (runs ${fmtMs(hundred.minMs)} … ${fmtMs(hundred.maxMs)})`,
      met: hundred.wallMs < TARGETS.hundredKeysMs,
    },
    {
      target:
        `process-private-keys, 10,000 keys: median wall ≤ ${TARGETS.limitRatio} × (baseline (b) / ${limit.cores} cores used + --help's wall) ` +
        `= ${TARGETS.limitRatio} × (${fmtMs(limit.baselineMs)} / ${limit.cores} + ${fmtMs(limit.helpMs)}) = ${fmtMs(TARGETS.limitRatio * limit.limitMs)}`,
      measured: `${fmtMs(limit.wallMs)}, ratio ${limit.ratio.toFixed(2)}`,
      met: limit.ratio <= TARGETS.limitRatio,
    },
    {
      target: `queue check of ${fmtInt(QUEUE_LENGTH)} entries ≤ ceil(N/${batchSize})+3 = ${queueLimit} HTTP requests`,
      measured: `${queueWorst} requests (worst of ${KEY_COUNTS.length * repeats} CLI runs)`,
      met: queueWorst <= queueLimit,
    },
    {
      target: `peak RSS at 10,000 keys < ${TARGETS.rssMiB} MiB`,
      measured: `${rss[2]!.toFixed(0)} MiB (highest of ${repeats} runs)`,
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
  ];
}

/**
 * The section. `helpMs`: the median wall of `aztec-butler --help` in this run (the start-up
 * section's, or measured for this section alone).
 */
export async function benchProcessPrivateKeys(
  bench: BenchContext,
  provider: ProviderContext,
  options: { helpMs: number; batchSize: number },
): Promise<PpkResult> {
  const files = writeKeyFiles(bench.tmp);
  const { runs, outputs } = await runSizes(bench, provider, files);
  const base = await measureBaselines(bench, provider, files, outputs);
  const progress = await checkProgress(bench, provider, runs, files.get(10_000)!);
  const noTimings = await checkNoTimingsLine(bench, provider, files.get(100)!);
  const limits = limitRows(runs, base, options.helpMs);
  const queue = { ms: base.queue.result.wallMs, http: base.queue.seen.httpRequests };
  return {
    scenarios: KEY_COUNTS.map((n) => scenarioRow(n, runs.get(n)!, queue, base.derive.get(n)!)),
    components: [base.component],
    targets: [
      ...ppkTargets(runs, limits, bench.repeats, options.batchSize),
      progress.target,
      timingsTarget(runs),
      noTimings,
    ],
    limits,
    breakdowns: KEY_COUNTS.map((n) => {
      const sized = runs.get(n)!.map((r) => r.run);
      return {
        title: `process-private-keys, ${fmtInt(n)} keys (queue ${fmtInt(QUEUE_LENGTH)})`,
        wallMs: summarise(runs.get(n)!).wallMs,
        breakdown: breakdownOf(sized),
      };
    }),
    baselineDerivation: KEY_COUNTS.map((n) => ({ keys: n, wallMs: base.derive.get(n)! })),
    baselineQueueMs: base.queue.result.wallMs,
    progressNote: progress.note,
    // The rule in src/core/keys/derivation-pool.ts: one worker per 256 keys, at most one per core and 4.
    workersNote: KEY_COUNTS.map((n) => {
      const workers = workersFor(n);
      return `${workers} worker thread${workers === 1 ? "" : "s"} for ${fmtInt(n)} keys`;
    }).join(", "),
  };
}
