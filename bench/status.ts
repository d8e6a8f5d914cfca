/**
 * `status` at operator scale: 10,000 attesters against a 10,000-entry provider queue, a
 * 2,000-entry rollup entry queue and 5,000 StakedWithProvider events, on the production-parity
 * chain (Aztec's real rollup) behind the counting proxy. Measured after a first run that caches
 * the event logs: HTTP requests, wall time, peak RSS; beside a straightforward baseline that
 * reads per attester (one awaited eth_call per queue entry and per attester).
 *
 * The chain state is built cheaply with the test registry's test-only bulk helpers
 * (testBulkStake: 2,000 real rollup deposits; testEmitStakedWithProvider: 3,000 more events).
 *
 * Run alone: `node --import tsx bench/status.ts`; `npm run bench` runs it too.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RollupAbi } from "@aztec/l1-artifacts/RollupAbi";
import { TestERC20Abi } from "@aztec/l1-artifacts/TestERC20Abi";
import { createPublicClient, http, parseAbi, parseEther, type Address, type Hash } from "viem";
import {
  ANVIL_ACCOUNTS,
  addKeysToProviderQueue,
  aztecOf,
  makeDummyRegistrationTuples,
  registerProvider,
  setBalances,
  startTestChain,
  type TestChain,
} from "../tests/support/test-chain.js";
import { startRpcProxy, type RpcProxy } from "../tests/support/rpc-proxy.js";
import { stakingRegistryAbi } from "../src/types/abi/staking-registry.js";
import { timed } from "./baselines.js";
import {
  firstStatusRun,
  repeatedStatusRuns,
  sendAll,
  type BaselineMeasure,
  type MeasuredRun,
  type StatusInvocation,
  writeStatusKeyFile,
} from "./status-runs.js";
import { fmtInt, fmtMs, median, type TargetRow } from "./report.js";
import { isolatedEnv } from "./run-cli.js";

const PROVIDER_QUEUE = 10_000;
const ENTRY_QUEUE = 2_000;
const EVENTS = 5_000;
const ATTESTERS = 10_000;
const PUBLISHERS = 100;
const TARGETS = { httpRequests: 25, wallMs: 5_000, rssMiB: 500 } as const;

const benchAbi = parseAbi([
  "function testBulkStake(uint256 providerIdentifier, uint256 rollupVersion, uint256 count, address withdrawer)",
  "function testEmitStakedWithProvider(uint256 providerIdentifier, address rollup, address[] attesters)",
]);

/** The chain state: queues and events as in the target; returns the 10,000 attesters to report on. */
async function buildChainState(chain: TestChain, log: (line: string) => void) {
  const aztec = aztecOf(chain);
  const registry = aztec.stakingRegistry;
  const providerId = await registerProvider(chain, registry, ANVIL_ACCOUNTS[1]!);
  const tuples = makeDummyRegistrationTuples(ENTRY_QUEUE + PROVIDER_QUEUE);
  log(`status: filling provider ${providerId}'s queue with ${fmtInt(tuples.length)} keys`);
  await addKeysToProviderQueue(chain, registry, providerId, tuples);

  log(`status: staking ${fmtInt(ENTRY_QUEUE)} of them into the rollup's entry queue`);
  const threshold = (await chain.publicClient.readContract({
    address: aztec.rollup,
    abi: RollupAbi,
    functionName: "getActivationThreshold",
  })) as bigint;
  const owner = chain.accounts[0]!;
  await sendAll(chain, [
    () =>
      chain.walletClient.writeContract({
        address: aztec.stakingAsset,
        abi: TestERC20Abi,
        functionName: "mint",
        args: [registry, threshold * BigInt(ENTRY_QUEUE)],
        account: owner,
      }),
  ]);
  const perTx = 25;
  const stakes: (() => Promise<Hash>)[] = [];
  for (let done = 0; done < ENTRY_QUEUE; done += perTx) {
    stakes.push(() =>
      chain.walletClient.writeContract({
        address: registry,
        abi: benchAbi,
        functionName: "testBulkStake",
        args: [providerId, aztec.rollupVersion, BigInt(Math.min(perTx, ENTRY_QUEUE - done)), owner],
        account: owner,
        gas: 16_000_000n,
      }),
    );
  }
  await sendAll(chain, stakes);

  const others = makeDummyRegistrationTuples(EVENTS - ENTRY_QUEUE, 1_000_000).map(
    (k) => k.attester,
  );
  log(`status: ${fmtInt(others.length)} more StakedWithProvider events`);
  const sends: (() => Promise<Hash>)[] = [];
  for (let i = 0; i < others.length; i += 500) {
    sends.push(() =>
      chain.walletClient.writeContract({
        address: registry,
        abi: benchAbi,
        functionName: "testEmitStakedWithProvider",
        args: [providerId, aztec.rollup, others.slice(i, i + 500)],
        account: owner,
        gas: 16_000_000n,
      }),
    );
  }
  await sendAll(chain, sends);
  // Reported on: the 2,000 queued, the 3,000 with events only, 5,000 of the provider queue.
  const attesters = [
    ...tuples.slice(0, ENTRY_QUEUE).map((k) => k.attester),
    ...others,
    ...tuples.slice(ENTRY_QUEUE, ENTRY_QUEUE + (ATTESTERS - EVENTS)).map((k) => k.attester),
  ];
  return { registry, providerId, rollup: aztec.rollup, attesters };
}

/** The straightforward way: every queue entry and every attester, one awaited eth_call each. */
async function baselinePerAttester(
  rpcUrl: string,
  registry: Address,
  providerId: bigint,
  rollup: Address,
  attesters: readonly Address[],
): Promise<Map<string, number>> {
  const client = createPublicClient({ transport: http(rpcUrl, { batch: false, retryCount: 0 }) });
  const [first, last] = await Promise.all(
    (["getFirstIndexInQueue", "getLastIndexInQueue"] as const).map(
      (functionName) =>
        client.readContract({
          address: registry,
          abi: stakingRegistryAbi,
          functionName,
          args: [providerId],
        }) as Promise<bigint>,
    ),
  );
  for (let i = first!; i < last!; i++) {
    await client.readContract({
      address: registry,
      abi: stakingRegistryAbi,
      functionName: "getValueAtIndexInQueue",
      args: [providerId, i],
    });
  }
  const length = (await client.readContract({
    address: rollup,
    abi: RollupAbi,
    functionName: "getEntryQueueLength",
  })) as bigint;
  for (let i = 0n; i < length; i++) {
    await client.readContract({
      address: rollup,
      abi: RollupAbi,
      functionName: "getEntryQueueAt",
      args: [i],
    });
  }
  const statuses = new Map<string, number>();
  for (const attester of attesters) {
    const view = (await client.readContract({
      address: rollup,
      abi: RollupAbi,
      functionName: "getAttesterView",
      args: [attester],
    })) as { status: number };
    statuses.set(attester.toLowerCase(), Number(view.status));
  }
  return statuses;
}

export interface StatusBenchResult {
  targets: TargetRow[];
  lines: string[];
}

/** The key file `status` reports on: the attesters, each with one of 100 funded publishers. */
async function fundedKeyFile(
  chain: TestChain,
  tmp: string,
  attesters: readonly Address[],
): Promise<{ dir: string; keyFile: string }> {
  const publishers = Array.from(
    { length: PUBLISHERS },
    (_, i) => `0x${(0xb0b0n * 2n ** 140n + BigInt(i)).toString(16).padStart(40, "0")}` as Address,
  );
  await setBalances(
    chain,
    publishers.map((address) => ({ address, wei: parseEther("10") })),
  );
  const dir = join(tmp, "status");
  const keyFile = writeStatusKeyFile(
    dir,
    attesters.map((attester, i) => ({ attester, publisher: publishers[i % PUBLISHERS]! })),
  );
  return { dir, keyFile };
}

/** The measured runs, after a first run that caches the logs and must count every state right. */
async function measuredStatusRuns(
  invocation: StatusInvocation,
  log: (line: string) => void,
  repeats: number,
): Promise<MeasuredRun[]> {
  const first = await firstStatusRun(invocation);
  const counts = (JSON.parse(first.stdout) as { counts: Record<string, number> }).counts;
  log(
    `status: first run (reads and caches the logs) ${fmtMs(first.wallMs)}, counts ${JSON.stringify(counts)}`,
  );
  const expected = {
    COINBASE_NEEDED: ENTRY_QUEUE,
    NO_LONGER_ACTIVE: EVENTS - ENTRY_QUEUE,
    IN_STAKING_PROVIDER_QUEUE: ATTESTERS - EVENTS,
  };
  for (const [state, n] of Object.entries(expected)) {
    if (counts[state] !== n)
      throw new Error(`status counted ${counts[state]} ${state}, expected ${n}`);
  }

  return repeatedStatusRuns(invocation, { label: "status", repeats, log });
}

/** The per-attester baseline through the proxy: its wall time and HTTP requests. */
async function measuredBaseline(
  proxy: RpcProxy,
  state: { registry: Address; providerId: bigint; rollup: Address; attesters: Address[] },
  log: (line: string) => void,
): Promise<BaselineMeasure> {
  const { registry, providerId, rollup, attesters } = state;
  proxy.resetStats();
  log("status: baseline, one awaited eth_call per queue entry and per attester");
  const base = await timed(() =>
    baselinePerAttester(proxy.url, registry, providerId, rollup, attesters),
  );
  const baseHttp = proxy.stats.httpRequests;
  log(`status baseline: ${fmtMs(base.wallMs)}, ${fmtInt(baseHttp)} HTTP requests`);
  return { wallMs: base.wallMs, http: baseHttp };
}

/** The section's line and its targets: median wall time, most HTTP requests, highest RSS. */
function statusResult(
  runs: MeasuredRun[],
  base: BaselineMeasure,
  repeats: number,
): StatusBenchResult {
  const wall = median(runs.map((r) => r.wallMs));
  const maxHttp = Math.max(...runs.map((r) => r.http));
  const maxRss = Math.max(...runs.map((r) => r.rssMiB));
  const lines = [
    `status, ${fmtInt(ATTESTERS)} attesters vs provider queue ${fmtInt(PROVIDER_QUEUE)}, entry queue ${fmtInt(ENTRY_QUEUE)}, ` +
      `${fmtInt(EVENTS)} events (logs cached): median ${fmtMs(wall)} over ${repeats} runs, ${maxHttp} HTTP requests ` +
      `(${fmtInt(runs[0]!.calls)} calls), peak RSS ${maxRss.toFixed(0)} MiB; baseline per attester ${fmtMs(base.wallMs)}, ` +
      `${fmtInt(base.http)} HTTP requests (${(base.wallMs / wall).toFixed(1)}× slower)`,
  ];
  return {
    lines,
    targets: [
      {
        target: `status at 10,000 attesters: ≤ ${TARGETS.httpRequests} HTTP requests after the logs are cached`,
        measured: `${maxHttp} (baseline ${fmtInt(base.http)})`,
        met: maxHttp <= TARGETS.httpRequests,
      },
      {
        target: `status at 10,000 attesters: < ${TARGETS.wallMs / 1000} s end to end`,
        measured: `${fmtMs(wall)} median (baseline ${fmtMs(base.wallMs)})`,
        met: wall < TARGETS.wallMs,
      },
      {
        target: `status at 10,000 attesters: peak RSS < ${TARGETS.rssMiB} MiB`,
        measured: `${maxRss.toFixed(0)} MiB`,
        met: maxRss < TARGETS.rssMiB,
      },
    ],
  };
}

export async function benchStatus(
  tmp: string,
  log: (line: string) => void,
  repeats: number,
): Promise<StatusBenchResult> {
  let chain: TestChain | undefined;
  let proxy: RpcProxy | undefined;
  try {
    chain = await startTestChain();
    const fromBlock = await chain.publicClient.getBlockNumber();
    const built = await timed(() => buildChainState(chain!, log));
    const { registry, providerId } = built.value;
    log(`status: chain state built in ${fmtMs(built.wallMs)}`);
    const { dir, keyFile } = await fundedKeyFile(chain, tmp, built.value.attesters);
    proxy = await startRpcProxy(chain.rpcUrl);
    const env = isolatedEnv(tmp, {
      ETHEREUM_NODE_URL: proxy.url,
      ETHEREUM_CHAIN_ID: String(chain.chainId),
      STAKING_REGISTRY_ADDRESS: registry,
      AZTEC_STAKING_PROVIDER_ID: String(providerId),
    });
    const args = ["status", keyFile, "--json", "--from-block", String(fromBlock)];
    const runs = await measuredStatusRuns({ args, dir, env, proxy }, log, repeats);
    const base = await measuredBaseline(proxy, built.value, log);
    return statusResult(runs, base, repeats);
  } finally {
    await proxy?.stop();
    await chain?.stop();
  }
}

if (process.argv[1]?.endsWith("bench/status.ts")) {
  const tmp = mkdtempSync(join(tmpdir(), "butler-bench-status-"));
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  benchStatus(tmp, log, Math.max(1, Number(process.env.BENCH_REPEATS ?? 3)))
    .then((result) => {
      for (const line of result.lines) process.stdout.write(`${line}\n`);
      for (const t of result.targets)
        process.stdout.write(`${t.met ? "met    " : "NOT MET"} ${t.target}: ${t.measured}\n`);
      process.exitCode = result.targets.every((t) => t.met) ? 0 : 1;
    })
    .catch((error: unknown) => {
      process.stderr.write(
        `bench: failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = 1;
    })
    .finally(() => rmSync(tmp, { recursive: true, force: true }));
}
