import http from "node:http";
import type { AddressInfo } from "node:net";
import {
  BaseError,
  ContractFunctionRevertedError,
  HttpRequestError,
  TimeoutError,
  createPublicClient,
  http as httpTransport,
} from "viem";
import { afterEach, describe, expect, it } from "vitest";
import { retryingWithin, toChainError, type ChainClient } from "../../src/core/chain/client.js";
import { ChainRefusalError, ConfigError, RpcUnavailableError } from "../../src/core/errors.js";
import { reportError } from "../../src/cli/run.js";

const chain = {
  shownUrl: "https://rpc.example/…",
  timeoutMs: 10_000,
  batchSize: 500,
} as unknown as ChainClient;
const url = "https://rpc.example/v2/secret-api-key";

describe("toChainError", () => {
  it("a timeout: RpcUnavailableError naming RPC_TIMEOUT_MS, viem's error as the cause", () => {
    const viemError = new TimeoutError({ body: { method: "eth_chainId" }, url });
    const error = toChainError(chain, "checking the chain", viemError);
    expect(error).toBeInstanceOf(RpcUnavailableError);
    expect(error.message).toBe(
      "checking the chain: Ethereum node https://rpc.example/… did not answer within 10000 ms " +
        "(RPC_TIMEOUT_MS); is it overloaded or hanging?",
    );
    expect(error.cause).toBe(viemError);
  });

  it("HTTP statuses: 429 after retries, any other status by number", () => {
    const limited = new HttpRequestError({ url, status: 429, body: {} });
    expect(toChainError(chain, "reading", limited)).toMatchObject({
      message:
        "reading: Ethereum node https://rpc.example/… keeps rate-limiting (HTTP 429) after retries",
      cause: limited,
    });
    const broken = new HttpRequestError({ url, status: 502, body: {} });
    expect(toChainError(chain, "reading", broken)).toMatchObject({
      message: "reading: Ethereum node https://rpc.example/… answered HTTP 502",
      cause: broken,
    });
  });

  it("no status: cannot reach the node, with the socket's reason; not JSON when a SyntaxError caused it", () => {
    const refused = new HttpRequestError({
      url,
      cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }),
    });
    const error = toChainError(chain, "reading", refused);
    expect(error).toBeInstanceOf(RpcUnavailableError);
    expect(error.message).toMatch(
      /^reading: cannot reach Ethereum node https:\/\/rpc\.example\/… \(/,
    );
    expect(error.message).toMatch(/\); check ETHEREUM_NODE_URL$/);
    expect(error.cause).toBe(refused);
    const garbled = new HttpRequestError({ url, cause: new SyntaxError("Unexpected token <") });
    expect(toChainError(chain, "reading", garbled)).toMatchObject({
      message:
        "reading: Ethereum node https://rpc.example/… answered something that is not JSON-RPC",
      cause: garbled,
    });
  });

  it("a revert is the chain's refusal (exit 65); anything else from viem is the node failing", () => {
    const reverted = new BaseError("call failed", {
      cause: new ContractFunctionRevertedError({ abi: [], functionName: "f" }),
    });
    const refusal = toChainError(chain, "reading the registry", reverted);
    expect(refusal).toBeInstanceOf(ChainRefusalError);
    expect(refusal.message).toBe("reading the registry: the contract call reverted (call failed)");
    expect(refusal.cause).toBe(reverted);
    const odd = new BaseError("something odd");
    expect(toChainError(chain, "reading", odd)).toMatchObject({
      message: "reading: Ethereum node https://rpc.example/… failed: something odd",
      cause: odd,
    });
  });

  it("passes its own errors and non-viem errors through unchanged", () => {
    const own = new ConfigError("WRONG_CHAIN", "x");
    expect(toChainError(chain, "reading", own)).toBe(own);
    const bug = new TypeError("a bug");
    expect(toChainError(chain, "reading", bug)).toBe(bug);
  });

  it("--verbose prints the cause chain below the one line, without the URL's path", () => {
    const viemError = new TimeoutError({ body: { method: "eth_chainId" }, url });
    const written: string[] = [];
    const stderr = {
      write: (text: string) => written.push(text),
    } as unknown as NodeJS.WritableStream;
    const plain = reportError(toChainError(chain, "checking the chain", viemError), { stderr });
    expect(plain).toBe(69);
    expect(written).toHaveLength(1);
    written.length = 0;
    reportError(toChainError(chain, "checking the chain", viemError), { stderr, verbose: true });
    const text = written.join("");
    expect(text).toMatch(/^error: checking the chain: .*\n {2}caused by: TimeoutError: /);
    expect(text).toContain("https://rpc.example/…");
    expect(text).not.toContain("secret-api-key");
  });
});

describe("retryingWithin", () => {
  let server: http.Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  /** A JSON-RPC endpoint that answers each request with the next of `statuses`, then 200. */
  async function scriptedNode(
    statuses: number[],
  ): Promise<{ url: string; requests: () => number }> {
    let requests = 0;
    server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        const status = statuses[requests++] ?? 200;
        const { id } = JSON.parse(body) as { id: number };
        res.writeHead(status, { "content-type": "application/json" });
        res.end(status === 200 ? JSON.stringify({ jsonrpc: "2.0", id, result: "0x7a69" }) : "{}");
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, requests: () => requests };
  }

  const clientFor = (nodeUrl: string, retries: number, withinMs = 10_000) =>
    createPublicClient({
      transport: retryingWithin(httpTransport(nodeUrl, { retryCount: 0 }), { retries, withinMs }),
    });

  it("retries transient failures (429, 503) and returns the answer", async () => {
    const node = await scriptedNode([429, 503]);
    expect(await clientFor(node.url, 2).getChainId()).toBe(31337);
    expect(node.requests()).toBe(3);
  });

  it("gives up after `retries` retries with the last failure", async () => {
    const node = await scriptedNode([429, 429, 429]);
    await expect(clientFor(node.url, 1).getChainId()).rejects.toThrow(HttpRequestError);
    expect(node.requests()).toBe(2);
  });

  it("does not retry what is not transient (HTTP 400)", async () => {
    const node = await scriptedNode([400]);
    await expect(clientFor(node.url, 2).getChainId()).rejects.toMatchObject({ status: 400 });
    expect(node.requests()).toBe(1);
  });

  it("does not start a wait that would end past `withinMs`", async () => {
    const node = await scriptedNode([503, 503]);
    // The first wait is the real 250 ms (not the test processes' 10 ms, in-process-setup.ts):
    // past a 100 ms budget, so no retry.
    const testOnlyDelay = Symbol.for("aztec-butler.test-only.retry-base-delay-ms");
    const globals = globalThis as Record<symbol, unknown>;
    const saved = globals[testOnlyDelay];
    delete globals[testOnlyDelay];
    try {
      await expect(clientFor(node.url, 2, 100).getChainId()).rejects.toMatchObject({
        status: 503,
      });
    } finally {
      globals[testOnlyDelay] = saved;
    }
    expect(node.requests()).toBe(1);
  });
});
