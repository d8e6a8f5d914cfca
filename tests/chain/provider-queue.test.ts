import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Address } from "viem";
import { createChainClient } from "../../src/core/chain/client.js";
import { loadConfig } from "../../src/core/config.js";
import {
  QUEUE_ENTRIES_PER_READ,
  readProviderQueue,
} from "../../src/core/chain/staking-registry.js";
import { stakingRegistryAbi } from "../../src/types/abi/staking-registry.js";
import {
  ANVIL_ACCOUNTS,
  addKeysToProviderQueue,
  deployStakingRegistry,
  makeDummyRegistrationTuples,
  registerProvider,
  startTestChain,
  type TestChain,
} from "../support/test-chain.js";
import { startRpcProxy, type RpcProxy } from "../support/rpc-proxy.js";

/** The queue as the registry reports it, entry by entry: the oracle. */
async function queueOneByOne(
  chain: TestChain,
  registry: Address,
  providerId: bigint,
): Promise<string[]> {
  const [first, last] = await Promise.all(
    (["getFirstIndexInQueue", "getLastIndexInQueue"] as const).map((functionName) =>
      chain.publicClient.readContract({
        address: registry,
        abi: stakingRegistryAbi,
        functionName,
        args: [providerId],
      }),
    ),
  );
  const entries = [];
  for (let i = first!; i < last!; i++) {
    entries.push(
      chain.publicClient.readContract({
        address: registry,
        abi: stakingRegistryAbi,
        functionName: "getValueAtIndexInQueue",
        args: [providerId, i],
      }),
    );
  }
  return (await Promise.all(entries)).map((e) => e.attester.toLowerCase());
}

interface QueueSetup {
  chain: TestChain;
  registry: Address;
  providerId: bigint;
  proxy: RpcProxy;
  read(): Promise<{ attesters: string[]; calls: number; httpRequests: number; rpcCalls: number }>;
}

/** A chain with a provider whose queue got `queued` entries, the first `dripped` of them dripped. */
async function setUp(options: {
  queued: number;
  dripped: number;
  blockGasLimit?: bigint;
  chunkSize?: number;
}): Promise<QueueSetup> {
  const chain = await startTestChain({ blockGasLimit: options.blockGasLimit });
  const { address: registry } = await deployStakingRegistry(chain);
  const admin = ANVIL_ACCOUNTS[1]!;
  const providerId = await registerProvider(chain, registry, admin);
  await addKeysToProviderQueue(
    chain,
    registry,
    providerId,
    makeDummyRegistrationTuples(options.queued, 7_000),
    undefined,
    {
      chunkSize: options.chunkSize,
    },
  );
  if (options.dripped > 0) {
    const hash = await chain.walletClient.writeContract({
      address: registry,
      abi: stakingRegistryAbi,
      functionName: "dripProviderQueue",
      args: [providerId, BigInt(options.dripped)],
      account: admin,
      chain: null,
    });
    await chain.publicClient.waitForTransactionReceipt({ hash });
  }
  const proxy = await startRpcProxy(chain.rpcUrl);
  const config = await loadConfig({ env: { ETHEREUM_NODE_URL: proxy.url }, cwd: "/nonexistent" });
  const client = createChainClient(config);
  return {
    chain,
    registry,
    providerId,
    proxy,
    async read() {
      proxy.resetStats();
      const queue = await readProviderQueue(client, {
        registry: { chainId: chain.chainId, registry, providerId, providerAdmin: admin },
      });
      return { ...queue, httpRequests: proxy.stats.httpRequests, rpcCalls: proxy.stats.rpcCalls };
    },
  };
}

describe("readProviderQueue", () => {
  let setup: QueueSetup;
  beforeAll(async () => {
    setup = await setUp({ queued: 600, dripped: 77 });
  });
  afterAll(async () => {
    await setup?.proxy.stop();
    await setup?.chain.stop();
  });

  it("reads every entry after a drip, in queue order, in two HTTP requests (bounds, then deployless reads of 250)", async () => {
    const { attesters, calls, httpRequests, rpcCalls } = await setup.read();
    const expected = await queueOneByOne(setup.chain, setup.registry, setup.providerId);
    expect(expected).toHaveLength(523);
    expect(expected).toEqual(
      makeDummyRegistrationTuples(600, 7_000)
        .slice(77)
        .map((k) => k.attester.toLowerCase()),
    );
    expect(attesters).toEqual(expected);
    const slices = Math.ceil(523 / QUEUE_ENTRIES_PER_READ);
    expect(calls).toBe(3 + slices);
    expect(rpcCalls).toBe(3 + slices);
    expect(httpRequests).toBe(2);
  });

  it("reads an empty queue with the bounds alone", async () => {
    const emptyProvider = await registerProvider(setup.chain, setup.registry, ANVIL_ACCOUNTS[4]!);
    setup.proxy.resetStats();
    const config = await loadConfig({
      env: { ETHEREUM_NODE_URL: setup.proxy.url },
      cwd: "/nonexistent",
    });
    const queue = await readProviderQueue(createChainClient(config), {
      registry: {
        chainId: setup.chain.chainId,
        registry: setup.registry,
        providerId: emptyProvider,
        providerAdmin: ANVIL_ACCOUNTS[4]!,
      },
    });
    expect(queue).toEqual({ firstIndex: 1n, attesters: [], calls: 3 });
    expect(setup.proxy.stats.httpRequests).toBe(1);
  });
});

describe("readProviderQueue on a node whose eth_call gas cap is below one deployless read", () => {
  let setup: QueueSetup;
  beforeAll(async () => {
    // anvil gives an eth_call the block gas limit; 250 entries need about 7M.
    setup = await setUp({ queued: 300, dripped: 1, blockGasLimit: 6_000_000n, chunkSize: 20 });
  });
  afterAll(async () => {
    await setup?.proxy.stop();
    await setup?.chain.stop();
  });

  it("falls back to one eth_call per entry, still batched 500 per HTTP request, with the same result", async () => {
    const { attesters, calls, httpRequests, rpcCalls } = await setup.read();
    const expected = await queueOneByOne(setup.chain, setup.registry, setup.providerId);
    expect(expected).toHaveLength(299);
    expect(attesters).toEqual(expected);
    // bounds (3), the deployless reads (2; the one of 250 is refused), then 299 entries. anvil
    // says "EVM error OutOfGas" as JSON-RPC error -32603, which is not retried.
    expect(calls).toBe(3 + 2 + 299);
    expect(rpcCalls).toBe(calls);
    expect(httpRequests).toBe(3);
  });
});
