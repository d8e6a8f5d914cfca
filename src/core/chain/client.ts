import {
  BaseError,
  ContractFunctionRevertedError,
  HttpRequestError,
  TimeoutError,
  createPublicClient,
  http,
  type PublicClient,
  type Transport,
} from "viem";
import type { ButlerConfig } from "../config.js";
import { ChainRefusalError, ConfigError, RpcUnavailableError } from "../errors.js";

/**
 * The one L1 client every command shares: JSON-RPC batching (calls made together go out as one
 * HTTP request of up to RPC_BATCH_SIZE calls), and for each request a deadline of RPC_TIMEOUT_MS
 * within which failures that pass (HTTP 429 and 5xx, a refused or reset connection, a node that
 * says it is over its limits) are retried with exponential backoff, up to RPC_RETRIES times.
 * A node that does not answer at all fails the request when the deadline is reached, not once
 * per retry: RPC_TIMEOUT_MS is how long the operator waits for a node that hangs.
 */
export interface ChainClient {
  readonly client: PublicClient;
  /** The URL with any path or credentials hidden, for messages (RPC URLs often embed API keys). */
  readonly shownUrl: string;
  readonly batchSize: number;
  /** RPC_TIMEOUT_MS, for the "did not answer within" message. */
  readonly timeoutMs: number;
}

/** First retry after this long; each next one waits twice as long. */
const RETRY_BASE_DELAY_MS = 250;

export function createChainClient(config: ButlerConfig): ChainClient {
  const url = config.require("ETHEREUM_NODE_URL", "the L1 JSON-RPC endpoint");
  const { timeoutMs, retries, batchSize } = config.rpcOptions;
  const client = createPublicClient({
    transport: retryingWithin(
      http(url, { batch: { batchSize, wait: 0 }, timeout: timeoutMs, retryCount: 0 }),
      { retries, withinMs: timeoutMs },
    ),
  });
  return { client, shownUrl: redactUrl(url), batchSize, timeoutMs };
}

/**
 * `transport` with retries of transient failures (see isTransient), each request's attempts and
 * waits all within `withinMs` of its first attempt. Calls that failed together are retried
 * together, in one batch (see sharedDelay).
 */
export function retryingWithin(
  transport: Transport,
  { retries, withinMs }: { retries: number; withinMs: number },
): Transport {
  return (params) => {
    const inner = transport({ ...params, retryCount: 0 });
    const request: typeof inner.request = async (args, options) => {
      const started = Date.now();
      for (let attempt = 0; ; attempt++) {
        try {
          return await inner.request(args, { ...options, retryCount: 0 });
        } catch (error) {
          const delay = RETRY_BASE_DELAY_MS * 2 ** attempt;
          const late = Date.now() - started + delay >= withinMs;
          if (attempt >= retries || late || !isTransient(error)) throw error;
          await sharedDelay(delay);
        }
      }
    };
    return { ...inner, request };
  };
}

const pendingDelays = new Map<number, Promise<void>>();

/**
 * A wait of `ms` shared by every call that starts one while it runs: the calls of a batch that
 * failed together resume together, so their retries go out as one batch again (one HTTP request
 * to a rate-limited node, not one per call).
 */
function sharedDelay(ms: number): Promise<void> {
  let delay = pendingDelays.get(ms);
  if (!delay) {
    delay = new Promise<void>((resolve) => setTimeout(resolve, ms)).finally(() =>
      pendingDelays.delete(ms),
    );
    pendingDelays.set(ms, delay);
  }
  return delay;
}

/** HTTP statuses of a node or gateway that is busy or restarting. */
const TRANSIENT_HTTP_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
/** JSON-RPC "limit exceeded" (EIP-1474), what some providers answer instead of HTTP 429. */
const LIMIT_EXCEEDED = -32005;

/** A failure that may pass if the same request is sent again shortly. */
function isTransient(error: unknown): boolean {
  if (!(error instanceof BaseError)) return false;
  const http = error.walk((e) => e instanceof HttpRequestError) as HttpRequestError | null;
  // No status: the connection failed (refused, reset) or the answer was not JSON.
  if (http) return http.status === undefined || TRANSIENT_HTTP_STATUSES.has(http.status);
  if (error.walk((e) => e instanceof TimeoutError)) return true;
  // Infura answers an eth_getLogs over too many results with -32005 as well: that one passes
  // only with a smaller range (events.ts halves it), not by waiting.
  if (/results|block range|response size/i.test(error.details ?? "")) return false;
  return (error as { code?: unknown }).code === LIMIT_EXCEEDED;
}

/**
 * The node could not be asked or did not answer (HTTP failure, timeout), as opposed to answering
 * with a JSON-RPC error. Anything that is not a viem error counts as such: it is not the node's
 * answer either.
 */
export function isTransportFailure(error: unknown): boolean {
  if (!(error instanceof BaseError)) return true;
  return Boolean(error.walk((e) => e instanceof HttpRequestError || e instanceof TimeoutError));
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
