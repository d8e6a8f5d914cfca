import net from "node:net";

import { bn254 } from "@noble/curves/bn254.js";
import { parseAbi, parseEventLogs } from "viem";
import type { Abi, AbiParameter, Address, PublicClient } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { stakingRegistryAbi } from "../../src/types/abi/staking-registry.js";
import { RegistryAbi } from "@aztec/l1-artifacts/RegistryAbi";
import { RollupAbi } from "@aztec/l1-artifacts/RollupAbi";
import {
  ATTESTER_STATUS,
  flushEntryQueue,
  generatedValidatorKeys,
  readAttesterViews,
  rejectAttesterInRegistry,
  stakeWithProvider,
  validRegistrationTuples,
} from "../support/aztec-l1.js";
import {
  addKeysToProviderQueue,
  EIP_7825_TX_GAS_LIMIT,
  TEST_CHAIN_BLOCK_GAS_LIMIT,
  aztecOf,
  compileTestContract,
  deployStakingRegistry,
  fundAccounts,
  makeDummyRegistrationTuples,
  registerProvider,
  rpc,
  setBalances,
  startTestChain,
  type TestChain,
  type TestRegistrationTuple,
} from "../support/test-chain.js";

const BN254_P = 0x30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47n;

function isOnG1(p: { x: bigint; y: bigint }): boolean {
  return (p.y * p.y - (p.x * p.x * p.x + 3n)) % BN254_P === 0n;
}

/** A keystore with real BLS points for secret key sk (the registry does not check them). */
function realRegistrationTuple(sk: bigint, attester: Address): TestRegistrationTuple {
  const g1 = bn254.G1.Point.BASE.multiply(sk).toAffine();
  const g2 = bn254.G2.Point.BASE.multiply(sk).toAffine();
  const pop = bn254.G1.Point.BASE.multiply(sk + 1n).toAffine(); // not a real proof; unchecked
  return {
    attester,
    publicKeyG1: { x: g1.x, y: g1.y },
    publicKeyG2: { x0: g2.x.c0, x1: g2.x.c1, y0: g2.y.c0, y1: g2.y.c1 },
    proofOfPossession: { x: pop.x, y: pop.y },
  };
}

function portIsOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

type AbiItem = Abi[number];

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// Only needs to compile: the harness clients must be usable where plain viem clients are expected.
function acceptsPublicClient(_client: PublicClient): void {}

describe("test chain harness", () => {
  let chain: TestChain;
  let registry: Address;

  beforeAll(async () => {
    chain = await startTestChain();
    ({ address: registry } = await deployStakingRegistry(chain));
  });

  afterAll(async () => {
    await chain?.stop();
  });

  it("starts anvil with the dev accounts", async () => {
    acceptsPublicClient(chain.publicClient);
    expect(chain.rpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(chain.chainId).toBe(31337);
    expect(await chain.publicClient.getChainId()).toBe(31337);
    const rpcAccounts = await rpc<string[]>(chain, "eth_accounts");
    expect(rpcAccounts.map((a) => a.toLowerCase())).toEqual(
      chain.accounts.map((a) => a.toLowerCase()),
    );
    expect(chain.privateKeys).toHaveLength(10);
    expect(chain.walletClient.account.address).toBe(chain.accounts[0]);
  });

  it("funds accounts in one batch", async () => {
    const fresh: Address[] = [
      "0x1111111111111111111111111111111111111111",
      "0x2222222222222222222222222222222222222222",
    ];
    await fundAccounts(chain, fresh, 5n * 10n ** 18n);
    for (const a of fresh) {
      expect(await chain.publicClient.getBalance({ address: a })).toBe(5n * 10n ** 18n);
    }
    await setBalances(chain, [{ address: fresh[0] as string, wei: 7n }]);
    expect(await chain.publicClient.getBalance({ address: fresh[0] as Address })).toBe(7n);
  });

  it("compiles a registry whose ABI is stakingRegistryAbi, plus test… helpers only", async () => {
    const { abi } = await compileTestContract();
    // Names, types, struct layouts, indexing and mutability; solc's internalType aside.
    const norm = (p: AbiParameter & { indexed?: boolean }): unknown => ({
      name: p.name ?? "",
      type: p.type,
      ...(p.indexed ? { indexed: true } : {}),
      ...("components" in p ? { components: p.components.map(norm) } : {}),
    });
    const shape = (item: AbiItem) =>
      JSON.stringify({
        type: item.type,
        name: "name" in item ? item.name : "",
        inputs: "inputs" in item ? item.inputs.map(norm) : [],
        ...(item.type === "function"
          ? { stateMutability: item.stateMutability, outputs: item.outputs.map(norm) }
          : {}),
      });
    const compiled = (abi as readonly AbiItem[]).filter((item) => item.type !== "constructor");
    const tool = (stakingRegistryAbi as readonly AbiItem[]).map(shape);
    expect(
      compiled
        .filter((item) => !("name" in item && item.name.startsWith("test")))
        .map(shape)
        .sort(),
    ).toEqual([...tool].sort());
  });

  it("registers providers, queues keys and drips with half-open indices", async () => {
    const admin1 = chain.accounts[1] as Address;
    const admin2 = chain.accounts[2] as Address;
    const first = (id: bigint) =>
      chain.publicClient.readContract({
        address: registry,
        abi: stakingRegistryAbi,
        functionName: "getFirstIndexInQueue",
        args: [id],
      });
    const last = (id: bigint) =>
      chain.publicClient.readContract({
        address: registry,
        abi: stakingRegistryAbi,
        functionName: "getLastIndexInQueue",
        args: [id],
      });
    const length = (id: bigint) =>
      chain.publicClient.readContract({
        address: registry,
        abi: stakingRegistryAbi,
        functionName: "getProviderQueueLength",
        args: [id],
      });
    const read = (what: "first" | "last" | "length", id: bigint): Promise<bigint> =>
      what === "first" ? first(id) : what === "last" ? last(id) : length(id);

    expect(
      await chain.publicClient.readContract({
        address: registry,
        abi: stakingRegistryAbi,
        functionName: "nextProviderIdentifier",
      }),
    ).toBe(1n);

    const id1 = await registerProvider(chain, registry, admin1, 500);
    const id2 = await registerProvider(chain, { address: registry }, admin2, 0, admin1);
    expect(id1).toBe(1n);
    expect(id2).toBe(2n);
    expect(
      await chain.publicClient.readContract({
        address: registry,
        abi: stakingRegistryAbi,
        functionName: "nextProviderIdentifier",
      }),
    ).toBe(3n);
    expect(
      await chain.publicClient.readContract({
        address: registry,
        abi: stakingRegistryAbi,
        functionName: "providerConfigurations",
        args: [id2],
      }),
    ).toEqual([admin2, 0, admin1]);
    expect(
      await chain.publicClient.readContract({
        address: registry,
        abi: stakingRegistryAbi,
        functionName: "providerConfigurations",
        args: [id1],
      }),
    ).toEqual([admin1, 500, admin1]);

    // Empty queue: first == last == 1.
    expect(await read("first", id1)).toBe(1n);
    expect(await read("last", id1)).toBe(1n);
    expect(await read("length", id1)).toBe(0n);

    const keys1 = [1n, 2n, 3n].map((sk, i) =>
      realRegistrationTuple(sk * 1_000_003n, chain.accounts[3 + i] as Address),
    );
    // chunkSize 2 -> two transactions, order must be preserved across them
    const hashes = await addKeysToProviderQueue(chain, registry, id1, keys1, undefined, {
      chunkSize: 2,
    });
    expect(hashes).toHaveLength(2);
    const keys2 = makeDummyRegistrationTuples(4);
    await addKeysToProviderQueue(chain, registry, id2, keys2, admin2);

    expect(await read("first", id1)).toBe(1n);
    expect(await read("last", id1)).toBe(4n);
    expect(await read("length", id1)).toBe(3n);
    expect(await read("length", id2)).toBe(4n);

    // stakingRegistryAbi carries the registry's custom errors: viem names each revert.
    const valueAt = (id: bigint, index: bigint) =>
      chain.publicClient.readContract({
        address: registry,
        abi: stakingRegistryAbi,
        functionName: "getValueAtIndexInQueue",
        args: [id, index],
      });
    for (let i = 0; i < keys1.length; i++) {
      expect(await valueAt(id1, BigInt(i + 1))).toEqual(keys1[i]);
    }
    expect(await valueAt(id2, 4n)).toEqual(keys2[3]);
    await expect(valueAt(id1, 0n)).rejects.toThrow(/QueueIndexOutOfBounds\(\)/);
    await expect(valueAt(id1, 4n)).rejects.toThrow(/QueueIndexOutOfBounds\(\)/);
    expect(
      await chain.publicClient.readContract({
        address: registry,
        abi: stakingRegistryAbi,
        functionName: "providerQueues",
        args: [id1],
      }),
    ).toEqual([1n, 4n]);

    // Only the provider admin may add keys, and drip them.
    await expect(
      addKeysToProviderQueue(chain, registry, id1, keys1, chain.accounts[0] as Address),
    ).rejects.toThrow(/StakingRegistry__NotProviderAdmin\(\)/);
    await expect(
      chain.publicClient.simulateContract({
        address: registry,
        abi: stakingRegistryAbi,
        functionName: "dripProviderQueue",
        args: [id1, 1n],
        account: chain.accounts[0] as Address,
      }),
    ).rejects.toThrow(/StakingRegistry__NotProviderAdmin\(\)/);

    // The admin drips two from provider 1: one ProviderQueueDripped each, from the head.
    const dripHash = await chain.walletClient.writeContract({
      address: registry,
      abi: stakingRegistryAbi,
      functionName: "dripProviderQueue",
      args: [id1, 2n],
      account: admin1,
    });
    const dripped = await chain.publicClient.waitForTransactionReceipt({ hash: dripHash });
    expect(dripped.status).toBe("success");
    expect(
      parseEventLogs({ abi: stakingRegistryAbi, logs: dripped.logs }).map((e) => [
        e.eventName,
        e.args,
      ]),
    ).toEqual(
      keys1
        .slice(0, 2)
        .map((k) => ["ProviderQueueDripped", { providerIdentifier: id1, attester: k.attester }]),
    );
    expect(await read("first", id1)).toBe(3n);
    expect(await read("last", id1)).toBe(4n);
    expect(await read("length", id1)).toBe(1n);
    expect(await valueAt(id1, 3n)).toEqual(keys1[2]);
    await expect(valueAt(id1, 2n)).rejects.toThrow(/QueueIndexOutOfBounds\(\)/);
    // Provider 2 untouched.
    expect(await read("first", id2)).toBe(1n);
    expect(await read("length", id2)).toBe(4n);

    // Dripping more than the queue holds reverts.
    await expect(
      chain.publicClient.simulateContract({
        address: registry,
        abi: stakingRegistryAbi,
        functionName: "dripProviderQueue",
        args: [id1, 2n],
        account: admin1,
      }),
    ).rejects.toThrow(/QueueIsEmpty\(\)/);

    // Appending after a drip continues at `last`.
    await addKeysToProviderQueue(chain, registry, id1, makeDummyRegistrationTuples(2, 100));
    expect(await read("first", id1)).toBe(3n);
    expect(await read("last", id1)).toBe(6n);
    expect(await valueAt(id1, 5n)).toEqual(makeDummyRegistrationTuples(1, 101)[0]);
  });

  it("impersonates a non-dev provider admin", async () => {
    const outsider: Address = "0x000000000000000000000000000000000000bEEF";
    const id = await registerProvider(chain, registry, outsider);
    await addKeysToProviderQueue(chain, registry, id, makeDummyRegistrationTuples(3, 500));
    expect(
      await chain.publicClient.readContract({
        address: registry,
        abi: stakingRegistryAbi,
        functionName: "getProviderQueueLength",
        args: [id],
      }),
    ).toBe(3n);
  });

  it("fills a queue with 1,000 keys in chunks", async () => {
    const id = await registerProvider(chain, registry, chain.accounts[4] as Address);
    const keys = makeDummyRegistrationTuples(1_000, 10_000);
    const t0 = performance.now();
    const hashes = await addKeysToProviderQueue(chain, registry, id, keys);
    const ms = performance.now() - t0;
    console.log(`addKeysToProviderQueue: 1000 keys in ${hashes.length} txs, ${ms.toFixed(0)} ms`);
    expect(hashes).toHaveLength(Math.ceil(1_000 / 60));
    expect(
      await chain.publicClient.readContract({
        address: registry,
        abi: stakingRegistryAbi,
        functionName: "getProviderQueueLength",
        args: [id],
      }),
    ).toBe(1_000n);
    expect(
      await chain.publicClient.readContract({
        address: registry,
        abi: stakingRegistryAbi,
        functionName: "getValueAtIndexInQueue",
        args: [id, 1_000n],
      }),
    ).toEqual(keys[999]);
  });

  it("has Aztec's real GSE, which computes a registration digest for a real G1 key", async () => {
    const { GSEAbi } = await import("@aztec/l1-artifacts/GSEAbi");
    const { gse } = aztecOf(chain);
    const pk = bn254.G1.Point.BASE.multiply(0xdeadbeefn).toAffine();
    const digest = await chain.publicClient.readContract({
      address: gse,
      abi: GSEAbi,
      functionName: "getRegistrationDigest",
      args: [{ x: pk.x, y: pk.y }],
    });
    expect(digest.x).not.toBe(0n);
    expect(isOnG1(digest)).toBe(true);
    // Deterministic, and different keys give different digests.
    const again = await chain.publicClient.readContract({
      address: gse,
      abi: GSEAbi,
      functionName: "getRegistrationDigest",
      args: [{ x: pk.x, y: pk.y }],
    });
    expect(again).toEqual(digest);
    const other = bn254.G1.Point.BASE.multiply(0xdeadbef0n).toAffine();
    const otherDigest = await chain.publicClient.readContract({
      address: gse,
      abi: GSEAbi,
      functionName: "getRegistrationDigest",
      args: [{ x: other.x, y: other.y }],
    });
    expect(otherDigest).not.toEqual(digest);
  });

  it("is like mainnet: a 60M block gas limit and EIP-7825's 2^24 cap per transaction", async () => {
    const block = await chain.publicClient.getBlock();
    expect(block.gasLimit).toBe(TEST_CHAIN_BLOCK_GAS_LIMIT);
    const send = (gas: bigint) =>
      chain.walletClient.sendTransaction({ to: chain.accounts[3]!, value: 1n, gas });
    await expect(send(EIP_7825_TX_GAS_LIMIT + 1n)).rejects.toThrow(/gas/i);
    const hash = await send(EIP_7825_TX_GAS_LIMIT);
    expect((await chain.publicClient.waitForTransactionReceipt({ hash })).status).toBe("success");
  });

  it("starts with Aztec's real L1: Registry → canonical rollup → GSE, and the test registry wired to it", async () => {
    const aztec = aztecOf(chain);
    const read = <T>(address: Address, abi: Abi, functionName: string, args: unknown[] = []) =>
      chain.publicClient.readContract({ address, abi, functionName, args }) as Promise<T>;
    expect(await read<Address>(aztec.registry, RegistryAbi as Abi, "getCanonicalRollup")).toBe(
      aztec.rollup,
    );
    expect(await read<Address>(aztec.rollup, RollupAbi as Abi, "getGSE")).toBe(aztec.gse);
    const registryAbi = stakingRegistryAbi as Abi;
    expect(await read<Address>(aztec.stakingRegistry, registryAbi, "ROLLUP_REGISTRY")).toBe(
      aztec.registry,
    );
    expect(await read<Address>(aztec.stakingRegistry, registryAbi, "STAKING_ASSET")).toBe(
      aztec.stakingAsset,
    );
    expect(await read<Address>(aztec.stakingRegistry, registryAbi, "PULL_SPLIT_FACTORY")).toBe(
      aztec.pullSplitFactory,
    );
    expect(await read<Address>(aztec.rollup, RollupAbi as Abi, "getStakingAsset")).toBe(
      aztec.stakingAsset,
    );
  });

  it("stakes queued keys through the test registry into the real rollup: entry queue, flush, VALIDATING, a new split per key", async () => {
    const aztec = aztecOf(chain);
    const id = await registerProvider(chain, aztec.stakingRegistry, chain.accounts[6] as Address);
    const tuples = await validRegistrationTuples(chain, generatedValidatorKeys(3, "harness-stake"));
    await addKeysToProviderQueue(chain, aztec.stakingRegistry, id, tuples);
    const delegator = chain.accounts[5] as Address;
    const staked = await stakeWithProvider(chain, { providerId: id, count: 3 });
    expect(staked.map((s) => s.attester)).toEqual(tuples.map((k) => k.attester));
    expect(new Set(staked.map((s) => s.coinbaseSplit)).size).toBe(3);
    // Each split as Aztec's registry creates it: [provider's recipient, delegator's recipient],
    // [take rate, 10,000 - take rate] of 10,000, no incentive, immutable, created by the registry.
    const splitAbi = parseAbi([
      "function getRecipients() view returns (address[])",
      "function getAllocations() view returns (uint256[])",
      "function totalAllocation() view returns (uint256)",
      "function distributionIncentive() view returns (uint16)",
      "function owner() view returns (address)",
      "function creator() view returns (address)",
    ]);
    for (const { coinbaseSplit } of staked) {
      const read = (functionName: (typeof splitAbi)[number]["name"]) =>
        chain.publicClient.readContract({ address: coinbaseSplit, abi: splitAbi, functionName });
      expect(
        await Promise.all(
          [
            "getRecipients",
            "getAllocations",
            "totalAllocation",
            "distributionIncentive",
            "owner",
            "creator",
          ].map((f) => read(f as (typeof splitAbi)[number]["name"])),
        ),
      ).toEqual([
        [chain.accounts[6], delegator],
        [0n, 10_000n],
        10_000n,
        0,
        "0x0000000000000000000000000000000000000000",
        aztec.stakingRegistry,
      ]);
    }
    const queued = await chain.publicClient.readContract({
      address: aztec.rollup,
      abi: RollupAbi,
      functionName: "getEntryQueueLength",
    });
    expect(queued).toBe(3n);
    expect((await readAttesterViews(chain, [tuples[0]!.attester]))[0]!.status).toBe(
      ATTESTER_STATUS.NONE,
    );
    expect(await flushEntryQueue(chain)).toBeGreaterThan(0);
    const views = await readAttesterViews(
      chain,
      tuples.map((k) => k.attester),
    );
    expect(views.map((v) => v.status)).toEqual([1, 1, 1]);
    expect(views.map((v) => v.publicKey)).toEqual(tuples.map((k) => k.publicKeyG1));
    expect(
      await chain.publicClient.readContract({
        address: aztec.stakingRegistry,
        abi: stakingRegistryAbi,
        functionName: "getProviderQueueLength",
        args: [id],
      }),
    ).toBe(0n);
  });

  it("addKeysToProvider is admin-only, and the test hook makes it revert for one chosen attester", async () => {
    const { address } = await deployStakingRegistry(chain);
    const admin = chain.accounts[7] as Address;
    const id = await registerProvider(chain, address, admin);
    const keys = makeDummyRegistrationTuples(2, 90_000);
    const { abi } = await compileTestContract(); // with the registry's errors, to decode them
    const simulate = (account: Address) =>
      chain.publicClient.simulateContract({
        address,
        abi: abi as typeof stakingRegistryAbi,
        functionName: "addKeysToProvider",
        args: [id, keys],
        account,
      });
    await expect(simulate(chain.accounts[8] as Address)).rejects.toThrow(/NotProviderAdmin/);
    await simulate(admin);
    await rejectAttesterInRegistry(chain, keys[1]!.attester, address);
    await expect(simulate(admin)).rejects.toThrow(/attester rejected by the test hook/);
  });
});

describe("stop()", () => {
  it("terminates anvil and closes the port; idempotent", async () => {
    const chain = await startTestChain();
    const port = Number(new URL(chain.rpcUrl).port);
    expect(await portIsOpen(port)).toBe(true);
    expect(processIsAlive(chain.pid)).toBe(true);
    await Promise.all([chain.stop(), chain.stop()]);
    await chain.stop();
    expect(processIsAlive(chain.pid)).toBe(false);
    expect(await portIsOpen(port)).toBe(false);
  });

  it("supports interval mining", async () => {
    const chain = await startTestChain({ blockTime: 1 });
    try {
      const { address } = await deployStakingRegistry(chain);
      const id = await registerProvider(chain, address, chain.accounts[1] as Address);
      expect(id).toBe(1n);
    } finally {
      await chain.stop();
    }
  });
});
