import type { Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChainClient } from "../../src/core/chain/client.js";
import {
  STATUSES_PER_READ,
  findRollupKnownAttesters,
  readAttesterStatuses,
  readAttesterViews,
  readEntryQueue,
  resolveAztecL1,
} from "../../src/core/chain/rollup.js";
import { loadConfig } from "../../src/core/config.js";
import { ConfigError } from "../../src/core/errors.js";
import {
  flushEntryQueue,
  generatedValidatorKeys,
  stakeWithProvider,
  validRegistrationTuples,
} from "../support/aztec-l1.js";
import { startRpcProxy, type RpcProxy } from "../support/rpc-proxy.js";
import {
  addKeysToProviderQueue,
  aztecOf,
  registerProvider,
  startTestChain,
  type TestChain,
  type TestRegistrationTuple,
} from "../support/test-chain.js";

let chain: TestChain;
let proxy: RpcProxy;
let validating: TestRegistrationTuple[];
let queued: TestRegistrationTuple[];
/** The block before anything was staked. */
let beforeStaking: bigint;

const clientFor = async (env: Record<string, string> = {}) => {
  const config = await loadConfig({
    env: { ETHEREUM_NODE_URL: proxy.url, ...env },
    cwd: "/nonexistent",
  });
  return { config, client: createChainClient(config) };
};

beforeAll(async () => {
  chain = await startTestChain();
  proxy = await startRpcProxy(chain.rpcUrl);
  const aztec = aztecOf(chain);
  const providerId = await registerProvider(chain, aztec.stakingRegistry, chain.accounts[1]!);
  const tuples = await validRegistrationTuples(chain, generatedValidatorKeys(40, "rollup-reads"));
  validating = tuples.slice(0, 5);
  queued = tuples.slice(5);
  await addKeysToProviderQueue(chain, aztec.stakingRegistry, providerId, tuples);
  beforeStaking = await chain.publicClient.getBlockNumber();
  await stakeWithProvider(chain, { providerId, count: 5 });
  await flushEntryQueue(chain);
  await stakeWithProvider(chain, { providerId, count: 35 });
});
afterAll(async () => {
  await proxy?.stop();
  await chain?.stop();
});

describe("resolveAztecL1", () => {
  it("finds the rollup and the GSE from the staking registry: ROLLUP_REGISTRY() → getCanonicalRollup() → getGSE()", async () => {
    const { config, client } = await clientFor();
    const aztec = aztecOf(chain);
    proxy.resetStats();
    const l1 = await resolveAztecL1(client, {
      config,
      registry: { registry: aztec.stakingRegistry, chainId: chain.chainId },
    });
    expect(l1.rollup).toBe(aztec.rollup);
    expect(l1.gse).toBe(aztec.gse);
    expect(l1.rollupDescribed).toContain(`Aztec's Registry ${aztec.registry}`);
    expect(proxy.stats.httpRequests).toBe(3);
  });

  it("takes AZTEC_ROLLUP_ADDRESS and AZTEC_GSE_ADDRESS when they agree, and refuses them when they do not", async () => {
    const aztec = aztecOf(chain);
    const both = await clientFor({
      AZTEC_ROLLUP_ADDRESS: aztec.rollup,
      AZTEC_GSE_ADDRESS: aztec.gse,
    });
    const l1 = await resolveAztecL1(both.client, {
      config: both.config,
      registry: { registry: aztec.stakingRegistry, chainId: chain.chainId },
    });
    expect(l1).toMatchObject({ rollup: aztec.rollup, gse: aztec.gse });
    expect(l1.gseDescribed).toBe("AZTEC_GSE_ADDRESS (from the environment)");

    const wrong = await clientFor({
      AZTEC_ROLLUP_ADDRESS: aztec.rollup,
      AZTEC_GSE_ADDRESS: aztec.stakingAsset,
    });
    const refusal = resolveAztecL1(wrong.client, {
      config: wrong.config,
      registry: { registry: aztec.stakingRegistry, chainId: chain.chainId },
    });
    await expect(refusal).rejects.toThrow(ConfigError);
    await expect(refusal).rejects.toMatchObject({
      code: "GSE_MISMATCH",
      message: expect.stringContaining(`${aztec.rollup} is ${aztec.gse}`),
    });
  });

  it("refuses a staking registry without ROLLUP_REGISTRY(), naming AZTEC_ROLLUP_ADDRESS as the way out", async () => {
    const { config, client } = await clientFor();
    await expect(
      resolveAztecL1(client, {
        config,
        registry: { registry: aztecOf(chain).stakingAsset, chainId: chain.chainId },
      }),
    ).rejects.toMatchObject({
      name: "ConfigError",
      code: "ROLLUP_NOT_FOUND",
      message: expect.stringContaining("set AZTEC_ROLLUP_ADDRESS"),
    });
  });
});

describe("the rollup's entry queue and attester views", () => {
  it("reads the whole entry queue in order, in two HTTP requests", async () => {
    const { client } = await clientFor();
    proxy.resetStats();
    const queue = await readEntryQueue(client, { rollup: aztecOf(chain).rollup });
    expect(queue.attesters).toEqual(queued.map((k) => k.attester));
    expect(queue.calls).toBe(1 + 35);
    expect(proxy.stats.httpRequests).toBe(2);
  });

  it("reads at a given block", async () => {
    const { client } = await clientFor();
    const rollup = aztecOf(chain).rollup;
    expect(
      (await readEntryQueue(client, { rollup, blockNumber: beforeStaking })).attesters,
    ).toEqual([]);
    const [view] = await readAttesterViews(client, {
      rollup,
      attesters: [validating[0]!.attester],
      blockNumber: beforeStaking,
    });
    expect(view!.status).toBe("NONE");
  });

  it("reads getAttesterView for many attesters in one HTTP request: status and the key the rollup holds", async () => {
    const { client } = await clientFor();
    proxy.resetStats();
    const views = await readAttesterViews(client, {
      rollup: aztecOf(chain).rollup,
      attesters: [...validating, queued[0]!].map((k) => k.attester),
    });
    expect(proxy.stats.httpRequests).toBe(1);
    expect(views.map((v) => v.status)).toEqual([...validating.map(() => "VALIDATING"), "NONE"]);
    expect(views.slice(0, 5).map((v) => v.publicKey)).toEqual(validating.map((k) => k.publicKeyG1));
    expect(views[0]!.effectiveBalance).toBe(100n * 10n ** 18n);
  });

  it("says which attesters the rollup already knows, and where, in three HTTP requests", async () => {
    const { client } = await clientFor();
    const stranger: Address = "0x000000000000000000000000000000000000dEaD";
    proxy.resetStats();
    const { known } = await findRollupKnownAttesters(client, {
      rollup: aztecOf(chain).rollup,
      attesters: [stranger, queued[2]!.attester, validating[3]!.attester],
    });
    expect(known).toEqual([
      { attester: queued[2]!.attester, where: "entry-queue", position: 2 },
      { attester: validating[3]!.attester, where: "validator-set", status: "VALIDATING" },
    ]);
    // The queue's length, then its entries together with the views.
    expect(proxy.stats.httpRequests).toBeLessThanOrEqual(3);
  });
});

describe("readAttesterStatuses", () => {
  const strangers = (n: number, from = 1): Address[] =>
    Array.from(
      { length: n },
      (_, i) => `0x${(from + i).toString(16).padStart(40, "0")}` as Address,
    );

  it("reads 1,240 statuses in three deployless eth_calls, one HTTP request, the same as getAttesterView says", async () => {
    const { client } = await clientFor();
    const rollup = aztecOf(chain).rollup;
    const attesters = [
      ...strangers(600),
      ...validating.map((k) => k.attester),
      ...queued.map((k) => k.attester),
      ...strangers(600, 10_000),
    ];
    proxy.resetStats();
    const { statuses, calls } = await readAttesterStatuses(client, { rollup, attesters });
    expect(proxy.stats.httpRequests).toBe(1);
    expect(calls).toBe(Math.ceil(1_240 / STATUSES_PER_READ));
    const views = await readAttesterViews(client, { rollup, attesters });
    expect(statuses).toEqual(views.map((v) => v.status));
    expect(statuses.filter((s) => s === "VALIDATING")).toHaveLength(5);
  });

  it("falls back to getAttesterView per attester on a node whose eth_call gas cap is below one deployless read", async () => {
    const tight = await startTestChain({ blockGasLimit: 2_000_000n });
    const tightProxy = await startRpcProxy(tight.rpcUrl);
    try {
      const config = await loadConfig({
        env: { ETHEREUM_NODE_URL: tightProxy.url },
        cwd: "/nonexistent",
      });
      const { statuses, calls } = await readAttesterStatuses(createChainClient(config), {
        rollup: aztecOf(tight).rollup,
        attesters: strangers(STATUSES_PER_READ),
      });
      expect(statuses).toEqual(strangers(STATUSES_PER_READ).map(() => "NONE"));
      expect(calls).toBe(1 + STATUSES_PER_READ);
    } finally {
      await tightProxy.stop();
      await tight.stop();
    }
  });
});
