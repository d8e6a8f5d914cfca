import {
  BaseError,
  ContractFunctionRevertedError,
  HttpRequestError,
  TimeoutError,
  createPublicClient,
  http,
  type PublicClient,
} from "viem";
import type { ButlerConfig } from "./config.js";
import { ChainRefusalError, ConfigError, RpcUnavailableError } from "./errors.js";

/**
 * The one L1 client every command shares: JSON-RPC batching (calls made together go out as one
 * HTTP request of up to RPC_BATCH_SIZE calls), a per-request timeout, and retries with
 * exponential backoff on 429, 5xx and timeouts (viem's http transport retry policy).
 */
export interface ChainClient {
  readonly client: PublicClient;
  /** The URL with any path or credentials hidden, for messages (RPC URLs often embed API keys). */
  readonly shownUrl: string;
  readonly batchSize: number;
  /** RPC_TIMEOUT_MS, for the "did not answer within" message. */
  readonly timeoutMs: number;
}

export function createChainClient(config: ButlerConfig): ChainClient {
  const url = config.require("ETHEREUM_NODE_URL", "the L1 JSON-RPC endpoint");
  const { timeoutMs, retries, batchSize } = config.rpcOptions;
  const client = createPublicClient({
    transport: http(url, {
      batch: { batchSize, wait: 0 },
      timeout: timeoutMs,
      retryCount: retries,
      retryDelay: 250,
    }),
  });
  return { client, shownUrl: redactUrl(url), batchSize, timeoutMs };
}

/** Keeps scheme, host and port; hides the path, query and user info, which may hold API keys. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const hidden = parsed.pathname.length > 1 || parsed.search !== "" || parsed.username !== "";
    return `${parsed.protocol}//${parsed.host}${hidden ? "/…" : ""}`;
  } catch {
    return "<invalid URL>";
  }
}

/**
 * Runs a chain read and turns transport failures into one clear RpcUnavailableError. `what`
 * says what was being read ("reading the provider queue").
 */
export async function onChain<T>(
  chain: ChainClient,
  what: string,
  read: () => Promise<T>,
): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw toChainError(chain, what, error);
  }
}

export function toChainError(chain: ChainClient, what: string, error: unknown): Error {
  if (error instanceof RpcUnavailableError || error instanceof ChainRefusalError) return error;
  if (error instanceof ConfigError) return error;
  if (!(error instanceof BaseError)) return error as Error;
  const at = `Ethereum node ${chain.shownUrl}`;
  const timeout = error.walk((e) => e instanceof TimeoutError);
  if (timeout) {
    return new RpcUnavailableError(
      `${what}: ${at} did not answer within ${chain.timeoutMs} ms ` +
        "(RPC_TIMEOUT_MS); is it overloaded or hanging?",
    );
  }
  const http = error.walk((e) => e instanceof HttpRequestError) as HttpRequestError | null;
  // A 200 answer whose body does not parse: viem reports it as an HttpRequestError without a
  // status, caused by the SyntaxError; it reached the node, so "cannot reach" would mislead.
  if (http && http.status === undefined && http.walk((e) => e instanceof SyntaxError)) {
    return new RpcUnavailableError(`${what}: ${at} answered something that is not JSON-RPC`);
  }
  if (http) {
    const status = http.status;
    const cause = describeCause(http);
    if (status === 429)
      return new RpcUnavailableError(`${what}: ${at} keeps rate-limiting (HTTP 429) after retries`);
    if (status !== undefined)
      return new RpcUnavailableError(`${what}: ${at} answered HTTP ${status}`);
    return new RpcUnavailableError(
      `${what}: cannot reach ${at} (${cause}); check ETHEREUM_NODE_URL`,
    );
  }
  if (error.walk((e) => e instanceof ContractFunctionRevertedError)) {
    return new ChainRefusalError(`${what}: the contract call reverted (${error.shortMessage})`);
  }
  if (/JSON|Unexpected token|parse/i.test(error.message)) {
    return new RpcUnavailableError(`${what}: ${at} answered something that is not JSON-RPC`);
  }
  return new RpcUnavailableError(`${what}: ${at} failed: ${error.shortMessage}`);
}

function describeCause(error: HttpRequestError): string {
  let cause: unknown = error.cause;
  while (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === "ECONNREFUSED") return "connection refused";
    if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "host not found";
    if (code === "ECONNRESET") return "connection reset";
    if (code) return code;
    cause = cause.cause;
  }
  return error.shortMessage.includes("fetch failed") ? "request failed" : error.shortMessage;
}

/** When ETHEREUM_CHAIN_ID is set, the node must be on that chain: nothing happens on the wrong one. */
export function checkExpectedChainId(
  chain: ChainClient,
  config: ButlerConfig,
  chainId: number,
): void {
  const expected = config.optional("ETHEREUM_CHAIN_ID");
  if (expected !== undefined && chainId !== expected) {
    throw new ConfigError(
      `ETHEREUM_CHAIN_ID (from ${config.sourceOf("ETHEREUM_CHAIN_ID")}) is ${expected} but the node at ` +
        `${chain.shownUrl} is on chain ${chainId}; refusing to continue on the wrong chain`,
    );
  }
}
