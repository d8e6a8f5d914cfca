/**
 * Test-chain harness: a throwaway anvil node like mainnet (EIP-7825's 2^24 gas cap per
 * transaction, a 60M block gas limit) that starts with Aztec's real L1 and the test staking
 * registry already deployed (tests/support/aztec-l1.ts), plus helpers to fund accounts and fill
 * provider queues. Used by the chain tests, the demo script and the benchmark.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { accessSync, chmodSync, constants as fsConstants } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

import {
  createPublicClient,
  createWalletClient,
  decodeEventLog,
  defineChain,
  getAddress,
  http,
  keccak256,
  numberToHex,
  parseAbi,
  toHex,
  type Abi,
  type Account,
  type Address,
  type Chain,
  type Hash,
  type Hex,
  type HttpTransport,
  type PublicClient,
  type WalletClient,
} from "viem";

import { stakingRegistryAbi } from "../../src/types/abi/staking-registry.js";
import { aztecL1Snapshot, type AztecL1Deployment } from "./aztec-l1.js";

// ---------------------------------------------------------------------------------------------
// Paths and well-known anvil constants
// ---------------------------------------------------------------------------------------------

export const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const ANVIL_BIN = path.join(
  PROJECT_ROOT,
  "node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil",
);
export const TEST_CONTRACTS_DIR = path.join(PROJECT_ROOT, "test-contracts");
export const CONTRACT_CACHE_DIR = path.join(
  PROJECT_ROOT,
  "node_modules/.cache/aztec-butler-test-contracts",
);

export const ANVIL_CHAIN_ID = 31337;
const ANVIL_MNEMONIC = "test test test test test test test test test test test junk";
/** Block gas limit for the test chain: mainnet's (60M since late 2025). */
export const TEST_CHAIN_BLOCK_GAS_LIMIT = 60_000_000n;
/** EIP-7825 (Osaka): at most 2^24 gas per transaction, whatever the block gas limit. */
export const EIP_7825_TX_GAS_LIMIT = 16_777_216n;
/** Seconds between blocks on a chain with Aztec's L1, as its deploy sets (Ethereum's slot). */
export const AZTEC_L1_BLOCK_INTERVAL_SECONDS = 12;

/** Anvil's dev accounts for the default mnemonic, in order. */
export const ANVIL_ACCOUNTS = [
  "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
  "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
  "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
  "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
  "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
  "0x976EA74026E726554dB657fA54763abd0C3a0aa9",
  "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955",
  "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f",
  "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720",
] as const satisfies readonly Address[];

/** The matching (publicly known, never use them anywhere real) private keys. */
export const ANVIL_PRIVATE_KEYS = [
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
  "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
  "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
  "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
  "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
  "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
  "0xdbda1821b80551c9d65939329250298aa3472ba22feb921b0cf5d2c8d3d12d7c",
  "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
] as const satisfies readonly Hex[];

// ---------------------------------------------------------------------------------------------
// The chain
// ---------------------------------------------------------------------------------------------

export interface TestChain {
  /** http://127.0.0.1:<port> */
  rpcUrl: string;
  /** anvil default 31337 */
  chainId: number;
  /** viem chain object for chainId / rpcUrl */
  chain: Chain;
  publicClient: PublicClient<HttpTransport, Chain>;
  /** Default account: anvil's first dev account (a JSON-RPC account; anvil signs). */
  walletClient: WalletClient<HttpTransport, Chain, Account>;
  /** anvil's 10 dev accounts (checksummed addresses) */
  accounts: readonly Address[];
  /** anvil's dev private keys (well known), for tests that need to sign */
  privateKeys: readonly Hex[];
  /** anvil's OS process id */
  pid: number;
  /** Aztec's real L1 and the test staking registry on this chain (absent with aztecL1: false). */
  aztec?: AztecL1Deployment;
  /** Kills anvil; idempotent; resolves once the process has exited. */
  stop(): Promise<void>;
}

export interface StartTestChainOptions {
  /** Interval mining in seconds. Default: automine (a block per transaction). */
  blockTime?: number;
  /** Timeout for anvil to answer eth_chainId. Default 15 s. */
  startupTimeoutMs?: number;
  /**
   * Block gas limit, which is also the gas anvil gives an eth_call. Default
   * TEST_CHAIN_BLOCK_GAS_LIMIT; lower it to play a node whose eth_call gas cap is tight.
   */
  blockGasLimit?: bigint;
  /**
   * Start from the cached deployment of Aztec's real L1 and the test staking registry
   * (tests/support/aztec-l1.ts). Default true; false gives an empty chain.
   */
  aztecL1?: boolean;
  /**
   * anvil's `--mnemonic` and `--accounts`: the accounts it holds and signs for (eth_accounts,
   * eth_sign), as a web3signer would. Default ANVIL_MNEMONIC's 10 dev accounts (the harness'
   * `accounts` and `privateKeys` are those: only use another mnemonic with aztecL1: false).
   */
  mnemonic?: string;
  accounts?: number;
}

const liveAnvils = new Set<ChildProcess>();
let exitHooksInstalled = false;

function killAllAnvilsSync(): void {
  for (const child of liveAnvils) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
  liveAnvils.clear();
}

/**
 * Make sure anvil children die with us: on normal exit (including process.exit()) and on
 * SIGINT/SIGTERM/SIGHUP (vitest tears workers down with SIGTERM). After killing the children the
 * signal is re-raised so the default behaviour (terminate) still applies, unless somebody else is
 * listening for it.
 */
function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on("exit", killAllAnvilsSync);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const handler = (): void => {
      killAllAnvilsSync();
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.once(signal, handler);
  }
}

function ensureExecutable(file: string): void {
  try {
    accessSync(file, fsConstants.X_OK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new Error(`anvil binary not found at ${file} (is @foundry-rs/anvil installed?)`);
    }
    chmodSync(file, 0o755);
  }
}

/** A free TCP port on 127.0.0.1 (bind to port 0, read it, close). */
export async function getFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const addr = server.address();
      if (addr === null || typeof addr === "string") {
        server.close();
        reject(new Error("could not determine a free port"));
        return;
      }
      const { port } = addr;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function tryChainId(rpcUrl: string): Promise<number | undefined> {
  try {
    const res = await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(1_000),
    });
    if (!res.ok) return undefined;
    const body = (await res.json()) as { result?: string };
    return body.result === undefined ? undefined : Number(BigInt(body.result));
  } catch {
    return undefined;
  }
}

class AnvilStartError extends Error {
  override name = "AnvilStartError";
}

interface SpawnedAnvil {
  child: ChildProcess;
  rpcUrl: string;
  stop(): Promise<void>;
}

async function spawnAnvil(opts: StartTestChainOptions): Promise<SpawnedAnvil> {
  // Port 0: anvil binds a free port itself and says which. A port probed free beforehand could be
  // taken meanwhile by another test process's anvil, which would then answer this one's probes (its
  // chain used by two test files at once: seen as a rare hang in CI). Not --silent, which would
  // hide the "Listening on" line; what anvil logs afterwards is drained and dropped.
  const args = [
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--chain-id",
    String(ANVIL_CHAIN_ID),
    "--accounts",
    String(opts.accounts ?? ANVIL_ACCOUNTS.length),
    "--mnemonic",
    opts.mnemonic ?? ANVIL_MNEMONIC,
    "--gas-limit",
    (opts.blockGasLimit ?? TEST_CHAIN_BLOCK_GAS_LIMIT).toString(),
    "--no-request-size-limit",
    // EIP-7825, as on mainnet and Sepolia: anvil enforces the 2^24 cap only when asked.
    "--enable-tx-gas-limit",
  ];
  if (opts.blockTime !== undefined) args.push("--block-time", String(opts.blockTime));

  const child = spawn(ANVIL_BIN, args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "" },
  });
  liveAnvils.add(child);

  let output = "";
  const collect = (chunk: Buffer): void => {
    output += chunk.toString("utf8");
    if (output.length > 64 * 1024) output = output.slice(-64 * 1024);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);

  let exited = child.exitCode !== null || child.signalCode !== null;
  let spawnError: Error | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.once("exit", () => {
      exited = true;
      liveAnvils.delete(child);
      resolve();
    });
    child.once("error", (err) => {
      // spawn failure: no 'exit' follows
      spawnError = err;
      exited = true;
      liveAnvils.delete(child);
      resolve();
    });
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (!exited) {
        child.kill("SIGTERM");
        const timedOut = await Promise.race([
          exitPromise.then(() => false),
          sleep(3_000).then(() => true),
        ]);
        if (timedOut && !exited) {
          child.kill("SIGKILL");
          await exitPromise;
        }
      }
      child.stdout?.destroy();
      child.stderr?.destroy();
    })();
    return stopping;
  };

  const timeoutMs = opts.startupTimeoutMs ?? 15_000;
  const deadline = Date.now() + timeoutMs;
  let port: number | undefined;
  while (port === undefined) {
    const listening = /Listening on 127\.0\.0\.1:(\d+)/.exec(output);
    if (listening) port = Number(listening[1]);
    else if (exited || Date.now() > deadline) {
      await stop();
      const detail = spawnError
        ? spawnError.message
        : exited
          ? `exit code ${String(child.exitCode)}`
          : `no "Listening on" within ${timeoutMs} ms`;
      throw new AnvilStartError(
        `anvil did not start (${detail}): ${output.trim().slice(-2_000) || "(no output)"}`,
      );
    } else await sleep(10);
  }
  // From here on its log is not kept (it logs every request): drained, so anvil never blocks.
  child.stdout?.off("data", collect);
  child.stderr?.off("data", collect);
  child.stdout?.resume();
  child.stderr?.resume();
  const rpcUrl = `http://127.0.0.1:${port}`;
  for (;;) {
    if (exited) {
      await stop();
      const detail = spawnError ? spawnError.message : `exit code ${String(child.exitCode)}`;
      throw new AnvilStartError(
        `anvil exited during startup (${detail}): ${output.trim() || "(no output)"}`,
      );
    }
    const id = await tryChainId(rpcUrl);
    if (id !== undefined) {
      if (id !== ANVIL_CHAIN_ID) {
        await stop();
        throw new AnvilStartError(`unexpected chain id ${id} at ${rpcUrl}`);
      }
      break;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new AnvilStartError(
        `anvil did not answer eth_chainId at ${rpcUrl} within ${timeoutMs} ms: ${output.trim() || "(no output)"}`,
      );
    }
    await sleep(25);
  }

  // Don't let a forgotten stop() keep a script alive; the exit hooks still kill anvil.
  child.unref();
  (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();

  return { child, rpcUrl, stop };
}

export async function startTestChain(opts: StartTestChainOptions = {}): Promise<TestChain> {
  ensureExecutable(ANVIL_BIN);
  installExitHooks();

  const { child, rpcUrl, stop } = await spawnAnvil(opts);

  const chain = defineChain({
    id: ANVIL_CHAIN_ID,
    name: "aztec-butler test chain (anvil)",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
    testnet: true,
  });
  const transport = http(rpcUrl, { retryCount: 0 });
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 50 });
  const walletClient = createWalletClient({
    chain,
    transport,
    account: ANVIL_ACCOUNTS[0],
    pollingInterval: 50,
  });

  let aztec: AztecL1Deployment | undefined;
  if (opts.aztecL1 !== false) {
    try {
      const snapshot = await aztecL1Snapshot();
      // The deploy left anvil on 12 s blocks, ahead of the wall clock; a loaded state forgets
      // that and would mine blocks back in time (the rollup's epoch maths underflows): set it again.
      const [, latest] = (await rpcBatch({ rpcUrl }, [
        { method: "anvil_loadState", params: [snapshot.state] },
        { method: "eth_getBlockByNumber", params: ["latest", false] },
      ])) as [unknown, { timestamp: Hex }];
      // Never before the wall clock either: anvil refuses a timestamp behind its own time.
      const interval = BigInt(AZTEC_L1_BLOCK_INTERVAL_SECONDS);
      const afterLatest = BigInt(latest.timestamp) + interval;
      const afterNow = BigInt(Math.floor(Date.now() / 1000)) + interval;
      const next = afterLatest > afterNow ? afterLatest : afterNow;
      await rpcBatch({ rpcUrl }, [
        { method: "evm_setNextBlockTimestamp", params: [numberToHex(next)] },
        { method: "anvil_setBlockTimestampInterval", params: [AZTEC_L1_BLOCK_INTERVAL_SECONDS] },
        // The loaded state brings the deploy chain's block gas limit with it.
        {
          method: "anvil_setBlockGasLimit",
          params: [numberToHex(opts.blockGasLimit ?? TEST_CHAIN_BLOCK_GAS_LIMIT)],
        },
      ]);
      aztec = snapshot.deployment;
    } catch (error) {
      await stop();
      throw error;
    }
  }

  return {
    rpcUrl,
    chainId: ANVIL_CHAIN_ID,
    chain,
    publicClient,
    walletClient,
    accounts: ANVIL_ACCOUNTS,
    privateKeys: ANVIL_PRIVATE_KEYS,
    pid: child.pid ?? -1,
    aztec,
    stop,
  };
}

/** The chain's Aztec L1 deployment; throws for a chain started with aztecL1: false. */
export function aztecOf(chain: Pick<TestChain, "aztec">): AztecL1Deployment {
  if (chain.aztec === undefined)
    throw new Error("this test chain has no Aztec L1 (aztecL1: false)");
  return chain.aztec;
}

// ---------------------------------------------------------------------------------------------
// Raw JSON-RPC (anvil_* methods are not in viem's typed request schema)
// ---------------------------------------------------------------------------------------------

export interface RpcCall {
  method: string;
  params: unknown[];
}

/** Sends all calls as one JSON-RPC batch request; returns results in order, throws on any error. */
export async function rpcBatch(
  chain: Pick<TestChain, "rpcUrl">,
  calls: RpcCall[],
): Promise<unknown[]> {
  if (calls.length === 0) return [];
  const body = calls.map((c, i) => ({ jsonrpc: "2.0", id: i, method: c.method, params: c.params }));
  const res = await fetch(chain.rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`JSON-RPC batch failed: HTTP ${res.status} ${await res.text()}`);
  const replies = (await res.json()) as {
    id: number;
    result?: unknown;
    error?: { code: number; message: string };
  }[];
  const results = new Array<unknown>(calls.length);
  for (const r of replies) {
    if (r.error) {
      const call = calls[r.id];
      throw new Error(`${call?.method ?? "?"} failed: ${r.error.message} (code ${r.error.code})`);
    }
    results[r.id] = r.result;
  }
  return results;
}

export async function rpc<T = unknown>(
  chain: Pick<TestChain, "rpcUrl">,
  method: string,
  params: unknown[] = [],
): Promise<T> {
  const [result] = await rpcBatch(chain, [{ method, params }]);
  return result as T;
}

// ---------------------------------------------------------------------------------------------
// Balances
// ---------------------------------------------------------------------------------------------

export async function setBalances(
  chain: Pick<TestChain, "rpcUrl">,
  entries: { address: string; wei: bigint }[],
): Promise<void> {
  await rpcBatch(
    chain,
    entries.map((e) => ({
      method: "anvil_setBalance",
      params: [getAddress(e.address), numberToHex(e.wei)],
    })),
  );
}

export async function fundAccounts(
  chain: Pick<TestChain, "rpcUrl">,
  addresses: string[],
  amountWei: bigint,
): Promise<void> {
  await setBalances(
    chain,
    addresses.map((address) => ({ address, wei: amountWei })),
  );
}

// ---------------------------------------------------------------------------------------------
// Test staking registry: compile (solc-js, cached in memory and on disk) and deploy
// ---------------------------------------------------------------------------------------------

export interface CompiledContract {
  contractName: string;
  abi: Abi;
  bytecode: Hex;
  solcVersion: string;
}

const REGISTRY_SOURCE_FILE = "TestStakingRegistry.sol";
const REGISTRY_CONTRACT = "TestStakingRegistry";
const SOLC_SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: "cancun",
  outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
} as const;

const compileCache = new Map<string, Promise<CompiledContract>>();

/**
 * Compiles test-contracts/<file> with solc-js (once per process per source; the artifact is also
 * cached on disk under node_modules/.cache/aztec-butler-test-contracts/<sha256>.json, keyed by the
 * source, the solc settings and the solc version).
 */
export async function compileTestContract(
  fileName: string = REGISTRY_SOURCE_FILE,
  contractName: string = REGISTRY_CONTRACT,
): Promise<CompiledContract> {
  const source = await readFile(path.join(TEST_CONTRACTS_DIR, fileName), "utf8");
  const solcVersion = (
    JSON.parse(
      await readFile(path.join(PROJECT_ROOT, "node_modules/solc/package.json"), "utf8"),
    ) as { version: string }
  ).version;
  const key = createHash("sha256")
    .update(source)
    .update("\0")
    .update(JSON.stringify({ fileName, contractName, solcVersion, SOLC_SETTINGS }))
    .digest("hex");

  let pending = compileCache.get(key);
  if (pending === undefined) {
    pending = loadOrCompile(key, fileName, contractName, source);
    compileCache.set(key, pending);
    pending.catch(() => compileCache.delete(key));
  }
  return pending;
}

async function loadOrCompile(
  key: string,
  fileName: string,
  contractName: string,
  source: string,
): Promise<CompiledContract> {
  const cacheFile = path.join(CONTRACT_CACHE_DIR, `${key}.json`);
  try {
    const cached = JSON.parse(await readFile(cacheFile, "utf8")) as CompiledContract;
    if (cached.bytecode?.startsWith("0x") && Array.isArray(cached.abi)) return cached;
  } catch {
    // not cached (or unreadable): compile
  }

  const solc = (await import("solc")).default;
  const input = {
    language: "Solidity",
    sources: { [fileName]: { content: source } },
    settings: SOLC_SETTINGS,
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)) as string) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts?: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>;
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) {
    throw new Error(
      `solc failed to compile ${fileName}:\n${errors.map((e) => e.formattedMessage).join("\n")}`,
    );
  }
  const out = output.contracts?.[fileName]?.[contractName];
  if (!out) throw new Error(`solc output has no contract ${contractName} in ${fileName}`);
  const artifact: CompiledContract = {
    contractName,
    abi: out.abi,
    bytecode: `0x${out.evm.bytecode.object}`,
    solcVersion: solc.version() as string,
  };

  // Atomic write: parallel test workers may race on the same key.
  await mkdir(CONTRACT_CACHE_DIR, { recursive: true });
  const tmp = `${cacheFile}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, JSON.stringify(artifact));
  await rename(tmp, cacheFile);
  return artifact;
}

async function deployBytecode(
  chain: TestChain,
  abi: Abi,
  bytecode: Hex,
  args: readonly unknown[] = [],
  from: Address = chain.accounts[0] as Address,
): Promise<Address> {
  const hash = await chain.walletClient.deployContract({
    abi,
    bytecode,
    args,
    account: from,
  });
  const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success" || !receipt.contractAddress) {
    throw new Error(`deployment failed (tx ${hash}, status ${receipt.status})`);
  }
  return receipt.contractAddress;
}

/**
 * Compiles (cached) and deploys one contract of test-contracts/TestStakingRegistry.sol from the
 * first dev account; returns its address.
 */
export async function deployTestContract(
  chain: TestChain,
  contractName: "TestStakingRegistry" | "TestPullSplitFactory",
  args: readonly unknown[],
): Promise<Address> {
  const artifact = await compileTestContract(REGISTRY_SOURCE_FILE, contractName);
  return deployBytecode(chain, artifact.abi, artifact.bytecode, args);
}

/**
 * Deploys a fresh TestStakingRegistry (the twin of Aztec's StakingRegistry) from the first dev
 * account, wired to the chain's Aztec L1 (staking asset, the chain's split factory, Aztec's
 * Registry). Every chain already has one (chain.aztec.stakingRegistry); this is for tests that
 * need another.
 */
export async function deployStakingRegistry(chain: TestChain): Promise<{ address: Address }> {
  const { stakingAsset, pullSplitFactory, registry } = aztecOf(chain);
  const address = await deployTestContract(chain, "TestStakingRegistry", [
    stakingAsset,
    pullSplitFactory,
    registry,
  ]);
  return { address };
}

// ---------------------------------------------------------------------------------------------
// Registry helpers
// ---------------------------------------------------------------------------------------------

export interface TestG1Point {
  x: bigint;
  y: bigint;
}
export interface TestG2Point {
  x0: bigint;
  x1: bigint;
  y0: bigint;
  y1: bigint;
}
/** Same shape as IStakingRegistry.KeyStore in stakingRegistryAbi. */
export interface TestRegistrationTuple {
  attester: Address;
  publicKeyG1: TestG1Point;
  publicKeyG2: TestG2Point;
  proofOfPossession: TestG1Point;
}

const registryEventsAbi = parseAbi([
  "event ProviderRegistered(uint256 indexed providerIdentifier, address indexed providerAdmin, uint16 indexed providerTakeRate)",
]);

type RegistryRef = Address | { address: Address };
const registryAddress = (r: RegistryRef): Address => (typeof r === "string" ? r : r.address);

/**
 * Registers a provider (sent from the first dev account) and returns its id. The id is read from
 * the call's return value via simulateContract and cross-checked against the emitted event.
 */
export async function registerProvider(
  chain: TestChain,
  registry: RegistryRef,
  admin: Address,
  takeRate = 0,
  rewardsRecipient: Address = admin,
): Promise<bigint> {
  const address = registryAddress(registry);
  const { result, request } = await chain.publicClient.simulateContract({
    address,
    abi: stakingRegistryAbi,
    functionName: "registerProvider",
    args: [admin, takeRate, rewardsRecipient],
    account: chain.walletClient.account,
  });
  const hash = await chain.walletClient.writeContract(request);
  const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`registerProvider reverted (tx ${hash})`);
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== address.toLowerCase()) continue;
    try {
      const ev = decodeEventLog({ abi: registryEventsAbi, data: log.data, topics: log.topics });
      return ev.args.providerIdentifier; // authoritative if something else registered in between
    } catch {
      // not our event
    }
  }
  return result;
}

/** Upper bound on gas per keystore in addKeysToProvider (9 fresh slots + calldata + event). */
const GAS_PER_KEYSTORE = 240_000n;
const GAS_BASE = 100_000n;

export interface AddKeysOptions {
  /** Keystores per transaction. Default 60 (about 14.5M gas: under EIP-7825's 2^24 cap). */
  chunkSize?: number;
}

/**
 * Appends registration tuples to the provider's queue via addKeysToProvider, in chunks (default 60 per tx),
 * sent from `from` (default: the provider's admin as stored in the registry). If the sender is not
 * one of anvil's dev accounts it is impersonated (and topped up with ETH if it has none).
 * Transactions are sent back to back (order preserved) and only then are receipts checked.
 * Returns the transaction hashes.
 */
export async function addKeysToProviderQueue(
  chain: TestChain,
  registry: RegistryRef,
  providerId: bigint,
  tuples: readonly TestRegistrationTuple[],
  from?: Address,
  options: AddKeysOptions = {},
): Promise<Hash[]> {
  if (tuples.length === 0) return [];
  const address = registryAddress(registry);
  const chunkSize = options.chunkSize ?? 60;
  if (!(chunkSize > 0)) throw new Error(`chunkSize must be positive, got ${chunkSize}`);

  let sender: Address;
  if (from !== undefined) {
    sender = getAddress(from);
  } else {
    const [admin] = await chain.publicClient.readContract({
      address,
      abi: stakingRegistryAbi,
      functionName: "providerConfigurations",
      args: [providerId],
    });
    sender = getAddress(admin);
  }

  const isDevAccount = chain.accounts.some((a) => a.toLowerCase() === sender.toLowerCase());
  if (!isDevAccount) {
    const balance = await chain.publicClient.getBalance({ address: sender });
    const calls: RpcCall[] = [{ method: "anvil_impersonateAccount", params: [sender] }];
    if (balance < 10n ** 18n) {
      calls.push({ method: "anvil_setBalance", params: [sender, numberToHex(100n * 10n ** 18n)] });
    }
    await rpcBatch(chain, calls);
  }

  try {
    const chunks: TestRegistrationTuple[][] = [];
    for (let i = 0; i < tuples.length; i += chunkSize) {
      chunks.push(tuples.slice(i, i + chunkSize));
    }

    // Simulate the first chunk so a wrong sender / unknown provider fails with a decoded error.
    await chain.publicClient.simulateContract({
      address,
      abi: stakingRegistryAbi,
      functionName: "addKeysToProvider",
      args: [providerId, chunks[0] as TestRegistrationTuple[]],
      account: sender,
    });

    const hashes: Hash[] = [];
    for (const chunk of chunks) {
      // Sequential sends keep queue order; no per-tx receipt wait and no per-tx gas estimation.
      hashes.push(
        await chain.walletClient.writeContract({
          address,
          abi: stakingRegistryAbi,
          functionName: "addKeysToProvider",
          args: [providerId, chunk],
          account: sender,
          gas: GAS_BASE + GAS_PER_KEYSTORE * BigInt(chunk.length),
        }),
      );
    }

    const last = hashes[hashes.length - 1] as Hash;
    // Bounded: a transaction anvil never mines fails here, saying so, rather than at the hook's
    // 60 s timeout (seen once in a CI run of provider-queue.test.ts's 6M-gas chain, not since).
    // Anvil mines the sends in turn, after they return: the bench's 10,000 keys on a large state
    // (about 100 transactions) took more than 20 s to be mined, hence the time per transaction.
    await chain.publicClient.waitForTransactionReceipt({
      hash: last,
      timeout: 20_000 + 2_000 * hashes.length,
    });
    // Everything before the last tx is mined by now; check all statuses in one batch.
    const receipts = (await rpcBatch(
      chain,
      hashes.map((h) => ({ method: "eth_getTransactionReceipt", params: [h] })),
    )) as ({ status: Hex } | null)[];
    receipts.forEach((r, i) => {
      if (r === null || r.status !== "0x1") {
        throw new Error(
          `addKeysToProvider chunk ${i} (tx ${hashes[i]}) ${r === null ? "not mined" : "reverted"}`,
        );
      }
    });
    return hashes;
  } finally {
    if (!isDevAccount) await rpc(chain, "anvil_stopImpersonatingAccount", [sender]);
  }
}

/**
 * Deterministic placeholder keystores (unique attesters, arbitrary point coordinates; the test
 * registry verifies nothing). Entry i of offset o gets attester = last 20 bytes of keccak(o + i).
 */
export function makeDummyRegistrationTuples(count: number, offset = 0): TestRegistrationTuple[] {
  const out: TestRegistrationTuple[] = [];
  for (let i = 0; i < count; i++) {
    const n = BigInt(offset + i);
    const h = BigInt(keccak256(toHex(n, { size: 32 })));
    out.push({
      attester: getAddress(`0x${(h & ((1n << 160n) - 1n)).toString(16).padStart(40, "0")}`),
      publicKeyG1: { x: h, y: n + 1n },
      publicKeyG2: { x0: n + 2n, x1: n + 3n, y0: n + 4n, y1: n + 5n },
      proofOfPossession: { x: n + 6n, y: n + 7n },
    });
  }
  return out;
}
