/** Formatting the benchmark's results: a plain-text table for stdout and BENCHMARKS.md. */
import type { Machine } from "./machine.js";
import type { Breakdown } from "./timings.js";

export interface ScenarioRow {
  name: string;
  /** Keys processed (validators written, for prepare-deployment). */
  keys: number;
  /** Median wall time of the runs, and the fastest and slowest. */
  wallMs: number;
  minMs: number;
  maxMs: number;
  rssMiB: number;
  httpRequests: number;
  rpcCalls: number;
  /** The part of the requests a target is about. */
  detail: string;
  /** Peak RSS of each run, for the report. */
  rssRuns: string;
  baselineMs: number;
  baselineHttp: number;
  baselineNote: string;
}

export interface ComponentRow {
  name: string;
  toolMs: number;
  toolHttp: number;
  baselineMs: number;
  baselineHttp: number;
  how: string;
}

export interface TargetRow {
  target: string;
  measured: string;
  met: boolean;
}

/** One start-up row: `--help` or a 1-validator run of a command. */
export interface StartupRow {
  command: string;
  /** The exit code every run had (as expected), and why when it is not 0. */
  exit: number;
  why?: string;
  wallMs: number;
  minMs: number;
  maxMs: number;
  /** wallMs − the median of the `node -e 0` runs interleaved with them. */
  overNodeMs: number;
  httpRequests: number;
  breakdown: Breakdown;
}

export interface StartupReport {
  /** `node -e 0`: the median, fastest and slowest of its runs (one before each command run). */
  node: { wallMs: number; minMs: number; maxMs: number; runs: number };
  rows: StartupRow[];
}

/** The limit-relative target's terms for one size of process-private-keys. */
export interface LimitRow {
  keys: number;
  /** Median wall of the CLI's runs. */
  wallMs: number;
  /** Baseline (b): the keys derived one at a time on the main thread, warm. */
  baselineMs: number;
  /** The derivation worker threads the CLI uses for this size on this machine. */
  cores: number;
  /** `--help`'s median wall in the same run. */
  helpMs: number;
  /** baselineMs / cores + helpMs. */
  limitMs: number;
  /** wallMs / limitMs. */
  ratio: number;
  /** Baseline (b′): as (b), with the CLI's own eth derivation (libsecp256k1). */
  toolsBaselineMs: number;
  /** wallMs / (toolsBaselineMs / cores + helpMs). */
  toolsRatio: number;
}

/** Where one scenario's wall time goes, from the CLI's timings line. */
export interface BreakdownSection {
  title: string;
  wallMs: number;
  breakdown: Breakdown;
}

export interface Report {
  startedAt: Date;
  machine: Machine;
  loadBefore: string;
  loadAfter: string;
  repeats: number;
  rssMethod: string;
  /** The sections this run ran (BENCH_ONLY), all of them when unset. */
  sections: string[];
  queueFillMs?: number;
  startup?: StartupReport;
  scenarios: ScenarioRow[];
  components: ComponentRow[];
  targets: TargetRow[];
  limits: LimitRow[];
  breakdowns: BreakdownSection[];
  progressNote?: string;
  keystoreLoaded?: number;
  /** Baseline (b) on its own: one key at a time on the main thread, warm. */
  baselineDerivation: { keys: number; wallMs: number }[];
  baselineQueueMs?: number;
  /** How many derivation worker threads each key count gets on this machine. */
  workersNote?: string;
}

/** A full run's report: every section there, as BENCHMARKS.md needs. */
export type FullReport = Required<Report>;

export const fmtInt = (n: number) => Math.round(n).toLocaleString("en-US");
export const fmtMs = (ms: number) => `${fmtInt(ms)} ms`;
export const fmtRatio = (r: number) =>
  Number.isFinite(r) ? `${r >= 10 ? r.toFixed(0) : r.toFixed(1)}×` : "–";
const keysPerSecond = (keys: number, ms: number) => fmtInt(keys / (ms / 1000));

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function pad(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
        .join("  "),
    )
    .join("\n");
}

function scenarioCells(s: ScenarioRow): string[] {
  return [
    s.name,
    fmtMs(s.wallMs),
    keysPerSecond(s.keys, s.wallMs),
    `${s.rssMiB.toFixed(0)} MiB`,
    fmtInt(s.httpRequests),
    fmtInt(s.rpcCalls),
    fmtMs(s.baselineMs),
    fmtInt(s.baselineHttp),
    fmtRatio(s.baselineMs / s.wallMs),
    fmtRatio(s.baselineHttp / s.httpRequests),
  ];
}

const SCENARIO_HEADER = [
  "scenario",
  "wall",
  "keys/s",
  "peak RSS",
  "HTTP req",
  "RPC calls",
  "baseline wall",
  "baseline HTTP",
  "ratio wall",
  "ratio HTTP",
];

function componentCells(c: ComponentRow): string[] {
  return [
    c.name,
    fmtMs(c.toolMs),
    fmtInt(c.toolHttp),
    fmtMs(c.baselineMs),
    fmtInt(c.baselineHttp),
    fmtRatio(c.baselineMs / c.toolMs),
    c.toolHttp > 0 ? fmtRatio(c.baselineHttp / c.toolHttp) : "–",
  ];
}

const COMPONENT_HEADER = [
  "component",
  "tool",
  "tool HTTP",
  "baseline",
  "baseline HTTP",
  "ratio wall",
  "ratio HTTP",
];

const derivationLine = (r: Report) =>
  r.baselineDerivation
    .map(
      (d) =>
        `${fmtInt(d.keys)} keys ${fmtMs(d.wallMs)} (${keysPerSecond(d.keys, d.wallMs)} keys/s)`,
    )
    .join(", ");

const range = (wallMs: number, minMs: number, maxMs: number) =>
  `${fmtMs(wallMs)} (${fmtInt(minMs)}–${fmtInt(maxMs)})`;

const STARTUP_HEADER = ["command", "wall, median (min–max)", "minus node -e 0", "HTTP req", "exit"];

function startupCells(row: StartupRow): string[] {
  return [
    row.command,
    range(row.wallMs, row.minMs, row.maxMs),
    fmtMs(row.overNodeMs),
    fmtInt(row.httpRequests),
    row.why ? `${row.exit} (${row.why})` : String(row.exit),
  ];
}

const nodeCells = (s: StartupReport) => [
  `node -e 0 (${s.node.runs} runs)`,
  range(s.node.wallMs, s.node.minMs, s.node.maxMs),
  "–",
  "–",
  "0",
];

/** One line per start-up row: its phases' median durations, in order of start. */
function startupPhasesLine(row: StartupRow): string {
  if (row.breakdown === "no timings line") return `${row.command}: no timings line`;
  const phases = row.breakdown.rows.map((p) => `${p.phase} ${fmtMs(p.ms)}`).join(", ");
  return `${row.command}: ${phases} (CLI total ${fmtMs(row.breakdown.totalMs)})`;
}

const LIMIT_HEADER = [
  "keys",
  "wall (median)",
  "baseline (b)",
  "cores used",
  "--help wall",
  "limit = (b) / cores + --help",
  "ratio = wall / limit",
  "baseline (b′)",
  "ratio against (b′) / cores + --help",
];

const limitCells = (l: LimitRow) => [
  fmtInt(l.keys),
  fmtMs(l.wallMs),
  fmtMs(l.baselineMs),
  String(l.cores),
  fmtMs(l.helpMs),
  fmtMs(l.limitMs),
  l.ratio.toFixed(2),
  fmtMs(l.toolsBaselineMs),
  l.toolsRatio.toFixed(2),
];

const BREAKDOWN_HEADER = ["phase", "start (median)", "duration (median)", "share of wall"];

const breakdownCells = (b: Exclude<Breakdown, "no timings line">, repeats: number) =>
  b.rows.map((p) => [
    p.runs === repeats ? p.phase : `${p.phase} (${p.runs} of ${repeats} runs)`,
    fmtMs(p.startMs),
    fmtMs(p.ms),
    `${(p.share * 100).toFixed(0)} %`,
  ]);

function breakdownText(b: BreakdownSection, repeats: number): string[] {
  const title = `Where the time goes: ${b.title} (median wall ${fmtMs(b.wallMs)})`;
  if (b.breakdown === "no timings line") return [title, "no timings line"];
  return [title, pad([BREAKDOWN_HEADER, ...breakdownCells(b.breakdown, repeats)])];
}

function startupText(s: StartupReport): string[] {
  return [
    "",
    "Start-up: node -e 0, --help and a 1-validator run of every command, interleaved",
    pad([STARTUP_HEADER, nodeCells(s), ...s.rows.map(startupCells)]),
    ...s.rows.map(startupPhasesLine),
  ];
}

export function textTable(report: Report): string {
  const lines = [
    "",
    `Sections run: ${report.sections.join(", ")}; median of ${report.repeats} runs`,
    ...(report.startup ? startupText(report.startup) : []),
  ];
  if (report.scenarios.length > 0) {
    lines.push(
      "",
      "End to end: the real CLI (ratio = baseline / tool)",
      pad([SCENARIO_HEADER, ...report.scenarios.map(scenarioCells)]),
    );
  }
  if (report.components.length > 0) {
    lines.push(
      "",
      "Components, in-process, same proxy",
      pad([COMPONENT_HEADER, ...report.components.map(componentCells)]),
    );
  }
  if (report.baselineDerivation.length > 0) {
    lines.push(
      `Baseline (b), derivation one key at a time on the main thread (warm): ${derivationLine(report)}`,
    );
  }
  if (report.limits.length > 0) {
    lines.push("", "Against the limit", pad([LIMIT_HEADER, ...report.limits.map(limitCells)]));
  }
  for (const b of report.breakdowns) lines.push("", ...breakdownText(b, report.repeats));
  lines.push(
    "",
    "Targets",
    pad([
      ["target", "measured", ""],
      ...report.targets.map((t) => [t.target, t.measured, t.met ? "met" : "NOT MET"]),
    ]),
  );
  return lines.join("\n");
}

function mdTable(header: string[], rows: string[][], align: ("l" | "r")[]): string {
  const sep = align.map((a) => (a === "r" ? "---:" : "---"));
  return [header, sep, ...rows].map((r) => `| ${r.join(" | ")} |`).join("\n");
}

function mdMachineAndSetUp(r: FullReport): string {
  const m = r.machine;
  return `## Machine

| | |
|---|---|
| CPUs (\`nproc\`) | ${m.cpus} |
| CPU model | ${m.cpuModel} |
| memory | ${m.memory} |
| Node.js | ${m.node} |
| anvil | ${m.anvil} |
| kernel | ${m.kernel} |
| 1-minute load average, start → end | ${r.loadBefore} → ${r.loadAfter} (other work on the machine makes wall times noisy) |

## Set-up

A local anvil with the test staking registry; provider 1 (admin: anvil account 1) has a queue of
10,000 entries (filled in ${fmtMs(r.queueFillMs)}). Every JSON-RPC request goes through a counting
HTTP proxy on loopback (\`tests/support/rpc-proxy.ts\`), which counts HTTP requests and the JSON-RPC
calls inside them and tells apart the requests of the queue check (a call to one of the queue
functions, or a deployless read: an \`eth_call\` of \`contracts/ProviderQueueReader.sol\`'s creation
code, which reads 250 entries with \`getValueAtIndexInQueue\` inside the node) and of the funding
check (an \`eth_getBalance\`).

- **process-private-keys**: private-key files of 100, 1,000 and 10,000 validators with random, valid,
  unique keys (secp256k1 below n, BN254 below r), as \`aztec validator-keys new\` writes them.
- **prepare-deployment**: a production file of 4,000 validators (public keys, non-zero coinbases,
  \`remoteSigner\`) plus a public-keys file of 1,000 new ones, and 500 publishers, each funded with
  1,000 ETH; run with \`--new-public-keys\`. The output was loaded with the node's own
  \`loadKeystoreFile\` (\`@aztec/node-keystore/loader\`): ${fmtInt(r.keystoreLoaded)} validators.

Each scenario runs the real CLI, \`node bin/aztec-butler.js …\` (its esbuild bundle in \`dist/\`; the
benchmark rebuilds it first when \`src/\` is newer), ${r.repeats} times, in a fresh working directory
with an isolated HOME and XDG dirs and its stdout (where the private keys are printed, the
specification's stand-in for a secret store) sent to /dev/null. Wall time is from spawn to exit
(process start-up included);
the table gives the median and, in brackets, the fastest and slowest run. Every run is checked:
exit code 0, the output file holds every validator, and the public keys written equal the ones
the baseline derives. Peak RSS is the CLI process's, all threads included, measured with
${r.rssMethod === "GNU time (ru_maxrss)" ? "GNU time (`/usr/bin/time -f %M`, the kernel's ru_maxrss after exit)" : "polling /proc/<pid>/status VmHWM every 10 ms"}; the
highest of the runs is reported.

**Baselines**, measured in the same run against the same chain and proxy, doing the same work the
straightforward way: (a) the queue read with a viem public client without batching, one awaited
\`readContract(getValueAtIndexInQueue)\` per entry; (b) public keys derived one at a time on the
main thread (viem \`privateKeyToAddress\`, \`computeBn254G1PublicKeyCompressed\`); (c) one awaited
\`getBalance\` per publisher. For process-private-keys the baseline is (a) + (b) (which leaves out
process start-up, parsing and writing, so it flatters the baseline); for prepare-deployment it is
the tool's own run with its batched funding read swapped for (c). Ratio = baseline / tool.`;
}

function mdStartup(r: FullReport): string {
  const s = r.startup;
  return `## Start-up

What a run costs before the work grows with the keys: \`node -e 0\`, \`aztec-butler --help\` and a
1-validator run of every command against the chain above (a provider of its own, admin anvil
account 2, whose queue holds one entry with invalid keys), ${r.repeats} runs each, every one right
after a \`node -e 0\` run; "minus node -e 0" is the median wall minus the median of those
${s.node.runs} \`node -e 0\` runs. The production file's attester and publisher are anvil accounts,
so anvil itself is check-signer's remote signer (it answers \`eth_accounts\` and \`eth_sign\` as
web3signer does); its attester has a StakedWithProvider event and no coinbase (fill-coinbases fills
it); check-secrets reads a keystore directory process-private-keys wrote once, before the runs,
with the tests' cheap KDF parameters (the row measures the command, not scrypt: see the encrypted
validators' targets for that). add-keys, drip-queue and fund-publishers write their transactions
to a file (\`-o\`); nothing is sent. Every run is checked: its exit code, and its output file (or
the JSON on stdout).

${mdTable(STARTUP_HEADER, [nodeCells(s), ...s.rows.map(startupCells)], ["l", "r", "r", "r", "l"])}

Phases inside the CLI (median durations, from its timings line; they may overlap):

${s.rows.map((row) => `- ${startupPhasesLine(row)}`).join("\n")}`;
}

function mdEndToEnd(r: FullReport): string {
  const scenarioRows = r.scenarios.map((s) => {
    const cells = scenarioCells(s);
    cells[1] = range(s.wallMs, s.minMs, s.maxMs);
    return cells;
  });
  return `## End to end

${mdTable([...SCENARIO_HEADER.slice(0, 1), "wall, median (min–max)", ...SCENARIO_HEADER.slice(2)], scenarioRows, ["l", "r", "r", "r", "r", "r", "r", "r", "r", "r"])}

${r.scenarios.map((s) => `- ${s.name}: ${s.detail}; every run ${s.rssRuns}.`).join("\n")}

Baselines: ${[...new Set(r.scenarios.map((s) => s.baselineNote))].join("; ")}.

Peak RSS is mostly fixed cost: the main thread (viem, the chain client, the queue's answers) and
the derivation worker threads, each with its own V8 heap and its own Barretenberg and libsecp256k1
WebAssembly instances. The CLI uses ${r.workersNote}, hence the
step from 100 to 1,000 keys; from 1,000 to 10,000 keys the growth is the keys themselves.

### Against the limit

The 10,000-key target is relative to what this machine allows: baseline (b), the keys derived one
at a time on the main thread, divided among the worker threads the CLI uses for that size (one
per 256 keys, at most one per core and 4), plus the CLI's start-up (\`--help\`'s median wall), both
measured in this run; the target is a median wall of at most 1.2 × that limit. Baseline (b) is
what the target was set on (viem's \`privateKeyToAddress\`, Aztec's
\`computeBn254G1PublicKeyCompressed\`). The CLI now derives eth keys with libsecp256k1, 2.3 times
as fast a key as viem: baseline (b′) is (b) with that derivation, so its ratio says how close the
CLI is to what the machine needs for the work it actually does (no target: what is left above 1
is the fixed cost of the run, worker start-up and the main thread's reads, with fewer keys' work
to hide it).

${mdTable(LIMIT_HEADER, r.limits.map(limitCells), ["r", "r", "r", "r", "r", "r", "r", "r", "r"])}`;
}

function mdBreakdowns(r: FullReport): string {
  const sections = r.breakdowns.map((b) => {
    const title = `### ${b.title}\n\nMedian wall ${fmtMs(b.wallMs)}.`;
    if (b.breakdown === "no timings line") return `${title} No timings line.`;
    const total = `The CLI's own total: ${fmtMs(b.breakdown.totalMs)}.`;
    const table = mdTable(BREAKDOWN_HEADER, breakdownCells(b.breakdown, r.repeats), [
      "l",
      "r",
      "r",
      "r",
    ]);
    return `${title} ${total}\n\n${table}`;
  });
  return `## Where the time goes

Measured inside the CLI: with \`AZTEC_BUTLER_BENCH_TIMINGS=1\` in its environment (only the
benchmark sets it) it writes its phases as the last line of stderr (start from the process's start,
duration; phases overlap, as the chain reads run during derivation). Per phase the median over the
${r.repeats} runs; share = its median duration / the median wall the benchmark measured (spawn to
exit). A run without the variable is checked to have no such line.

${sections.join("\n\n")}`;
}

function mdComponents(r: FullReport): string {
  return `## Components

In-process, through the same proxy, on their own:

${mdTable(COMPONENT_HEADER, r.components.map(componentCells), ["l", "r", "r", "r", "r", "r", "r"])}

${r.components.map((c) => `- ${c.name}: ${c.how}.`).join("\n")}

Baseline (b), public keys derived one at a time on the main thread, measured warm (module loading
and Barretenberg's start-up left out, unlike the CLI runs): ${derivationLine(r)}; baseline (a),
the queue read one call at a time: ${fmtMs(r.baselineQueueMs)}. The CLI derives on worker threads
(one per core, at most 4) while it reads the queue in batches.`;
}

/** BENCHMARKS.md, from a full run (every section). */
export function markdownReport(r: FullReport): string {
  const targets = mdTable(
    ["target", "measured", "result"],
    r.targets.map((t) => [t.target, t.measured, t.met ? "met" : "**NOT MET**"]),
    ["l", "l", "l"],
  );
  return `# Benchmarks

Generated by \`npm run bench\` (\`bench/bench.ts\`) on ${r.startedAt.toISOString()}. Every number below
was measured in that one run; run it again to refresh this file.

${mdMachineAndSetUp(r)}

${mdStartup(r)}

${mdEndToEnd(r)}

${mdBreakdowns(r)}

${mdComponents(r)}

## Targets

${targets}

Progress: ${r.progressNote}.
`;
}
