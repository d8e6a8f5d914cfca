/**
 * The provider queue as Aztec's StakingRegistry really is, on Aztec's real L1 with the twin
 * registry: a queue holding an exiting attester, a validating one, a bad proof of possession, a
 * duplicate, invalid keys and healthy keys; `status` reports each (JSON exactly, table in words);
 * `drip-queue` prints the drip of the blocked head, which the admin sends; a delegator's stake then
 * lands on the first healthy key, VALIDATING after the flush, while the real GSE refuses the keys
 * status called invalid. drip-queue's refusals and the network presets run in-process.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RollupAbi } from "@aztec/l1-artifacts/RollupAbi";
import { TestERC20Abi } from "@aztec/l1-artifacts/TestERC20Abi";
import { decodeFunctionData, parseEventLogs, type Abi, type Address, type Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyStoreCheckerBytecode } from "../../src/core/chain/key-store-checker-code.js";
import { builderChecksum } from "../../src/core/files/safe-tx-builder.js";
import { registrationKeysOf } from "../../src/core/keys/registration.js";
import { stakingRegistryAbi } from "../../src/types/abi/staking-registry.js";
import {
  ATTESTER_STATUS,
  flushEntryQueue,
  generatedValidatorKeys,
  readAttesterViews,
  stakeWithProvider,
  validRegistrationTuples,
} from "../support/aztec-l1.js";
import { runCli, runInProcess } from "../support/cli.js";
import { snapshot, tempDir } from "../support/files.js";
import { recordDirs, expectRefusal } from "../support/refusal.js";
import { startRegistryChain, type RegistryChain } from "../support/registry-chain.js";
import { startRpcProxy } from "../support/rpc-proxy.js";
import {
  ANVIL_ACCOUNTS,
  addKeysToProviderQueue,
  aztecOf,
  rpc,
  type TestRegistrationTuple,
} from "../support/test-chain.js";

const DELEGATOR = ANVIL_ACCOUNTS[5]!;

let net: RegistryChain;
let dir: string;
let fromBlock: bigint;
/** A exiting, B validating (both staked through the decoy provider), C and G bad proofs, D and F healthy, E invalid keys. */
const keys = generatedValidatorKeys(7, "queue-health");
const [A, B, C, D, E, F, G] = keys.map((k) => privateKeyToAddress(k.eth)) as [
  Address,
  Address,
  Address,
  Address,
  Address,
  Address,
  Address,
];

const env = (extra: Record<string, string | undefined> = {}) => ({ ...net.env, ...extra });
const withFromBlock = (args: string[]) =>
  args.includes("status") ? [...args, "--from-block", String(fromBlock)] : args;
const inProcess = (args: string[], extra?: Record<string, string | undefined>) =>
  runInProcess(withFromBlock(args), { cwd: dir, env: env(extra) });

interface QueueReport {
  length: number;
  firstIndex: string;
  blockedHead: number;
  problems: { index: string; attester: string; problem: string }[];
}

/** The rollup's errors and the registry's, so that a revert is named. */
const stakeErrorsAbi = [
  ...stakingRegistryAbi,
  ...(RollupAbi as Abi).filter((item) => item.type === "error"),
] as Abi;

async function send(hash: Hex): Promise<void> {
  const receipt = await net.chain.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
}

/** The public-key file status reports on: the two healthy keys, D and F. */
function publicKeyFile(): string {
  const compress = ({ x, y }: { x: bigint; y: bigint }) =>
    `0x${(((y & 1n) << 255n) | x).toString(16).padStart(64, "0")}`;
  const content = {
    schemaVersion: 1,
    validators: [keys[3]!, keys[5]!].map((k) => ({
      attester: { eth: privateKeyToAddress(k.eth), bls: compress(registrationKeysOf(k).bls.g1) },
      feeRecipient: `0x${"0".repeat(64)}`,
    })),
  };
  writeFileSync(join(dir, "public-keys.json"), JSON.stringify(content, null, 2));
  return "public-keys.json";
}

const row = (address: string, position: number, index: number) => ({
  address,
  state: "IN_STAKING_PROVIDER_QUEUE",
  chainState: "IN_STAKING_PROVIDER_QUEUE",
  noLongerActive: null,
  rollupStatus: "NONE",
  providerQueuePosition: position,
  entryQueuePosition: null,
  entryQueueFlushEstimate: null,
  coinbase: { keyFile: null, chain: null },
  publisher: null,
  problems: [],
  files: [{ file: "public-keys.json", index, coinbase: null, publisher: null, problems: [] }],
});

const counts = (inQueue: number) => ({
  NEW: 0,
  IN_STAKING_PROVIDER_QUEUE: inQueue,
  COINBASE_NEEDED: 0,
  IN_STAKING_QUEUE: 0,
  ACTIVE: 0,
  NO_LONGER_ACTIVE: 0,
});

beforeAll(async () => {
  net = await startRegistryChain();
  fromBlock = await net.chain.publicClient.getBlockNumber();
  dir = tempDir("butler-queue-health-");
  publicKeyFile();
  const { rollup } = aztecOf(net.chain);
  const valid = await validRegistrationTuples(net.chain, keys);
  const [ksA, ksB, ksC, ksD, ksE, ksF, ksG] = valid as [
    TestRegistrationTuple,
    TestRegistrationTuple,
    TestRegistrationTuple,
    TestRegistrationTuple,
    TestRegistrationTuple,
    TestRegistrationTuple,
    TestRegistrationTuple,
  ];

  // A and B become validators through the other provider; then A starts exiting.
  const decoy = net.providerId - 1n;
  await addKeysToProviderQueue(net.chain, net.registry, decoy, [ksA, ksB]);
  await stakeWithProvider(net.chain, { providerId: decoy, count: 2, delegator: DELEGATOR });
  await flushEntryQueue(net.chain);
  await send(
    await net.chain.walletClient.writeContract({
      address: rollup,
      abi: RollupAbi,
      functionName: "initiateWithdraw",
      args: [A, DELEGATOR],
      account: DELEGATOR,
      gas: 5_000_000n,
    }),
  );

  // The provider's queue: A, B again, C with another key's proof, D twice, E with another key's
  // G2, F, G with another key's proof.
  const badProof = (k: TestRegistrationTuple, other: TestRegistrationTuple) => ({
    ...k,
    proofOfPossession: other.proofOfPossession,
  });
  await addKeysToProviderQueue(net.chain, net.registry, net.providerId, [
    ksA,
    ksB,
    badProof(ksC, ksD),
    ksD,
    ksD,
    { ...ksE, publicKeyG2: ksF.publicKeyG2 },
    ksF,
    badProof(ksG, ksF),
  ]);
}, 180_000);

afterAll(async () => {
  await net?.stop();
});

describe("status reads the provider queue's health", () => {
  it("status --json: providerQueue exactly, every problem in queue order, blockedHead 3; exit 3", async () => {
    const run = await inProcess(["status", "public-keys.json", "--json"]);
    expect(run.code, run.stderr).toBe(3);
    const doc = JSON.parse(run.stdout) as { blockNumber: number };
    const block = await net.chain.publicClient.getBlock({ blockNumber: BigInt(doc.blockNumber) });
    expect(doc).toEqual({
      blockNumber: doc.blockNumber,
      blockTimestamp: Number(block.timestamp),
      attesters: [row(D, 3, 0), row(F, 6, 1)],
      counts: counts(2),
      problems: [],
      providerQueue: {
        length: 8,
        firstIndex: "1",
        blockedHead: 3,
        problems: [
          { index: "1", attester: A, problem: "EXITING" },
          { index: "2", attester: B, problem: "ALREADY_REGISTERED" },
          { index: "3", attester: C, problem: "INVALID_PROOF_OF_POSSESSION" },
          { index: "5", attester: D, problem: "DUPLICATE_IN_QUEUE" },
          { index: "6", attester: E, problem: "INVALID_KEYS" },
          { index: "8", attester: G, problem: "INVALID_PROOF_OF_POSSESSION" },
        ],
      },
    });
  });

  it("a node that refuses the deployless key check: the same verdicts, checked in this process", async () => {
    const proxy = await startRpcProxy(net.chain.rpcUrl, {
      mode: {
        kind: "refuse-eth-call",
        dataPrefix: keyStoreCheckerBytecode,
        message: "gas required exceeds allowance",
      },
    });
    try {
      const [direct, refused] = [
        await inProcess(["status", "public-keys.json", "--json"]),
        await inProcess(["status", "public-keys.json", "--json"], { ETHEREUM_NODE_URL: proxy.url }),
      ];
      expect(refused.code, refused.stderr).toBe(3);
      const queueOf = (run: { stdout: string }) =>
        (JSON.parse(run.stdout) as { providerQueue: QueueReport }).providerQueue;
      expect(queueOf(refused)).toEqual(queueOf(direct));
      expect(queueOf(refused).problems).toHaveLength(6);
      // 5 entries' keys are checked (the other 3 have problems without): one refused call.
      expect(proxy.stats.tampered).toBe(1);
      expect(direct.stderr).toMatch(
        /queue: 5 key stores checked as the GSE will \(in the node; \d+ calls\)/,
      );
      expect(refused.stderr).toContain(
        "warning: the node refused the deployless check of the provider queue's keys: checking 5 key stores in this process instead",
      );
      expect(refused.stderr).toMatch(
        /queue: 5 key stores checked as the GSE will \(in this process;/,
      );
    } finally {
      await proxy.stop();
    }
  });

  it("the table says the same in words; --min-queue makes a short queue a problem", async () => {
    const table = await inProcess(["status", "public-keys.json", "--min-queue", "10"]);
    expect(table.code, table.stderr).toBe(3);
    const lines = table.stdout.split("\n");
    const at = lines.findIndex((l) => l.startsWith("provider queue:"));
    expect(lines.slice(at, at + 7)).toEqual([
      "provider queue: 8 keys from index 1, 6 with problems; the first 3 entries from the head have one, so the next delegation is not sound: remove them with drip-queue",
      `needs you: provider queue index 1 ${A}: EXITING, the rollup has an exit for it (EXITING): its deposit reverts, so every stake reverts while it is at the head`,
      `needs you: provider queue index 2 ${B}: ALREADY_REGISTERED, already VALIDATING in the rollup: a delegator's stake would fail at the flush and be handed back`,
      `needs you: provider queue index 3 ${C}: INVALID_PROOF_OF_POSSESSION, its proof of possession does not verify against the GSE's registration digest: the deposit would fail at the flush`,
      `needs you: provider queue index 5 ${D}: DUPLICATE_IN_QUEUE, a second copy of the attester at index 4: once that one is staked, this one's stake fails at the flush`,
      `needs you: provider queue index 6 ${E}: INVALID_KEYS, its BLS keys are invalid (G1 or G2 not on the curve, or not the same key): the deposit would fail at the flush`,
      `needs you: provider queue index 8 ${G}: INVALID_PROOF_OF_POSSESSION, its proof of possession does not verify against the GSE's registration digest: the deposit would fail at the flush`,
    ]);
    expect(table.stdout).toContain(
      "needs you: the provider: the provider queue holds 8 keys, fewer than 10\n",
    );
    expect(table.stdout).not.toContain("everything is consistent");

    const json = await inProcess(["status", "public-keys.json", "--json", "--min-queue", "8"]);
    expect((JSON.parse(json.stdout) as { problems: unknown[] }).problems).toEqual([]);
    const low = await inProcess(["status", "public-keys.json", "--json", "--min-queue", "9"]);
    expect((JSON.parse(low.stdout) as { problems: unknown[] }).problems).toEqual([
      {
        address: null,
        problem: "PROVIDER_QUEUE_LOW",
        file: null,
        index: null,
        message: "the provider queue holds 8 keys, fewer than 9",
      },
    ]);
  });

  it("while the exiting attester is at the head, every stake reverts", async () => {
    const { stakingAsset, rollupVersion } = aztecOf(net.chain);
    const threshold = await net.chain.publicClient.readContract({
      address: net.registry,
      abi: stakingRegistryAbi,
      functionName: "getActivationThreshold",
      args: [rollupVersion],
    });
    await send(
      await net.chain.walletClient.writeContract({
        address: stakingAsset,
        abi: TestERC20Abi,
        functionName: "mint",
        args: [DELEGATOR, threshold],
        account: ANVIL_ACCOUNTS[0]!,
      }),
    );
    await send(
      await net.chain.walletClient.writeContract({
        address: stakingAsset,
        abi: TestERC20Abi,
        functionName: "approve",
        args: [net.registry, threshold],
        account: DELEGATOR,
      }),
    );
    await expect(
      net.chain.publicClient.simulateContract({
        address: net.registry,
        abi: stakeErrorsAbi,
        functionName: "stake",
        args: [net.providerId, rollupVersion, DELEGATOR, 0, DELEGATOR, false],
        account: DELEGATOR,
      }),
    ).rejects.toThrow(/Staking__AlreadyExiting/);
  });
});

describe("drip-queue", () => {
  it("refuses --count beyond the queue's length, naming it; nothing on stdout, nothing written", async () => {
    const unchanged = recordDirs(dir);
    expectRefusal(await inProcess(["drip-queue", "--count", "9", "-o", "drip.json"]), {
      code: 65,
      thrown: { name: "ChainRefusalError", code: "COUNT_BEYOND_QUEUE" },
      naming: ["--count 9", "8 keys"],
      unchanged,
    });
  });

  it("prints the drip of the blocked head (stdout, -o, Safe file); the admin sends it", async () => {
    const run = await runCli(["drip-queue", "-o", "drip.json", "--safe-tx-builder", "drip"], {
      cwd: dir,
      env: env(),
    });
    expect(run.code, run.stderr).toBe(0);
    const tx = JSON.parse(run.stdout) as { contractToCall: Address; callData: Hex };
    expect(Object.keys(tx)).toEqual(["contractToCall", "callData"]);
    expect(tx.contractToCall).toBe(net.registry);
    expect(decodeFunctionData({ abi: stakingRegistryAbi, data: tx.callData })).toEqual({
      functionName: "dripProviderQueue",
      args: [net.providerId, 3n],
    });
    expect(readFileSync(join(dir, "drip.json"), "utf8")).toBe(run.stdout);
    const safe = JSON.parse(readFileSync(join(dir, "drip-1-of-1.json"), "utf8")) as {
      meta: Record<string, unknown>;
    };
    expect(safe).toEqual({
      createdAt: expect.any(Number),
      version: "1.0",
      chainId: String(net.chain.chainId),
      meta: {
        name: null,
        description: `aztec-butler drip-queue 1 of 1: dripProviderQueue: 3 keys from the head of staking provider ${net.providerId}'s queue (index 1 on) (transaction 1 of 1; execute in order)`,
        createdFromSafeAddress: net.admin,
        checksum: builderChecksum(safe as never),
      },
      transactions: [
        {
          to: net.registry,
          value: "0",
          data: null,
          contractMethod: {
            name: "dripProviderQueue",
            payable: false,
            inputs: [
              { internalType: "uint256", name: "_providerIdentifier", type: "uint256" },
              { internalType: "uint256", name: "_numberOfKeysToDrip", type: "uint256" },
            ],
          },
          contractInputsValues: {
            _providerIdentifier: String(net.providerId),
            _numberOfKeysToDrip: "3",
          },
        },
      ],
    });
    expect(run.stderr).toContain(`  index 1 ${A}: EXITING, the rollup has an exit for it`);
    expect(run.stderr).toContain(`  index 2 ${B}: ALREADY_REGISTERED, already VALIDATING`);
    expect(run.stderr).toContain(`  index 3 ${C}: INVALID_PROOF_OF_POSSESSION, its proof`);
    expect(run.stderr).not.toContain("index 4");
    expect(run.stderr).not.toContain("warning");

    const hash = await net.chain.walletClient.sendTransaction({
      account: net.admin,
      to: tx.contractToCall,
      data: tx.callData,
    });
    const receipt = await net.chain.publicClient.waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe("success");
    expect(
      parseEventLogs({ abi: stakingRegistryAbi, logs: receipt.logs }).map((e) => [
        e.eventName,
        e.args,
      ]),
    ).toEqual(
      [A, B, C].map((attester) => [
        "ProviderQueueDripped",
        { providerIdentifier: net.providerId, attester },
      ]),
    );
  });

  it("afterwards the head is healthy: status says so, drip-queue refuses without --count", async () => {
    const status = await inProcess(["status", "public-keys.json", "--json"]);
    expect(status.code).toBe(3);
    expect((JSON.parse(status.stdout) as { providerQueue: QueueReport }).providerQueue).toEqual({
      length: 5,
      firstIndex: "4",
      blockedHead: 0,
      problems: [
        { index: "5", attester: D, problem: "DUPLICATE_IN_QUEUE" },
        { index: "6", attester: E, problem: "INVALID_KEYS" },
        { index: "8", attester: G, problem: "INVALID_PROOF_OF_POSSESSION" },
      ],
    });

    const unchanged = recordDirs(dir);
    expectRefusal(await inProcess(["drip-queue", "--force", "-o", "drip.json"]), {
      code: 65,
      thrown: { name: "ChainRefusalError", code: "NOTHING_TO_DRIP" },
      unchanged,
    });
  });

  it("--count past the blocked head removes healthy keys too, with a warning to add them again", async () => {
    const run = await inProcess(["drip-queue", "--count", "2"]);
    expect(run.code, run.stderr).toBe(0);
    const tx = JSON.parse(run.stdout) as { callData: Hex };
    expect(decodeFunctionData({ abi: stakingRegistryAbi, data: tx.callData }).args).toEqual([
      net.providerId,
      2n,
    ]);
    expect(run.stderr).toContain(`  index 4 ${D}: healthy\n`);
    expect(run.stderr).toContain(`  index 5 ${D}: DUPLICATE_IN_QUEUE, a second copy`);
    expect(run.stderr).toContain(
      `warning: 1 healthy key removed too (index 4 ${D}): add it again with add-keys, or it is never staked\n`,
    );
  });

  it("a delegator's stake lands on the first healthy key; a drip estimated on a queue that changed since is refused, named QueueIsEmpty()", async () => {
    const before = await rpc<Record<string, unknown>>(net.chain, "eth_getBlockByNumber", [
      "latest",
      false,
    ]);
    const [staked] = await stakeWithProvider(net.chain, {
      providerId: net.providerId,
      count: 1,
      delegator: DELEGATOR,
    });
    expect(staked!.attester).toBe(D);

    // A node pinned before that stake sees 5 keys; the estimate, at the latest block, 4.
    const proxy = await startRpcProxy(net.chain.rpcUrl);
    try {
      proxy.setMode({ kind: "result", method: "eth_getBlockByNumber", result: before, times: 1 });
      const unchanged = recordDirs(dir);
      expectRefusal(
        await inProcess(["drip-queue", "--count", "5", "--force", "-o", "drip.json"], {
          ETHEREUM_NODE_URL: proxy.url,
        }),
        {
          code: 65,
          thrown: { name: "ChainRefusalError", code: "DRIP_WOULD_REVERT" },
          unchanged,
        },
      );
    } finally {
      await proxy.stop();
    }
  });

  it("after the flush the staked healthy keys are VALIDATING, and the real GSE refuses the keys status called invalid", async () => {
    const staked = await stakeWithProvider(net.chain, {
      providerId: net.providerId,
      count: 4,
      delegator: DELEGATOR,
    });
    expect(staked.map((s) => s.attester)).toEqual([D, E, F, G]);
    await flushEntryQueue(net.chain);
    const views = await readAttesterViews(net.chain, [D, E, F, G]);
    expect(views.map((v) => v.status)).toEqual([
      ATTESTER_STATUS.VALIDATING,
      ATTESTER_STATUS.NONE,
      ATTESTER_STATUS.VALIDATING,
      ATTESTER_STATUS.NONE,
    ]);
  });
});

describe("network presets", () => {
  const preset = (extra: Record<string, string | undefined>) => ({
    ETHEREUM_CHAIN_ID: undefined,
    STAKING_REGISTRY_ADDRESS: undefined,
    ...extra,
  });

  it("--network mainnet on a node answering chain id 1 with nothing at the registry: refused naming it", async () => {
    const proxy = await startRpcProxy(net.chain.rpcUrl, { mode: { kind: "chain-id", chainId: 1 } });
    try {
      const unchanged = recordDirs(dir);
      expectRefusal(
        await inProcess(
          ["--network", "mainnet", "drip-queue"],
          preset({ ETHEREUM_NODE_URL: proxy.url }),
        ),
        {
          code: 78,
          thrown: { name: "ConfigError", code: "NO_CONTRACT_CODE" },
          unchanged,
        },
      );
      // Without --network: the registry follows the node's chain id, to the same refusal.
      expectRefusal(await inProcess(["drip-queue"], preset({ ETHEREUM_NODE_URL: proxy.url })), {
        code: 78,
        thrown: { name: "ConfigError", code: "NO_CONTRACT_CODE" },
        unchanged,
      });
    } finally {
      await proxy.stop();
    }
  });

  it("the network's chain id against the node's: refused naming both (--network, NETWORK); the default network fixes none", async () => {
    expectRefusal(await inProcess(["--network", "mainnet", "drip-queue"], preset({})), {
      code: 78,
      thrown: { name: "ConfigError", code: "WRONG_CHAIN" },
      naming: ["mainnet (--network)", "chain 1,", "chain 31337"],
    });
    expectRefusal(await inProcess(["drip-queue"], preset({ NETWORK: "testnet" })), {
      code: 78,
      thrown: { name: "ConfigError", code: "WRONG_CHAIN" },
      naming: ["testnet (NETWORK (from the environment))", "chain 11155111", "chain 31337"],
    });
    // Neither given: no chain is fixed (as before presets), so the run gets past the chain id to
    // the registry, which on chain 31337 has no documented default.
    const byDefault = await inProcess(["drip-queue"], preset({}));
    expect(byDefault.code).toBe(78);
    expect(byDefault.stderr).not.toMatch(/the network is|wrong chain/);
    expect(byDefault.stderr).toMatch(/STAKING_REGISTRY_ADDRESS/);
  });

  it("ETHEREUM_CHAIN_ID and STAKING_REGISTRY_ADDRESS override the preset", async () => {
    const before = snapshot(dir);
    const run = await inProcess(["--network", "mainnet", "status", "public-keys.json", "--json"]);
    expect(run.code, run.stderr).toBe(3);
    expect((JSON.parse(run.stdout) as { providerQueue: QueueReport }).providerQueue.length).toBe(0);
    expect(snapshot(dir)).toEqual(before);
  });
});
