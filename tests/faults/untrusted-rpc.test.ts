/**
 * Nothing the node answers is trusted unchecked: batch answers must pair one-to-one with the
 * requests, every value must decode strictly, and rate limiting is retried as providers really
 * send it. The real CLI against anvil behind the scriptable proxy; every fault ends with its exit
 * code, one clear line, and the working directory and scraper config byte-identical.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseEther } from "viem";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fundAccounts } from "../support/test-chain.js";
import { runCli, runInProcess, type CliResult } from "../support/cli.js";
import { copyToTemp, ownPhasesDir, snapshot, tempDir } from "../support/files.js";
import {
  expectRefusal as expectRefusalOf,
  recordDirs,
  type Refusal,
  type Unchanged,
} from "../support/refusal.js";
import { startRegistryChain, type RegistryChain } from "../support/registry-chain.js";
import {
  startRpcProxy,
  type BatchFault,
  type RpcCall,
  type RpcProxy,
  type RpcProxyMode,
} from "../support/rpc-proxy.js";

const phase2 = join(ownPhasesDir, "after_phase2", "on-dev-machine");
const PUBLISHERS = "testnet_available_publisher_addresses.json";
const publishers = JSON.parse(readFileSync(join(phase2, PUBLISHERS), "utf8")) as `0x${string}`[];
/** The second publisher holds no ETH; the batch faults hand it the third one's balance. */
const [P1, P2, P3] = publishers as [`0x${string}`, `0x${string}`, `0x${string}`];

let net: RegistryChain;
let proxy: RpcProxy;
beforeAll(async () => {
  net = await startRegistryChain();
  await fundAccounts(net.chain, [P1, P3], parseEther("10"));
  proxy = await startRpcProxy(net.chain.rpcUrl);
});
afterAll(async () => {
  await proxy?.stop();
  await net?.stop();
});
beforeEach(() => {
  proxy.setMode({ kind: "forward" });
  proxy.resetStats();
});

interface Run {
  unchanged: Unchanged;
  run: CliResult;
}

/** An existing scraper config for this chain, so that "byte-identical" covers it too. */
function dataDirWithScraperConfig(): string {
  const data = tempDir("butler-data-");
  mkdirSync(join(data, "aztec-butler"));
  writeFileSync(
    join(data, "aztec-butler", "testnet-scrape-config.json"),
    `${JSON.stringify(
      {
        network: "testnet",
        l1ChainId: net.chain.chainId,
        stakingProviderId: String(net.providerId),
        stakingProviderAdmin: net.admin,
        attesters: [],
        lastUpdated: "2026-01-01T00:00:00.000Z",
        version: "1.0",
      },
      null,
      2,
    )}\n`,
  );
  return data;
}

/**
 * prepare-deployment of phase 2's files through the proxy (or `url`), the scraper config
 * included in what must stay byte-identical; in-process unless `runner` is runCli (one spawned
 * case per exit code).
 */
async function prepareDeployment(
  env: Record<string, string> = {},
  { runner = runInProcess, url = proxy.url }: { runner?: typeof runCli; url?: string } = {},
): Promise<Run> {
  const dir = copyToTemp(phase2);
  const data = dataDirWithScraperConfig();
  const unchanged = recordDirs(dir, data);
  const run = await runner(
    [
      "prepare-deployment",
      "prod-testnet-keyfile.json",
      PUBLISHERS,
      "--new-public-keys",
      "new-public-keys.json",
    ],
    { cwd: dir, env: { ...net.env, ETHEREUM_NODE_URL: url, XDG_DATA_HOME: data, ...env } },
  );
  return { unchanged, run };
}

/**
 * prepare-deployment behind a proxy of its own in `mode`, and how long after the first request
 * the second one reached the node (the retry, when the first was refused).
 */
async function firstRetryAtTheNode(
  mode: RpcProxyMode,
  { env = {}, runner = runInProcess }: { env?: Record<string, string>; runner?: typeof runCli },
): Promise<{ run: CliResult; rateLimited: number; delay: number }> {
  const arrivals: number[] = [];
  const timed = await startRpcProxy(net.chain.rpcUrl, {
    mode,
    onRequest: () => arrivals.push(performance.now()),
  });
  try {
    const { run } = await prepareDeployment(env, { url: timed.url, runner });
    return { run, rateLimited: timed.stats.rateLimited, delay: arrivals[1]! - arrivals[0]! };
  } finally {
    await timed.stop();
  }
}

/** The suite's refusal check (tests/support/refusal.ts), the scraper config included. */
function expectRefusal(
  { run, unchanged }: Run,
  code: number,
  expected: RegExp | (NonNullable<Refusal["thrown"]> & Pick<Refusal, "naming">),
): void {
  if (expected instanceof RegExp) expectRefusalOf(run, { code, error: [expected], unchanged });
  else {
    const { naming, ...thrown } = expected;
    expectRefusalOf(run, { code, thrown, naming, unchanged });
  }
}

describe("a batch answer that does not pair one-to-one with the requests", () => {
  const faults: [BatchFault, RegExp][] = [
    ["duplicate", /two answers for id/],
    ["missing", /1 of 4 answers missing/],
    ["extra", /an answer for id 987654321, which was not asked/],
    ["rotate-order", /answers out of order/],
    ["rotate-ids", /answers out of order/],
  ];
  for (const [fault, detail] of faults) {
    it(`${fault}: retried, then exit 69 "answered a malformed batch", nothing written`, async () => {
      proxy.setMode({ kind: "batch-fault", fault });
      // One spawned case for the exit code, the others in-process.
      const result = await prepareDeployment(
        {},
        { runner: fault === "duplicate" ? runCli : runInProcess },
      );
      expectRefusal(
        result,
        69,
        fault === "duplicate"
          ? /^error: reading publisher balances: Ethereum node http:\/\/127\.0\.0\.1:\d+ answered a malformed batch \(/
          : { name: "RpcUnavailableError", code: "MALFORMED_BATCH" },
      );
      expect(result.run.stderr).toMatch(detail);
      // The first attempt and RPC_RETRIES (2) more.
      expect(proxy.stats.tampered).toBe(3);
    });
  }

  it("a malformed batch once: the retry gets the real balances, and the empty publisher is refused (not credited another's ETH)", async () => {
    proxy.setMode({ kind: "batch-fault", fault: "duplicate", times: 1 });
    const result = await prepareDeployment();
    expectRefusal(result, 65, {
      name: "ChainRefusalError",
      code: "PUBLISHER_WITHOUT_ETH",
      file: "testnet_available_publisher_addresses.json",
      naming: [P2],
    });
    expect(proxy.stats.tampered).toBe(1);
  });
});

describe("values that do not decode", () => {
  it("a balance that is not a hex quantity: exit 69 naming eth_getBalance", async () => {
    proxy.setMode({ kind: "result", method: "eth_getBalance", result: "10000000000000000000" });
    expectRefusal(await prepareDeployment(), 69, {
      name: "RpcUnavailableError",
      code: "MALFORMED_ANSWER",
      naming: ["eth_getBalance"],
    });
  });

  it("a chain id that is not a number: exit 69 naming eth_chainId", async () => {
    proxy.setMode({ kind: "result", method: "eth_chainId", result: "mainnet" });
    expectRefusal(await prepareDeployment(), 69, {
      name: "RpcUnavailableError",
      code: "MALFORMED_ANSWER",
      naming: ["eth_chainId"],
    });
  });

  it("return data that is not hex: exit 69 naming eth_call", async () => {
    const dir = copyToTemp(join(ownPhasesDir, "after_phase1", "on-dev-machine"));
    const before = snapshot(dir);
    proxy.setMode({ kind: "result", method: "eth_call", result: "0xabc" });
    const run = await runInProcess(["process-private-keys", "new-private-keys.json"], {
      cwd: dir,
      env: { ...net.env, ETHEREUM_NODE_URL: proxy.url },
    });
    expect(run.code).toBe(69);
    expect(run.stderr).toMatch(/answered eth_call with a string, not hex data\n$/);
    expect(
      run.stderr
        .trimEnd()
        .split("\n")
        .filter((l) => l.startsWith("error: ")),
    ).toHaveLength(1);
    expect(snapshot(dir)).toEqual(before);
  });
});

describe("return data of the wrong length", () => {
  it("a uint256 read answered with 64 bytes: exit 69 naming the function (viem alone would ignore the extra word)", async () => {
    const dir = copyToTemp(join(ownPhasesDir, "after_phase1", "on-dev-machine"));
    const before = snapshot(dir);
    proxy.setMode({ kind: "result", method: "eth_call", result: `0x${"00".repeat(63)}07` });
    const run = await runInProcess(["process-private-keys", "new-private-keys.json"], {
      cwd: dir,
      env: { ...net.env, ETHEREUM_NODE_URL: proxy.url },
    });
    expect(run.code).toBe(69);
    expect(run.stderr).toMatch(
      /^error: reading the staking registry: Ethereum node \S+ answered eth_call of nextProviderIdentifier with 64 bytes of return data, not the 32 it returns\n$/,
    );
    expect(snapshot(dir)).toEqual(before);
  });
});

describe("rate limiting as providers send it", () => {
  it("HTTP 429 with a JSON-RPC error body is retried like any 429", async () => {
    await fundAccounts(net.chain, [P2], parseEther("10"));
    try {
      proxy.setMode({ kind: "rate-limit", first: 2, jsonRpcBody: true });
      const { run } = await prepareDeployment();
      expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0 });
      expect(proxy.stats.rateLimited).toBe(2);
    } finally {
      await setBalanceZero(P2);
    }
  });

  it("HTTP 429 with a JSON-RPC error body, every time: exit 69 'keeps rate-limiting'", async () => {
    proxy.setMode({ kind: "rate-limit", first: 100, jsonRpcBody: true });
    expectRefusal(await prepareDeployment(), 69, {
      name: "RpcUnavailableError",
      code: "RATE_LIMITED",
    });
  });

  it("Retry-After is honoured: the retry reaches the node as long after the 429 as it asked, not after the 250 ms backoff", async () => {
    const { run, rateLimited, delay } = await firstRetryAtTheNode(
      { kind: "rate-limit", first: 1, retryAfterSeconds: 1, jsonRpcBody: true },
      { env: { RPC_TIMEOUT_MS: "5000" } },
    );
    // Refused for the empty publisher, after the rate limit passed.
    expect(run.code).toBe(65);
    expect(rateLimited).toBe(1);
    // Measured at the node: the rate-limited request, then its retry a second later.
    expect(delay).toBeGreaterThanOrEqual(1000);
    expect(delay).toBeLessThan(1000 + 2000);
  });

  it("without Retry-After, the bin's first retry waits its 250 ms backoff (spawned: the in-process runs wait 10 ms)", async () => {
    const { run, rateLimited, delay } = await firstRetryAtTheNode(
      { kind: "rate-limit", first: 1 },
      { runner: runCli },
    );
    expect(run.code).toBe(65);
    expect(rateLimited).toBe(1);
    expect(delay).toBeGreaterThanOrEqual(250);
    expect(delay).toBeLessThan(250 + 1000);
  });

  it("Retry-After beyond RPC_TIMEOUT_MS: fails at once, exit 69", async () => {
    proxy.setMode({ kind: "rate-limit", first: 1, retryAfterSeconds: 30 });
    const { run } = await prepareDeployment({ RPC_TIMEOUT_MS: "3000" });
    expect(run.code).toBe(69);
    expect(run.ms).toBeLessThan(3000);
    // Not retried: the one request was the rate-limited one (no wait that would outlast the deadline).
    expect(proxy.stats).toMatchObject({ httpRequests: 1, rateLimited: 1 });
    expect(run.stderr).toMatch(/keeps rate-limiting \(HTTP 429\)/);
  });
});

async function setBalanceZero(address: `0x${string}`): Promise<void> {
  await fetch(net.chain.rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "anvil_setBalance",
      params: [address, "0x0"],
    }),
  });
}

describe("reads that must agree are made at one block", () => {
  it("process-private-keys and prepare-deployment read the block number once and pass it to every read", async () => {
    const seen: RpcCall[] = [];
    const recording = await startRpcProxy(net.chain.rpcUrl, {
      onRequest: (calls) => seen.push(...calls),
    });
    try {
      await fundAccounts(net.chain, [P2], parseEther("10"));
      const dir = copyToTemp(join(ownPhasesDir, "after_phase1", "on-dev-machine"));
      const env = {
        ...net.env,
        ETHEREUM_NODE_URL: recording.url,
        XDG_DATA_HOME: tempDir("butler-data-"),
      };
      for (const args of [
        ["process-private-keys", "new-private-keys.json"],
        ["prepare-deployment", "prod-testnet-keyfile.json", PUBLISHERS],
      ]) {
        seen.length = 0;
        const run = await runInProcess(args, { cwd: dir, env });
        expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0 });
        expect(seen.filter((c) => c.method === "eth_blockNumber")).toHaveLength(1);
        const tags = seen
          .filter((c) => ["eth_call", "eth_getBalance", "eth_getCode"].includes(String(c.method)))
          .map((c) => (c.params as unknown[])[1]);
        expect(tags.length).toBeGreaterThan(2);
        expect(new Set(tags).size).toBe(1);
        expect(tags[0]).toMatch(/^0x[0-9a-f]+$/);
      }
    } finally {
      await setBalanceZero(P2);
      await recording.stop();
    }
  });
});
