/**
 * Benchmark section `startup`: what a run costs before the work grows with the keys. `node -e 0`,
 * `aztec-butler --help`, and a 1-validator run of every command against the local chain, each
 * BENCH_REPEATS times, every command's run right after a `node -e 0` run (so both see the same
 * machine), reported as the median wall and the median wall − `node -e 0`'s median.
 *
 * A provider of its own (admin anvil account 2) whose queue holds one entry with invalid keys (so
 * that drip-queue has a head to remove and status a problem to report); one validator in a
 * production file whose attester and publisher are anvil accounts 3 and 4 (so anvil itself, which
 * answers eth_accounts and eth_sign as web3signer does, is its remote signer) and whose attester
 * has a StakedWithProvider event (the test registry's testEmitStakedWithProvider) but no coinbase
 * (fill-coinbases fills it); and a new private-key file of one validator. check-secrets reads a
 * keystore directory written by process-private-keys once, during the set-up, behind the tests'
 * cheap-KDF preload (tests/support/test-only-cheap-kdf.mjs): the row measures the command, not
 * scrypt (whose cost the encrypted-validators rows measure). Each run is checked: the exit code
 * expected for that command, and its output file (or JSON on stdout).
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseAbi, zeroHash, type Address } from "viem";

import { cheapKdfPreload } from "../tests/support/cli.js";
import {
  ANVIL_ACCOUNTS,
  addKeysToProviderQueue,
  aztecOf,
  makeDummyRegistrationTuples,
  registerProvider,
} from "../tests/support/test-chain.js";
import { configFor, type BenchContext } from "./context.js";
import { check, counted } from "./counting.js";
import { makePrivateKeyFile, randomBls32 } from "./keygen.js";
import { fmtMs, median, type StartupReport, type StartupRow, type TargetRow } from "./report.js";
import { ensureFreshBundle, isolatedEnv, runCli, runNode, type CliRun } from "./run-cli.js";
import { breakdownOf, timingsProblems, TIMINGS_ENV } from "./timings.js";

const HELP_OVER_NODE_MS = 150;
/** Dummy queue entries' offset: far from the ones the ppk section's queue uses (0 … 9,999). */
const DUMMY_OFFSET = 50_000_000;

const emitAbi = parseAbi([
  "function testEmitStakedWithProvider(uint256 providerIdentifier, address rollup, address[] attesters)",
]);

interface Inputs {
  dir: string;
  privateKeys: string;
  production: string;
  publishers: string;
  publicKeys: string;
  store: string;
  /** The block the bench's registry was deployed after: status' and fill-coinbases' --from-block. */
  fromBlock: string;
  config: Record<string, string>;
}

/** One command of the section: its arguments in a fresh working directory, and its checks. */
interface StartupCommand {
  /** The first argument: the command's name (what its timings line names), or `--help`. */
  label: string;
  args: (inputs: Inputs, cwd: string) => string[];
  exit: number;
  /** Why that exit code, when it is not 0. */
  why?: string;
  /** The file the run must leave in its cwd, or that its stdout must be JSON. */
  output: string | "stdout JSON" | "stdout help";
  /** A further check of the run's stdout: what is wrong, if anything. */
  verify?: (stdout: string) => string | undefined;
}

/** status' exit 3 must be the queue's head alone: one blocking entry, no attester's problem. */
function onlyTheQueueHead(stdout: string): string | undefined {
  const doc = JSON.parse(stdout) as {
    providerQueue: { blockedHead: number };
    problems: { problem: string }[];
  };
  return doc.providerQueue.blockedHead === 1 && doc.problems.length === 0
    ? undefined
    : `blockedHead ${doc.providerQueue.blockedHead}, problems ${JSON.stringify(doc.problems)}`;
}

const COMMANDS: StartupCommand[] = [
  { label: "--help", args: () => ["--help"], exit: 0, output: "stdout help" },
  {
    label: "process-private-keys",
    args: (i) => ["process-private-keys", i.privateKeys, "-o", "public.json"],
    exit: 0,
    output: "public.json",
  },
  {
    label: "prepare-deployment",
    args: (i) => [
      "prepare-deployment",
      i.production,
      i.publishers,
      "--new-public-keys",
      i.publicKeys,
      "-o",
      "prod.json.new",
    ],
    exit: 0,
    output: "prod.json.new",
  },
  {
    label: "add-keys",
    args: (i) => ["add-keys", i.privateKeys, "-o", "calldata.json"],
    exit: 0,
    output: "calldata.json",
  },
  {
    label: "status",
    args: (i) => [
      "status",
      i.production,
      "--json",
      "--from-block",
      i.fromBlock,
      "--metrics-file",
      "status.prom",
    ],
    exit: 3,
    why: "the queue's head has invalid keys",
    output: "status.prom",
    verify: onlyTheQueueHead,
  },
  {
    label: "fill-coinbases",
    args: (i) => ["fill-coinbases", i.production, "--from-block", i.fromBlock, "-o", "filled.json"],
    exit: 0,
    output: "filled.json",
  },
  {
    label: "drip-queue",
    args: () => ["drip-queue", "-o", "drip.json"],
    exit: 0,
    output: "drip.json",
  },
  {
    label: "check-signer",
    args: (i) => ["check-signer", i.production, "--json"],
    exit: 0,
    output: "stdout JSON",
  },
  {
    label: "check-secrets",
    args: (i) => [
      "check-secrets",
      i.privateKeys,
      "--secret-store",
      `keystore-dir:${i.store}`,
      "--json",
    ],
    exit: 0,
    output: "stdout JSON",
  },
  {
    label: "fund-publishers",
    args: (i) => ["fund-publishers", i.production, "-o", "transfers.json"],
    exit: 0,
    output: "transfers.json",
  },
];

/** The chain state and files every command's run reads (see the header). */
async function setUp(bench: BenchContext, fromBlock: bigint): Promise<Inputs> {
  const { chain, registry } = bench;
  const providerId = await registerProvider(chain, registry, ANVIL_ACCOUNTS[2]! as Address);
  await addKeysToProviderQueue(
    chain,
    registry,
    providerId,
    makeDummyRegistrationTuples(1, DUMMY_OFFSET),
  );
  const [attester, publisher] = [ANVIL_ACCOUNTS[3]! as Address, ANVIL_ACCOUNTS[4]! as Address];
  const hash = await chain.walletClient.writeContract({
    address: registry,
    abi: emitAbi,
    functionName: "testEmitStakedWithProvider",
    args: [providerId, aztecOf(chain).rollup, [attester]],
    account: chain.accounts[0]!,
  });
  const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
  check(receipt.status === "success", "testEmitStakedWithProvider reverted");

  const dir = join(bench.tmp, "startup");
  mkdirSync(dir);
  const write = (name: string, content: unknown) => {
    writeFileSync(join(dir, name), `${JSON.stringify(content, null, 2)}\n`);
    return join(dir, name);
  };
  const inputs: Inputs = {
    dir,
    privateKeys: write("new-private-keys.json", makePrivateKeyFile(1)),
    production: write("prod.json", {
      schemaVersion: 1,
      remoteSigner: chain.rpcUrl,
      validators: [
        { attester: { eth: attester, bls: randomBls32(1)[0]! }, publisher, feeRecipient: zeroHash },
      ],
    }),
    publishers: write("publishers.json", [publisher]),
    publicKeys: join(dir, "public-new-keys.json"),
    store: join(dir, "validator-keys"),
    fromBlock: String(fromBlock),
    config: configFor(bench, providerId),
  };
  await writeKeystoreDir(bench, inputs);
  return inputs;
}

/**
 * The public-keys file prepare-deployment reads and the keystore directory check-secrets reads,
 * written by the CLI itself (process-private-keys --secret-store keystore-dir:…), with the tests'
 * cheap KDF parameters. The password is this run's own random one, passed in the environment;
 * the store writes it into its keystore-password.txt (0600), as for an operator.
 */
async function writeKeystoreDir(bench: BenchContext, inputs: Inputs): Promise<void> {
  const args = [
    "process-private-keys",
    inputs.privateKeys,
    "-o",
    inputs.publicKeys,
    "--secret-store",
    `keystore-dir:${inputs.store}`,
  ];
  const env = isolatedEnv(bench.tmp, {
    ...inputs.config,
    AZTEC_BUTLER_KEYSTORE_PASSWORD: randomBytes(16).toString("hex"),
  });
  const run = await runCli(args, {
    cwd: inputs.dir,
    env,
    nodeOptions: ["--import", cheapKdfPreload],
  });
  check(
    run.code === 0,
    `set-up process-private-keys --secret-store exited ${run.code}:\n${run.stderr}`,
  );
}

/** A run's checks: the expected exit code, and the output it must leave. */
function checkRun(command: StartupCommand, run: CliRun, cwd: string): void {
  const name = `aztec-butler ${command.label}`;
  check(
    run.code === command.exit,
    `${name} exited ${run.code ?? run.signal}, expected ${command.exit}:\n${run.stderr}`,
  );
  if (command.output === "stdout help") {
    check(run.stdout?.startsWith("Usage: aztec-butler"), `${name} printed no usage`);
  } else if (command.output === "stdout JSON") {
    check(
      run.stdout !== undefined && typeof JSON.parse(run.stdout) === "object",
      `${name}: no JSON on stdout`,
    );
  } else {
    check(existsSync(join(cwd, command.output)), `${name} wrote no ${command.output}`);
    check(
      readFileSync(join(cwd, command.output), "utf8").length > 0,
      `${name}: ${command.output} is empty`,
    );
  }
  const wrong = command.verify?.(run.stdout ?? "");
  check(wrong === undefined, `${name}: ${wrong}`);
}

async function runCommand(
  bench: BenchContext,
  inputs: Inputs,
  command: StartupCommand,
  cwd: string,
) {
  const env = isolatedEnv(bench.tmp, { ...inputs.config, [TIMINGS_ENV]: "1" });
  // stdout is kept only where it holds no private key (process-private-keys prints them).
  const keepStdout = command.output.startsWith("stdout") || command.verify !== undefined;
  const { result: run, seen } = await counted(() =>
    runCli(command.args(inputs, cwd), { cwd, env, keepStdout }),
  );
  checkRun(command, run, cwd);
  return { run, httpRequests: seen.httpRequests };
}

function startupRow(
  command: StartupCommand,
  runs: { run: CliRun; httpRequests: number }[],
  nodeMs: number,
): StartupRow {
  const walls = runs.map((r) => r.run.wallMs);
  const wallMs = median(walls);
  return {
    command: command.label === "--help" ? "--help" : `${command.label}, 1 validator`,
    exit: command.exit,
    why: command.why,
    wallMs,
    minMs: Math.min(...walls),
    maxMs: Math.max(...walls),
    overNodeMs: wallMs - nodeMs,
    httpRequests: Math.max(...runs.map((r) => r.httpRequests)),
    breakdown: breakdownOf(runs.map((r) => r.run)),
  };
}

/** `node -e 0` once, in a fresh directory, with the CLI runs' environment. */
async function runBareNode(bench: BenchContext, cwd: string): Promise<number> {
  const run = await runNode(["-e", "0"], { cwd, env: isolatedEnv(bench.tmp, {}) });
  check(run.code === 0, `node -e 0 exited ${run.code}`);
  return run.wallMs;
}

export interface StartupResult {
  report: StartupReport;
  targets: TargetRow[];
  /** `--help`'s median wall: the start-up term of the ppk section's limit. */
  helpMs: number;
}

export async function benchStartup(bench: BenchContext, fromBlock: bigint): Promise<StartupResult> {
  if (ensureFreshBundle()) bench.log("src/ changed: rebuilt dist/");
  const inputs = await setUp(bench, fromBlock);
  const nodeWalls: number[] = [];
  const runs = new Map(COMMANDS.map((c) => [c, [] as { run: CliRun; httpRequests: number }[]]));
  for (let i = 0; i < bench.repeats; i++) {
    for (const [c, index] of COMMANDS.map((c, index) => [c, index] as const)) {
      const cwd = join(inputs.dir, `run-${i}-${index}`);
      nodeWalls.push(await runBareNode(bench, join(cwd, "node")));
      runs.get(c)!.push(await runCommand(bench, inputs, c, cwd));
    }
    bench.log(
      `start-up round ${i + 1}/${bench.repeats}: ${COMMANDS.map((c) => `${c.label} ${fmtMs(runs.get(c)!.at(-1)!.run.wallMs)}`).join(", ")}`,
    );
  }
  const nodeMs = median(nodeWalls);
  const rows = COMMANDS.map((c) => startupRow(c, runs.get(c)!, nodeMs));
  const help = rows[0]!;
  return {
    helpMs: help.wallMs,
    report: {
      node: {
        wallMs: nodeMs,
        minMs: Math.min(...nodeWalls),
        maxMs: Math.max(...nodeWalls),
        runs: nodeWalls.length,
      },
      rows,
    },
    targets: [
      {
        target: `--help within ${HELP_OVER_NODE_MS} ms of node -e 0 (medians of ${bench.repeats} and ${nodeWalls.length} runs, interleaved)`,
        measured: `${fmtMs(help.wallMs)} − ${fmtMs(nodeMs)} = ${fmtMs(help.overNodeMs)}`,
        met: help.overNodeMs <= HELP_OVER_NODE_MS,
      },
      timingsTarget(runs),
    ],
  };
}

/** With the variable, every start-up run's stderr ends with its timings line, naming its first argument. */
function timingsTarget(runs: Map<StartupCommand, { run: CliRun }[]>): TargetRow {
  const problems = [...runs.entries()].flatMap(([c, rs]) =>
    timingsProblems(
      rs.map((r) => r.run),
      c.label,
    ).map((p) => `${c.label} ${p}`),
  );
  const count = [...runs.values()].flat().length;
  return {
    target: `with ${TIMINGS_ENV}=1, every start-up run ends stderr with its timings line (its command, total ≤ wall)`,
    measured: problems.length === 0 ? `in all ${count} runs` : problems.join("; "),
    met: problems.length === 0,
  };
}

/**
 * `--help`'s median wall alone (BENCH_REPEATS runs), for the ppk section's limit when the
 * start-up section does not run.
 */
export async function measureHelp(bench: BenchContext): Promise<number> {
  const walls: number[] = [];
  for (let i = 0; i < bench.repeats; i++) {
    const cwd = join(bench.tmp, `help-${i}`);
    const run = await runCli(["--help"], {
      cwd,
      env: isolatedEnv(bench.tmp, {}),
      keepStdout: true,
    });
    checkRun(COMMANDS[0]!, run, cwd);
    walls.push(run.wallMs);
  }
  return median(walls);
}
