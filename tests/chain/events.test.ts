/**
 * StakedWithProvider events at scale of blocks: the registry's deployment block found by binary
 * search on eth_getCode, log ranges that adapt to a node refusing more than 1,000 blocks per
 * eth_getLogs, and the cache that makes the next run read only the last blocks again.
 */
import { join } from "node:path";
import { getAddress, numberToHex, type Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChainClient } from "../../src/core/chain/client.js";
import { findDeploymentBlock } from "../../src/core/chain/events.js";
import { loadConfig } from "../../src/core/config.js";
import {
  generatedValidatorKeys,
  stakeWithProvider,
  validRegistrationTuples,
  type StakedKey,
} from "../support/aztec-l1.js";
import {
  ANVIL_ACCOUNTS,
  addKeysToProviderQueue,
  compileTestContract,
  rpc,
  startTestChain,
  type TestChain,
} from "../support/test-chain.js";
import { runInProcess } from "../support/cli.js";
import { tempDir } from "../support/files.js";
import { startRpcProxy, type RpcProxy } from "../support/rpc-proxy.js";
import { startRegistryChain, type RegistryChain } from "../support/registry-chain.js";

describe("findDeploymentBlock", () => {
  let chain: TestChain;
  beforeAll(async () => {
    chain = await startTestChain({ aztecL1: false });
  });
  afterAll(async () => {
    await chain?.stop();
  });

  it("finds the block a contract was deployed in by binary search on eth_getCode", async () => {
    await rpc(chain, "anvil_mine", [numberToHex(137)]);
    const artifact = await compileTestContract();
    const hash = await chain.walletClient.deployContract({
      abi: artifact.abi,
      bytecode: artifact.bytecode,
      args: [ANVIL_ACCOUNTS[1], ANVIL_ACCOUNTS[1], ANVIL_ACCOUNTS[1]],
    });
    const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
    await rpc(chain, "anvil_mine", [numberToHex(1000)]);
    const head = await chain.publicClient.getBlockNumber();
    const client = createChainClient(
      await loadConfig({ env: { ETHEREUM_NODE_URL: chain.rpcUrl }, cwd: tempDir() }),
    );
    expect(receipt.blockNumber).toBeGreaterThan(137n);
    expect(
      await findDeploymentBlock(client, {
        address: getAddress(receipt.contractAddress!),
        toBlock: head,
      }),
    ).toBe(receipt.blockNumber);
  });
});

describe("status reads every StakedWithProvider event through a node that limits log ranges", () => {
  let net: RegistryChain;
  let proxy: RpcProxy;
  let fromBlock: bigint;
  const staked: StakedKey[] = [];
  const keys = generatedValidatorKeys(3, "events-test");

  beforeAll(async () => {
    net = await startRegistryChain();
    fromBlock = await net.chain.publicClient.getBlockNumber();
    const tuples = await validRegistrationTuples(net.chain, keys);
    await addKeysToProviderQueue(net.chain, net.registry, net.providerId, tuples);
    // Three stakes, 600 blocks apart: the events span more than 1,000 blocks.
    for (let i = 0; i < 3; i++) {
      if (i > 0) await rpc(net.chain, "anvil_mine", [numberToHex(600)]);
      staked.push(
        ...(await stakeWithProvider(net.chain, { providerId: net.providerId, count: 1 })),
      );
    }
    proxy = await startRpcProxy(net.chain.rpcUrl, {
      mode: { kind: "max-log-range", blocks: 1000 },
    });
  }, 120_000);
  afterAll(async () => {
    await proxy?.stop();
    await net?.stop();
  });

  it("halves refused ranges until the node answers, and the next run reads only recent blocks", async () => {
    const dir = tempDir("butler-events-");
    const env = {
      ...net.env,
      ETHEREUM_NODE_URL: proxy.url,
      XDG_DATA_HOME: join(dir, "data"),
    };
    const keyFile = join(dir, "public.json");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(
      keyFile,
      JSON.stringify({
        schemaVersion: 1,
        validators: staked.map((s) => ({ attester: s.attester })),
      }),
    );
    const head = await net.chain.publicClient.getBlockNumber();
    expect(head - fromBlock).toBeGreaterThan(1200n);

    const status = () =>
      runInProcess(["status", keyFile, "--json", "--from-block", String(fromBlock)], {
        cwd: dir,
        env,
      });
    const first = await status();
    expect(first.code, first.stderr).toBe(3); // in the entry queue, no coinbase in the file
    const doc = JSON.parse(first.stdout) as {
      attesters: { address: Address; coinbase: { chain: Address | null } }[];
    };
    expect(doc.attesters.map((a) => [a.address, a.coinbase.chain])).toEqual(
      staked.map((s) => [s.attester, s.coinbaseSplit]),
    );
    expect(proxy.stats.logRangeRefusals).toBeGreaterThan(0);
    expect(first.stderr).toContain("3 StakedWithProvider events");

    // Cached: one eth_getLogs (the last 64 blocks again), the same answer, no event counted twice.
    proxy.resetStats();
    const second = await status();
    expect(second.code, second.stderr).toBe(3);
    expect(proxy.stats.methods.eth_getLogs).toBe(1);
    expect(proxy.stats.logRangeRefusals).toBe(0);
    expect(JSON.parse(second.stdout).attesters).toEqual(doc.attesters);
    expect(second.stderr).toContain("3 StakedWithProvider events");
  });
});
