/**
 * Aztec's real L1 (Registry, Rollup, GSE, staking asset, governance) on the test chain, plus the
 * test staking registry wired to it, deployed ONCE and reused: the deployed chain is dumped with
 * anvil_dumpState into a cache file (node_modules/.cache/aztec-butler/), keyed by everything that
 * shapes it, and every test chain starts from it with anvil_loadState in milliseconds.
 *
 * The deploy itself is scripts/aztec-l1/deploy.mjs (Aztec's deployAztecL1Contracts over the
 * precompiled forge artifacts of @aztec/l1-artifacts, offline), run in a child process so Aztec's
 * logger and PATH changes stay out of the test process.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { RollupAbi } from "@aztec/l1-artifacts/RollupAbi";
import { TestERC20Abi } from "@aztec/l1-artifacts/TestERC20Abi";
import {
  decodeEventLog,
  getAddress,
  numberToHex,
  parseAbi,
  type Address,
  type Hash,
  type Hex,
} from "viem";
import type { TestChain, TestRegistrationTuple } from "./test-chain.js";
import { GSEAbi } from "@aztec/l1-artifacts/GSEAbi";
import { keccak256, toHex } from "viem";
import { buildRegistrationTuples, registrationKeysOf } from "../../src/core/keys/registration.js";

const execFileAsync = promisify(execFile);

/** Where the real L1 and the test registry live on every test chain (the same on every deploy). */
export interface AztecL1Deployment {
  /** Aztec's Registry: getCanonicalRollup(), getRollup(version). */
  registry: Address;
  rollup: Address;
  gse: Address;
  /** TestERC20; its owner and minter is anvil account 0. */
  stakingAsset: Address;
  rollupVersion: bigint;
  /** TestPullSplitFactory: the 0xSplits v2 createSplit the test staking registry calls per stake. */
  pullSplitFactory: Address;
  /**
   * A TestStakingRegistry(stakingAsset, pullSplitFactory, registry), the twin of Aztec's
   * StakingRegistry, deployed from anvil account 0, no providers.
   */
  stakingRegistry: Address;
}

interface SnapshotFile {
  key: string;
  deployment: Record<keyof AztecL1Deployment, string>;
  /** anvil_dumpState's answer. */
  state: Hex;
}

export interface AztecL1Snapshot {
  deployment: AztecL1Deployment;
  state: Hex;
}

const SNAPSHOT_FORMAT = 2;

async function projectRoot(): Promise<string> {
  const { PROJECT_ROOT } = await import("./test-chain.js");
  return PROJECT_ROOT;
}

async function packageVersion(root: string, name: string): Promise<string> {
  const file = path.join(root, "node_modules", name, "package.json");
  return (JSON.parse(await readFile(file, "utf8")) as { version: string }).version;
}

/** Everything that shapes the deployed chain: versions, chain flags, the deploy script, the registry. */
async function snapshotKey(): Promise<string> {
  const { PROJECT_ROOT, TEST_CONTRACTS_DIR, TEST_CHAIN_BLOCK_GAS_LIMIT } =
    await import("./test-chain.js");
  const hash = createHash("sha256").update(`format ${SNAPSHOT_FORMAT}\0`);
  for (const name of [
    "@aztec/ethereum",
    "@aztec/l1-artifacts",
    "@foundry-rs/forge",
    "@foundry-rs/anvil",
    "solc",
  ]) {
    hash.update(`${name}@${await packageVersion(PROJECT_ROOT, name)}\0`);
  }
  hash.update(`gas ${TEST_CHAIN_BLOCK_GAS_LIMIT}\0`);
  hash.update(await readFile(path.join(PROJECT_ROOT, "scripts/aztec-l1/deploy.mjs")));
  hash.update(await readFile(path.join(TEST_CONTRACTS_DIR, "TestStakingRegistry.sol")));
  return hash.digest("hex").slice(0, 24);
}

let pending: Promise<AztecL1Snapshot> | undefined;

/**
 * The deployed chain's state and addresses: from the cache file if it is there, else deployed now
 * (a few seconds) and cached. Once per process. While another live process deploys it (the
 * test run's global setup, see deployAztecL1SnapshotMeanwhile), this one waits for its cache file
 * instead; otherwise parallel processes may both deploy on a cold cache, and the atomic rename
 * makes either result the cache.
 */
export function aztecL1Snapshot(): Promise<AztecL1Snapshot> {
  pending ??= loadOrDeploy();
  pending.catch(() => (pending = undefined));
  return pending;
}

/**
 * For the test run's global setup: on a cold cache, starts the deploy in this process without
 * waiting for it, marked by a lock file holding this process's pid, so that the test files that
 * need no chain (tests/unit, run first: vitest.config.ts) run meanwhile, and the others wait for
 * the cache file rather than deploy it again.
 */
export async function deployAztecL1SnapshotMeanwhile(): Promise<void> {
  const { file, key } = await snapshotFile();
  if (await readSnapshot(file, key)) return;
  const lock = `${file}.deploying`;
  await mkdir(path.dirname(file), { recursive: true });
  try {
    await writeFile(lock, String(process.pid), { flag: "wx" });
  } catch {
    return; // another process deploys it
  }
  const done = aztecL1Snapshot().finally(() => rm(lock, { force: true }));
  // Its failure is each test file's to report (they deploy again when the lock is gone).
  done.catch(() => undefined);
}

/** The snapshot's cache file, and the key that names it (and that the file must hold). */
async function snapshotFile(): Promise<{ file: string; key: string }> {
  const root = await projectRoot();
  const key = await snapshotKey();
  return { file: path.join(root, "node_modules/.cache/aztec-butler", `aztec-l1-${key}.json`), key };
}

async function readSnapshot(file: string, key: string): Promise<AztecL1Snapshot | undefined> {
  try {
    const cached = JSON.parse(await readFile(file, "utf8")) as SnapshotFile;
    if (cached.key === key && cached.state.startsWith("0x")) return fromFile(cached);
  } catch {
    // not cached (or unreadable)
  }
  return undefined;
}

/** Whether a live process other than this one holds the deploy's lock file. */
async function deployingElsewhere(lock: string): Promise<boolean> {
  const pid = Number(await readFile(lock, "utf8").catch(() => ""));
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function loadOrDeploy(): Promise<AztecL1Snapshot> {
  const root = await projectRoot();
  const { file, key } = await snapshotFile();
  for (const started = Date.now(); Date.now() - started < 180_000;) {
    const cached = await readSnapshot(file, key);
    if (cached) return cached;
    if (!(await deployingElsewhere(`${file}.deploying`))) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const snapshot = await deploySnapshot(root);
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const content: SnapshotFile = {
    key,
    deployment: Object.fromEntries(
      Object.entries(snapshot.deployment).map(([k, v]) => [k, String(v)]),
    ) as SnapshotFile["deployment"],
    state: snapshot.state,
  };
  await writeFile(tmp, JSON.stringify(content));
  await rename(tmp, file);
  return snapshot;
}

function fromFile(file: SnapshotFile): AztecL1Snapshot {
  const d = file.deployment;
  return {
    state: file.state,
    deployment: {
      registry: getAddress(d.registry),
      rollup: getAddress(d.rollup),
      gse: getAddress(d.gse),
      stakingAsset: getAddress(d.stakingAsset),
      rollupVersion: BigInt(d.rollupVersion),
      pullSplitFactory: getAddress(d.pullSplitFactory),
      stakingRegistry: getAddress(d.stakingRegistry),
    },
  };
}

async function deploySnapshot(root: string): Promise<AztecL1Snapshot> {
  const { startTestChain, deployTestContract, rpc } = await import("./test-chain.js");
  const chain = await startTestChain({ aztecL1: false });
  const resultFile = path.join(tmpdir(), `aztec-l1-${process.pid}-${Date.now()}.json`);
  try {
    try {
      await execFileAsync(
        process.execPath,
        [path.join(root, "scripts/aztec-l1/deploy.mjs"), chain.rpcUrl, resultFile],
        { cwd: root, timeout: 180_000, maxBuffer: 64 * 1024 * 1024 },
      );
    } catch (error) {
      const e = error as { stderr?: string; stdout?: string; message: string };
      throw new Error(
        `deploying Aztec's L1 contracts failed: ${e.message}\n${e.stderr ?? ""}\n${e.stdout ?? ""}`,
      );
    }
    const result = JSON.parse(await readFile(resultFile, "utf8")) as Record<string, string>;
    const need = (name: string): Address => {
      const value = result[name];
      if (value === undefined) throw new Error(`the L1 deploy returned no ${name}`);
      return getAddress(value);
    };
    const registry = need("registryAddress");
    const stakingAsset = need("stakingAssetAddress");

    const pullSplitFactory = await deployTestContract(chain, "TestPullSplitFactory", []);
    const stakingRegistry = await deployTestContract(chain, "TestStakingRegistry", [
      stakingAsset,
      pullSplitFactory,
      registry,
    ]);
    const deployment: AztecL1Deployment = {
      registry,
      rollup: need("rollupAddress"),
      gse: need("gseAddress"),
      stakingAsset,
      rollupVersion: BigInt(result.rollupVersion ?? "0"),
      pullSplitFactory,
      stakingRegistry,
    };
    const state = await rpc<Hex>(chain, "anvil_dumpState");
    return { deployment, state };
  } finally {
    await rm(resultFile, { force: true });
    await chain.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Staking through the test registry, flushing the entry queue, reading attesters
// ---------------------------------------------------------------------------------------------

const stakeAbi = parseAbi([
  "function stake(uint256 providerIdentifier, uint256 rollupVersion, address withdrawalAddress, uint16 expectedProviderTakeRate, address userRewardsRecipient, bool moveWithLatestRollup)",
  "function getActivationThreshold(uint256 rollupVersion) view returns (uint256)",
  "function providerConfigurations(uint256) view returns (address providerAdmin, uint16 providerTakeRate, address providerRewardsRecipient)",
  "function testRejectAttester(address attester)",
  "event StakedWithProvider(uint256 indexed providerIdentifier, address indexed rollupAddress, address indexed attester, address coinbaseSplitContractAddress, address stakerImplementation)",
]);

/** Generous per stake(): a split contract, the rollup's deposit (GSE bookkeeping, queue entry). */
const STAKE_GAS = 3_000_000n;

export interface StakeOptions {
  /** Default: the chain's own test staking registry. */
  registry?: Address;
  providerId: bigint;
  /** How many of the provider's queued keys to stake, in queue order. */
  count: number;
  /** The staker (gets the staking asset minted, approves the registry). Default anvil account 5. */
  delegator?: Address;
  /** Default: the delegator. */
  withdrawer?: Address;
  /** Default: the delegator. */
  userRewardsRecipient?: Address;
}

export interface StakedKey {
  attester: Address;
  /** The reward split the registry created: the attester's coinbase. */
  coinbaseSplit: Address;
  transaction: Hash;
}

/**
 * Stakes `count` of a provider's queued keys as a delegator would: mints the staking asset to the
 * delegator (anvil account 0 is the TestERC20's minter), approves the registry, and calls stake()
 * `count` times, back to back. Returns what each StakedWithProvider event says, in order.
 * The keys land in the rollup's entry queue; flushEntryQueue() makes them validators.
 */
export async function stakeWithProvider(
  chain: TestChain,
  options: StakeOptions,
): Promise<StakedKey[]> {
  const { rpcBatch } = await import("./test-chain.js");
  const aztec = requireAztec(chain);
  const registry = options.registry ?? aztec.stakingRegistry;
  const delegator = getAddress(options.delegator ?? chain.accounts[5]!);
  const withdrawer = options.withdrawer ?? delegator;
  const recipient = options.userRewardsRecipient ?? delegator;
  if (options.count === 0) return [];

  const [threshold, [, takeRate]] = await Promise.all([
    chain.publicClient.readContract({
      address: registry,
      abi: stakeAbi,
      functionName: "getActivationThreshold",
      args: [aztec.rollupVersion],
    }),
    chain.publicClient.readContract({
      address: registry,
      abi: stakeAbi,
      functionName: "providerConfigurations",
      args: [options.providerId],
    }),
  ]);
  const total = threshold * BigInt(options.count);
  const hashes: Hash[] = [];
  hashes.push(
    await chain.walletClient.writeContract({
      address: aztec.stakingAsset,
      abi: TestERC20Abi,
      functionName: "mint",
      args: [delegator, total],
      account: chain.accounts[0]!,
    }),
  );
  hashes.push(
    await chain.walletClient.writeContract({
      address: aztec.stakingAsset,
      abi: TestERC20Abi,
      functionName: "approve",
      args: [registry, total],
      account: delegator,
    }),
  );
  const stakes: Hash[] = [];
  for (let i = 0; i < options.count; i++) {
    stakes.push(
      await chain.walletClient.writeContract({
        address: registry,
        abi: stakeAbi,
        functionName: "stake",
        args: [options.providerId, aztec.rollupVersion, withdrawer, takeRate, recipient, false],
        account: delegator,
        gas: STAKE_GAS,
      }),
    );
  }
  const all = [...hashes, ...stakes];
  await chain.publicClient.waitForTransactionReceipt({ hash: all[all.length - 1]! });
  const receipts = (await rpcBatch(
    chain,
    all.map((h) => ({ method: "eth_getTransactionReceipt", params: [h] })),
  )) as ({
    status: Hex;
    logs: { address: Address; data: Hex; topics: [Hex, ...Hex[]] }[];
  } | null)[];
  const staked: StakedKey[] = [];
  receipts.forEach((r, i) => {
    if (r === null || r.status !== "0x1") {
      throw new Error(`staking transaction ${all[i]} ${r === null ? "not mined" : "reverted"}`);
    }
    if (i < hashes.length) return;
    for (const log of r.logs) {
      if (log.address.toLowerCase() !== registry.toLowerCase()) continue;
      try {
        const ev = decodeEventLog({ abi: stakeAbi, data: log.data, topics: log.topics });
        if (ev.eventName === "StakedWithProvider") {
          staked.push({
            attester: getAddress(ev.args.attester),
            coinbaseSplit: getAddress(ev.args.coinbaseSplitContractAddress),
            transaction: all[i]!,
          });
        }
      } catch {
        // another event
      }
    }
  });
  if (staked.length !== options.count) {
    throw new Error(`expected ${options.count} StakedWithProvider events, got ${staked.length}`);
  }
  return staked;
}

/**
 * Flushes the rollup's entry queue until it is empty: flushEntryQueue() while flushes are
 * available, else travels to the next flushable epoch (evm_setNextBlockTimestamp + evm_mine: the
 * deploy's block timestamp interval makes anvil ignore evm_increaseTime). Returns the flushes made.
 */
export async function flushEntryQueue(chain: TestChain, maxRounds = 50): Promise<number> {
  const { rpcBatch } = await import("./test-chain.js");
  const { rollup } = requireAztec(chain);
  const read = <T>(functionName: string, args: readonly unknown[] = []): Promise<T> =>
    chain.publicClient.readContract({
      address: rollup,
      abi: RollupAbi,
      functionName: functionName as "getEntryQueueLength",
      args: args as [],
    }) as Promise<T>;
  let flushes = 0;
  for (let round = 0; round < maxRounds; round++) {
    if ((await read<bigint>("getEntryQueueLength")) === 0n) return flushes;
    const available = await read<bigint>("getAvailableValidatorFlushes");
    if (available > 0n) {
      // A few per transaction: each new validator costs the GSE a few hundred thousand gas, and
      // a whole flush (48) would not fit EIP-7825's cap.
      const toAdd = available < FLUSH_PER_TX ? available : FLUSH_PER_TX;
      const hash = await chain.walletClient.writeContract({
        address: rollup,
        abi: RollupAbi,
        functionName: "flushEntryQueue",
        args: [toAdd],
        account: chain.accounts[0]!,
        // Not estimated: the rollup catches a deposit that runs out of gas (FailedDeposit), so
        // an estimate finds a gas figure at which deposits fail instead of the transaction.
        gas: FLUSH_GAS,
      });
      const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
      if (receipt.status !== "success") throw new Error(`flushEntryQueue reverted (tx ${hash})`);
      flushes++;
      continue;
    }
    const next = await read<bigint>("getNextFlushableEpoch");
    const at = await read<bigint>("getTimestampForEpoch", [next]);
    const latest = await chain.publicClient.getBlock();
    const target = at > latest.timestamp ? at : latest.timestamp + 1n;
    await rpcBatch(chain, [
      { method: "evm_setNextBlockTimestamp", params: [numberToHex(target)] },
      { method: "evm_mine", params: [] },
    ]);
  }
  throw new Error(`the entry queue is not empty after ${maxRounds} rounds`);
}

const FLUSH_PER_TX = 16n;
const FLUSH_GAS = 16_000_000n;

/** Status values of the rollup's getAttesterView (StakingLib). */
export const ATTESTER_STATUS = { NONE: 0, VALIDATING: 1, ZOMBIE: 2, EXITING: 3 } as const;

export interface AttesterViewRead {
  status: number;
  effectiveBalance: bigint;
  publicKey: { x: bigint; y: bigint };
  withdrawer: Address;
}

/** The rollup's getAttesterView for each attester, in order (the oracle for tests). */
export async function readAttesterViews(
  chain: TestChain,
  attesters: readonly Address[],
): Promise<AttesterViewRead[]> {
  const { rollup } = requireAztec(chain);
  const views = await Promise.all(
    attesters.map((attester) =>
      chain.publicClient.readContract({
        address: rollup,
        abi: RollupAbi,
        functionName: "getAttesterView",
        args: [attester],
      }),
    ),
  );
  return views.map((v) => ({
    status: Number(v.status),
    effectiveBalance: v.effectiveBalance,
    publicKey: { x: v.config.publicKey.x, y: v.config.publicKey.y },
    withdrawer: getAddress(v.config.withdrawer),
  }));
}

/** Test hook of the test registry: addKeysToProvider reverts for `attester` (zero: never). */
export async function rejectAttesterInRegistry(
  chain: TestChain,
  attester: Address,
  registry: Address = requireAztec(chain).stakingRegistry,
): Promise<void> {
  const hash = await chain.walletClient.writeContract({
    address: registry,
    abi: stakeAbi,
    functionName: "testRejectAttester",
    args: [attester],
    account: chain.accounts[0]!,
  });
  const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`testRejectAttester reverted (tx ${hash})`);
}

function requireAztec(chain: Pick<TestChain, "aztec">): AztecL1Deployment {
  if (chain.aztec === undefined)
    throw new Error("this test chain has no Aztec L1 (aztecL1: false)");
  return chain.aztec;
}

// ---------------------------------------------------------------------------------------------
// Keys the real GSE accepts
// ---------------------------------------------------------------------------------------------

const BN254_R = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001n;
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** `n` deterministic validators' private keys (attester ETH key, BLS key), distinct per seed. */
export function generatedValidatorKeys(n: number, seed: string): { eth: Hex; bls: Hex }[] {
  const scalar = (label: string, i: number, order: bigint): Hex =>
    `0x${((BigInt(keccak256(toHex(`${seed}/${label}/${i}`))) % (order - 1n)) + 1n).toString(16).padStart(64, "0")}`;
  return Array.from({ length: n }, (_, i) => ({
    eth: scalar("eth", i, SECP256K1_N),
    bls: scalar("bls", i, BN254_R),
  }));
}

/**
 * Key stores the real GSE accepts: each attester's BLS public keys and its proof of possession
 * over the GSE's registration digest (read from the chain's GSE, one call per key, in parallel).
 */
export async function validRegistrationTuples(
  chain: TestChain,
  keys: readonly { eth: Hex; bls: Hex }[],
): Promise<TestRegistrationTuple[]> {
  const { gse } = requireAztec(chain);
  const validators = keys.map((k) => ({
    keys: registrationKeysOf(k),
    blsSecretKey: BigInt(k.bls),
  }));
  const digests = await Promise.all(
    validators.map((v) =>
      chain.publicClient.readContract({
        address: gse,
        abi: GSEAbi,
        functionName: "getRegistrationDigest",
        args: [{ x: v.keys.bls.g1.x, y: v.keys.bls.g1.y }],
      }),
    ),
  );
  return buildRegistrationTuples(validators, digests).map((k) => ({
    ...k,
    attester: getAddress(k.attester),
  }));
}
