/**
 * The provider queue's health at operator scale: `status` on a 10,000-entry provider queue of which
 * 5,000 attesters the rollup already knows (in its entry queue: ALREADY_REGISTERED) and 5,000 are
 * sound keys whose proofs of possession must be checked against the real GSE's digests, on the
 * production-parity chain behind the counting proxy. Measured after a first run that caches the
 * event logs: wall time, HTTP requests, peak RSS; beside the per-entry baseline in the same run:
 * one awaited call per entry (its key store, its rollup status, its digest) and the GSE's check in
 * this process on the main thread (checkRegistrationTuple, @noble/curves), one entry after the other.
 *
 * Set-up: 5,000 placeholder key stores staked into the rollup's entry queue with the test
 * registry's testBulkStake, then queued again interleaved with 5,000 sound keys (generated once:
 * public keys by successive additions, proofs over the chain's GSE digests; cached under
 * node_modules/.cache/aztec-butler/).
 *
 * Run alone: `node --import tsx bench/queue-health.ts`; `npm run bench` runs it too.
 */
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bn254 } from "@noble/curves/bn254.js";
import { GSEAbi } from "@aztec/l1-artifacts/GSEAbi";
import { RollupAbi } from "@aztec/l1-artifacts/RollupAbi";
import { TestERC20Abi } from "@aztec/l1-artifacts/TestERC20Abi";
import {
  createPublicClient,
  decodeFunctionResult,
  encodeFunctionData,
  getAddress,
  http,
  keccak256,
  parseAbi,
  toHex,
  type Address,
  type Hash,
  type Hex,
} from "viem";
import { checkRegistrationTuple } from "../src/core/keys/registration-tuple-check.js";
import { stakingRegistryAbi } from "../src/types/abi/staking-registry.js";
import {
  ANVIL_ACCOUNTS,
  addKeysToProviderQueue,
  aztecOf,
  makeDummyRegistrationTuples,
  registerProvider,
  rpcBatch,
  startTestChain,
  type TestChain,
  type TestRegistrationTuple,
} from "../tests/support/test-chain.js";
import { startRpcProxy, type RpcProxy } from "../tests/support/rpc-proxy.js";
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
import { PROJECT_ROOT, isolatedEnv } from "./run-cli.js";

const KNOWN = 5_000;
const SOUND = 5_000;
const TARGETS = { wallMs: 10_000, httpRequests: 60 } as const;

const bulkStakeAbi = parseAbi([
  "function testBulkStake(uint256 providerIdentifier, uint256 rollupVersion, uint256 count, address withdrawer)",
]);

/** The cache file of `count` sound key stores: named for the count and the GSE's artifacts version. */
function soundTuplesCachePath(count: number): string {
  const artifacts = JSON.parse(
    readFileSync(join(PROJECT_ROOT, "node_modules/@aztec/l1-artifacts/package.json"), "utf8"),
  ) as { version: string };
  const key = createHash("sha256")
    .update(`sound-keystores 1 ${count} ${artifacts.version}`)
    .digest("hex")
    .slice(0, 16);
  return join(PROJECT_ROOT, "node_modules/.cache/aztec-butler", `bench-keys-${key}.json`);
}

/** The key stores cached in `cache`, or undefined where it is missing or unreadable. */
function cachedSoundTuples(cache: string): TestRegistrationTuple[] | undefined {
  try {
    return (JSON.parse(readFileSync(cache, "utf8")) as Record<string, string | string[]>[]).map(
      (k) => ({
        attester: k.attester as Address,
        publicKeyG1: { x: BigInt(k.g1![0]!), y: BigInt(k.g1![1]!) },
        publicKeyG2: {
          x0: BigInt(k.g2![0]!),
          x1: BigInt(k.g2![1]!),
          y0: BigInt(k.g2![2]!),
          y1: BigInt(k.g2![3]!),
        },
        proofOfPossession: { x: BigInt(k.pop![0]!), y: BigInt(k.pop![1]!) },
      }),
    );
  } catch {
    // not cached yet
    return undefined;
  }
}

/** The public keys of secrets s0 … s0 + count - 1, by successive additions of the generators. */
function successivePublicKeys(
  s0: bigint,
  count: number,
): { g1: { x: bigint; y: bigint }; g2: TestRegistrationTuple["publicKeyG2"] }[] {
  let p1 = bn254.G1.Point.BASE.multiply(s0);
  let p2 = bn254.G2.Point.BASE.multiply(s0);
  const publicKeys: { g1: { x: bigint; y: bigint }; g2: TestRegistrationTuple["publicKeyG2"] }[] =
    [];
  for (let i = 0; i < count; i++) {
    const a1 = p1.toAffine();
    const a2 = p2.toAffine();
    publicKeys.push({
      g1: { x: a1.x, y: a1.y },
      g2: { x0: a2.x.c0, x1: a2.x.c1, y0: a2.y.c0, y1: a2.y.c1 },
    });
    p1 = p1.add(bn254.G1.Point.BASE);
    p2 = p2.add(bn254.G2.Point.BASE);
  }
  return publicKeys;
}

/** The chain's GSE registration digest of each G1 public key, in one batched request. */
async function registrationDigests(
  chain: TestChain,
  publicKeysG1: { x: bigint; y: bigint }[],
): Promise<{ x: bigint; y: bigint }[]> {
  const { gse } = aztecOf(chain);
  const answers = (await rpcBatch(
    chain,
    publicKeysG1.map((g1) => ({
      method: "eth_call",
      params: [
        {
          to: gse,
          data: encodeFunctionData({
            abi: GSEAbi,
            functionName: "getRegistrationDigest",
            args: [g1],
          }),
        },
        "latest",
      ],
    })),
  )) as Hex[];
  return answers.map((data) =>
    decodeFunctionResult({ abi: GSEAbi, functionName: "getRegistrationDigest", data }),
  );
}

/** Writes the key stores to `cache` (numbers as decimal strings). */
function writeSoundTuplesCache(cache: string, tuples: TestRegistrationTuple[]): void {
  mkdirSync(join(cache, ".."), { recursive: true });
  writeFileSync(
    cache,
    JSON.stringify(
      tuples.map((k) => ({
        attester: k.attester,
        g1: [k.publicKeyG1.x, k.publicKeyG1.y].map(String),
        g2: [k.publicKeyG2.x0, k.publicKeyG2.x1, k.publicKeyG2.y0, k.publicKeyG2.y1].map(String),
        pop: [k.proofOfPossession.x, k.proofOfPossession.y].map(String),
      })),
    ),
  );
}

/**
 * `count` sound key stores: secrets s0 + i, public keys by successive additions of the
 * generators, proofs of possession over the chain's GSE digests (one batched request). Cached:
 * the digests depend only on the keys (the GSE hashes them to the curve).
 */
async function soundRegistrationTuples(
  chain: TestChain,
  count: number,
): Promise<TestRegistrationTuple[]> {
  const cache = soundTuplesCachePath(count);
  const cached = cachedSoundTuples(cache);
  if (cached !== undefined) return cached;
  const s0 = BigInt(keccak256(toHex("aztec-butler bench sound keys"))) >> 8n;
  const publicKeys = successivePublicKeys(s0, count);
  const digests = await registrationDigests(
    chain,
    publicKeys.map(({ g1 }) => g1),
  );
  const tuples = publicKeys.map(({ g1, g2 }, i): TestRegistrationTuple => {
    const pop = bn254.G1.Point.fromAffine(digests[i]!)
      .multiply(s0 + BigInt(i))
      .toAffine();
    const attester = getAddress(
      `0x${(BigInt(keccak256(toHex(`bench sound ${i}`))) & ((1n << 160n) - 1n)).toString(16).padStart(40, "0")}`,
    );
    return {
      attester,
      publicKeyG1: g1,
      publicKeyG2: g2,
      proofOfPossession: { x: pop.x, y: pop.y },
    };
  });
  writeSoundTuplesCache(cache, tuples);
  return tuples;
}

/** The queue: 5,000 attesters the rollup has in its entry queue, interleaved with 5,000 sound keys. */
async function buildChainState(chain: TestChain, log: (line: string) => void) {
  const aztec = aztecOf(chain);
  const registry = aztec.stakingRegistry;
  const owner = chain.accounts[0]!;
  const providerId = await registerProvider(chain, registry, ANVIL_ACCOUNTS[1]!);
  const known = makeDummyRegistrationTuples(KNOWN, 2_000_000);
  log(`queue health: staking ${fmtInt(KNOWN)} keys into the rollup's entry queue`);
  await addKeysToProviderQueue(chain, registry, providerId, known);
  const threshold = (await chain.publicClient.readContract({
    address: aztec.rollup,
    abi: RollupAbi,
    functionName: "getActivationThreshold",
  })) as bigint;
  await sendAll(chain, [
    () =>
      chain.walletClient.writeContract({
        address: aztec.stakingAsset,
        abi: TestERC20Abi,
        functionName: "mint",
        args: [registry, threshold * BigInt(KNOWN)],
        account: owner,
      }),
  ]);
  const perTx = 25;
  const stakes: (() => Promise<Hash>)[] = [];
  for (let done = 0; done < KNOWN; done += perTx) {
    stakes.push(() =>
      chain.walletClient.writeContract({
        address: registry,
        abi: bulkStakeAbi,
        functionName: "testBulkStake",
        args: [providerId, aztec.rollupVersion, BigInt(Math.min(perTx, KNOWN - done)), owner],
        account: owner,
        gas: 16_000_000n,
      }),
    );
  }
  await sendAll(chain, stakes);
  log(`queue health: ${fmtInt(SOUND)} sound keys (generated once, then cached)`);
  const sound = await soundRegistrationTuples(chain, SOUND);
  const queue = known.flatMap((k, i) => [k, sound[i]!]);
  log(`queue health: queueing ${fmtInt(queue.length)} keys`);
  await addKeysToProviderQueue(chain, registry, providerId, queue);
  return { registry, providerId, attesters: queue.map((k) => k.attester) };
}

/**
 * The straightforward way: for each entry, one awaited call for its key store, one for its status
 * (and the entry queue one awaited call per entry), one for its digest, and the GSE's check on
 * the main thread. Returns the number of entries with a problem.
 */
async function baselinePerEntry(
  rpcUrl: string,
  chain: TestChain,
  registry: Address,
  providerId: bigint,
): Promise<number> {
  const { rollup, gse } = aztecOf(chain);
  const client = createPublicClient({ transport: http(rpcUrl, { batch: false, retryCount: 0 }) });
  const length = await client.readContract({
    address: rollup,
    abi: RollupAbi,
    functionName: "getEntryQueueLength",
  });
  const entryQueue = new Set<string>();
  for (let i = 0n; i < length; i++) {
    const entry = await client.readContract({
      address: rollup,
      abi: RollupAbi,
      functionName: "getEntryQueueAt",
      args: [i],
    });
    entryQueue.add(entry.attester.toLowerCase());
  }
  const bound = (functionName: "getFirstIndexInQueue" | "getLastIndexInQueue") =>
    client.readContract({
      address: registry,
      abi: stakingRegistryAbi,
      functionName,
      args: [providerId],
    });
  const [first, last] = [await bound("getFirstIndexInQueue"), await bound("getLastIndexInQueue")];
  const seen = new Set<string>();
  let problems = 0;
  for (let index = first; index < last; index++) {
    const tuple = await client.readContract({
      address: registry,
      abi: stakingRegistryAbi,
      functionName: "getValueAtIndexInQueue",
      args: [providerId, index],
    });
    const attester = tuple.attester.toLowerCase();
    const view = await client.readContract({
      address: rollup,
      abi: RollupAbi,
      functionName: "getAttesterView",
      args: [tuple.attester],
    });
    const known = view.status !== 0 || entryQueue.has(attester) || seen.has(attester);
    seen.add(attester);
    if (known) {
      problems++;
      continue;
    }
    const digest = await client.readContract({
      address: gse,
      abi: GSEAbi,
      functionName: "getRegistrationDigest",
      args: [tuple.publicKeyG1],
    });
    if (checkRegistrationTuple(tuple, digest) !== "SOUND") problems++;
  }
  return problems;
}

export interface QueueHealthBenchResult {
  targets: TargetRow[];
  lines: string[];
}

interface QueueReport {
  length: number;
  blockedHead: number;
  problems: { problem: string }[];
}

/** The key file `status` reports on: every queued attester, all with the same publisher. */
function queueKeyFile(
  tmp: string,
  attesters: readonly Address[],
): { dir: string; keyFile: string } {
  const dir = join(tmp, "queue-health");
  const publisher = ANVIL_ACCOUNTS[2]! as Address;
  const keyFile = writeStatusKeyFile(
    dir,
    attesters.map((attester) => ({ attester, publisher })),
  );
  return { dir, keyFile };
}

/** The provider queue `status --json` reported, checked: every rollup-known entry ALREADY_REGISTERED. */
function checkedProviderQueue(stdout: string): QueueReport {
  const queue = (JSON.parse(stdout) as { providerQueue: QueueReport }).providerQueue;
  const problems = queue.problems.filter((p) => p.problem === "ALREADY_REGISTERED").length;
  if (queue.length !== KNOWN + SOUND || queue.problems.length !== KNOWN || problems !== KNOWN)
    throw new Error(
      `status reported ${JSON.stringify({ ...queue, problems: queue.problems.length })}`,
    );
  return queue;
}

/** The measured runs, after a first run that caches the logs; every run's report is checked. */
async function measuredQueueHealthRuns(
  invocation: StatusInvocation,
  log: (line: string) => void,
  repeats: number,
): Promise<MeasuredRun[]> {
  const first = await firstStatusRun(invocation);
  const queue = checkedProviderQueue(first.stdout);
  log(
    `queue health: first run (reads and caches the logs) ${fmtMs(first.wallMs)}: ${fmtInt(queue.problems.length)} ` +
      `problems, blockedHead ${queue.blockedHead}`,
  );

  return repeatedStatusRuns(invocation, {
    label: "queue health",
    repeats,
    log,
    checkReport: checkedProviderQueue,
  });
}

/** The per-entry baseline through the proxy (it must find every rollup-known entry): its wall time and HTTP requests. */
async function measuredBaseline(
  proxy: RpcProxy,
  chain: TestChain,
  state: { registry: Address; providerId: bigint },
  log: (line: string) => void,
): Promise<BaselineMeasure> {
  proxy.resetStats();
  log("queue health: baseline, one awaited call per entry and the GSE's check on the main thread");
  const base = await timed(() =>
    baselinePerEntry(proxy.url, chain, state.registry, state.providerId),
  );
  if (base.value !== KNOWN) throw new Error(`the baseline found ${base.value} problems`);
  const baseHttp = proxy.stats.httpRequests;
  log(`queue health baseline: ${fmtMs(base.wallMs)}, ${fmtInt(baseHttp)} HTTP requests`);
  return { wallMs: base.wallMs, http: baseHttp };
}

/** The section's line and its targets: median wall time and most HTTP requests. */
function queueHealthResult(
  runs: MeasuredRun[],
  base: BaselineMeasure,
  options: { repeats: number; attesters: number },
): QueueHealthBenchResult {
  const wall = median(runs.map((r) => r.wallMs));
  const maxHttp = Math.max(...runs.map((r) => r.http));
  const maxRss = Math.max(...runs.map((r) => r.rssMiB));
  const scenario = `status, provider queue of ${fmtInt(KNOWN + SOUND)} with ${fmtInt(KNOWN)} rollup-known`;
  return {
    lines: [
      `${scenario} (${fmtInt(SOUND)} proofs of possession checked, ${fmtInt(options.attesters)} attesters reported): ` +
        `median ${fmtMs(wall)} over ${options.repeats} runs, ${maxHttp} HTTP requests (${fmtInt(runs[0]!.calls)} calls), ` +
        `peak RSS ${maxRss.toFixed(0)} MiB; baseline per entry ${fmtMs(base.wallMs)}, ${fmtInt(base.http)} HTTP ` +
        `requests (${(base.wallMs / wall).toFixed(1)}× slower)`,
    ],
    targets: [
      {
        target: `queue health of a 10,000-entry provider queue (5,000 rollup-known): ≤ ${TARGETS.wallMs / 1000} s end to end`,
        measured: `${fmtMs(wall)} median (baseline ${fmtMs(base.wallMs)})`,
        met: wall <= TARGETS.wallMs,
      },
      {
        target: `queue health of a 10,000-entry provider queue: ≤ ${TARGETS.httpRequests} HTTP requests`,
        measured: `${maxHttp} (baseline ${fmtInt(base.http)})`,
        met: maxHttp <= TARGETS.httpRequests,
      },
    ],
  };
}

export async function benchQueueHealth(
  tmp: string,
  log: (line: string) => void,
  repeats: number,
): Promise<QueueHealthBenchResult> {
  let chain: TestChain | undefined;
  let proxy: RpcProxy | undefined;
  try {
    chain = await startTestChain();
    const fromBlock = await chain.publicClient.getBlockNumber();
    const built = await timed(() => buildChainState(chain!, log));
    const { registry, providerId, attesters } = built.value;
    log(`queue health: chain state built in ${fmtMs(built.wallMs)}`);
    const { dir, keyFile } = queueKeyFile(tmp, attesters);
    proxy = await startRpcProxy(chain.rpcUrl);
    const env = isolatedEnv(tmp, {
      ETHEREUM_NODE_URL: proxy.url,
      ETHEREUM_CHAIN_ID: String(chain.chainId),
      STAKING_REGISTRY_ADDRESS: registry,
      AZTEC_STAKING_PROVIDER_ID: String(providerId),
    });
    const args = ["status", keyFile, "--json", "--from-block", String(fromBlock)];
    const runs = await measuredQueueHealthRuns({ args, dir, env, proxy }, log, repeats);
    const base = await measuredBaseline(proxy, chain, built.value, log);
    return queueHealthResult(runs, base, { repeats, attesters: attesters.length });
  } finally {
    await proxy?.stop();
    await chain?.stop();
  }
}

if (process.argv[1]?.endsWith("bench/queue-health.ts")) {
  const tmp = mkdtempSync(join(tmpdir(), "butler-bench-queue-health-"));
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  benchQueueHealth(tmp, log, Math.max(1, Number(process.env.BENCH_REPEATS ?? 3)))
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
