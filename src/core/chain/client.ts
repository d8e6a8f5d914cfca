import {
  BaseError,
  ContractFunctionRevertedError,
  decodeFunctionResult,
  encodeFunctionData,
  getContractError,
  type Abi,
  type AbiParameter,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type ContractFunctionParameters,
  type ContractFunctionReturnType,
  type Hex,
  HttpRequestError,
  RpcRequestError,
  TimeoutError,
  createPublicClient,
  http,
  type PublicClient,
  type Transport,
} from "viem";
import type { ButlerConfig } from "../config.js";
import {
  ChainRefusalError,
  ConfigError,
  RpcUnavailableError,
  type RpcUnavailableErrorCode,
} from "../errors.js";
import {
  MalformedAnswerError,
  MalformedBatchError,
  verifiedFetch,
  verifyingFetch,
} from "./verified-fetch.js";
import { redactUrl } from "./redact-url.js";

export { MalformedAnswerError, MalformedBatchError } from "./verified-fetch.js";

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
  /** What it is, for messages (default "Ethereum node <shownUrl>"): "remote signer <shownUrl>". */
  readonly shownAs?: string;
  /** Where its URL is set, for "cannot reach" messages (default ETHEREUM_NODE_URL). */
  readonly urlSetting?: string;
}

/** First retry after this long; each next one waits twice as long. */
const RETRY_BASE_DELAY_MS = 250;

/**
 * TESTS ONLY: the first retry's delay in the test suite's own processes, where runInProcess runs
 * hundreds of commands and a refused or failing node would cost each of them 250 + 500 ms of
 * waiting. Set by tests/support/in-process-setup.ts (vitest's processes only: never by anything
 * an operator can set, and not in the runs the tests spawn, which wait as operators' runs do).
 */
const TEST_ONLY_RETRY_BASE_DELAY = Symbol.for("aztec-butler.test-only.retry-base-delay-ms");
const retryBaseDelayMs = (): number => {
  const testOnly = (globalThis as Record<symbol, unknown>)[TEST_ONLY_RETRY_BASE_DELAY];
  return typeof testOnly === "number" ? testOnly : RETRY_BASE_DELAY_MS;
};

export function createChainClient(config: ButlerConfig): ChainClient {
  const url = config.require("ETHEREUM_NODE_URL", "the L1 JSON-RPC endpoint");
  return createVerifiedRpcClient(url, config.rpcOptions);
}

export interface RpcOptions {
  timeoutMs: number;
  retries: number;
  batchSize: number;
}

/**
 * A JSON-RPC client with the chain client's batching, deadline, retries and answer checks, for
 * any endpoint (the L1 node, a remote signer). `fetchFn` replaces global fetch under the checks
 * (a TLS client certificate); `shownAs` and `urlSetting` name the endpoint in messages.
 */
export function createVerifiedRpcClient(
  url: string,
  { timeoutMs, retries, batchSize }: RpcOptions,
  options: { fetchFn?: typeof fetch; shownAs?: string; urlSetting?: string } = {},
): ChainClient {
  const client = createPublicClient({
    transport: retryingWithin(
      http(url, {
        batch: { batchSize, wait: 0 },
        timeout: timeoutMs,
        retryCount: 0,
        fetchFn: options.fetchFn ? verifyingFetch(options.fetchFn) : verifiedFetch,
      }),
      { retries, withinMs: timeoutMs },
    ),
  });
  const { shownAs, urlSetting } = options;
  return { client, shownUrl: redactUrl(url), batchSize, timeoutMs, shownAs, urlSetting };
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
          // A node that says when to come back (Retry-After) is waited for, if that is within
          // the deadline; otherwise exponential backoff.
          const delay = Math.max(retryBaseDelayMs() * 2 ** attempt, retryAfterMs(error) ?? 0);
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
  // A batch answer with missing, repeated, extra or swapped ids: a proxy or load balancer
  // mixing answers up, which may not happen again. A value that does not decode is the node's
  // answer, and will be the same next time.
  if (error.walk((e) => e instanceof MalformedBatchError)) return true;
  if (error.walk((e) => e instanceof MalformedAnswerError)) return false;
  // HTTP 429 whose body is a JSON-RPC error object: viem reports it as an RpcRequestError
  // carrying the HTTP status.
  const rpc = error.walk((e) => e instanceof RpcRequestError) as RpcRequestError | null;
  if (rpc?.status !== undefined && TRANSIENT_HTTP_STATUSES.has(rpc.status)) return true;
  const http = error.walk((e) => e instanceof HttpRequestError) as HttpRequestError | null;
  // No status: the connection failed (refused, reset) or the answer was not JSON.
  if (http) return http.status === undefined || TRANSIENT_HTTP_STATUSES.has(http.status);
  if (error.walk((e) => e instanceof TimeoutError)) return true;
  // Infura answers an eth_getLogs over too many results with -32005 as well: that one passes
  // only with a smaller range (events.ts halves it), not by waiting.
  if (/results|block range|response size/i.test(error.details ?? "")) return false;
  return (error as { code?: unknown }).code === LIMIT_EXCEEDED;
}

/** Retry-After of a failed HTTP answer (seconds or an HTTP date), in milliseconds. */
function retryAfterMs(error: unknown): number | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const failed = error.walk(
    (e) =>
      (e instanceof HttpRequestError || e instanceof RpcRequestError) && e.headers !== undefined,
  ) as HttpRequestError | RpcRequestError | null;
  const value = failed?.headers?.get("retry-after")?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** HTTP status of a failed request that the node answered with a JSON-RPC error body (429, 503). */
function rpcHttpStatus(error: BaseError): number | undefined {
  const rpc = error.walk((e) => e instanceof RpcRequestError) as RpcRequestError | null;
  return rpc?.status;
}

/**
 * The node could not be asked or did not answer (HTTP failure, timeout), as opposed to answering
 * with a JSON-RPC error. Anything that is not a viem error counts as such: it is not the node's
 * answer either.
 */
export function isTransportFailure(error: unknown): boolean {
  if (!(error instanceof BaseError)) return true;
  if (rpcHttpStatus(error) !== undefined) return true;
  return Boolean(
    error.walk(
      (e) =>
        e instanceof HttpRequestError ||
        e instanceof TimeoutError ||
        e instanceof MalformedBatchError ||
        e instanceof MalformedAnswerError,
    ),
  );
}

/** The node answered with a JSON-RPC error (it refused, or the call reverted), as opposed to not answering. */
export function isRpcRefusal(error: unknown): boolean {
  return (
    !isTransportFailure(error) &&
    Boolean((error as BaseError).walk((e) => e instanceof RpcRequestError))
  );
}

/**
 * The node's answer, or undefined when it answered with a JSON-RPC error (it refuses the call: a
 * deployless reader above its gas cap, say), so the caller can fall back to plain reads.
 * Transport failures are thrown.
 */
export function unlessRefused<T>(read: Promise<T>): Promise<T | undefined> {
  return read.catch((error: unknown) => {
    if (isRpcRefusal(error)) return undefined;
    throw error;
  });
}

/**
 * The read's value, or the Error it failed with: for reads sent together (one batch) whose
 * failures are judged only once another read of the batch has spoken (a contract without code).
 */
export function settled<T>(read: Promise<T>): Promise<T | Error> {
  return read.catch((error: unknown) =>
    error instanceof Error ? error : new Error(String(error)),
  );
}

export { redactUrl } from "./redact-url.js";

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

/**
 * viem's error as one operator-facing line (what failed, at which node, why), keeping viem's
 * error as the cause so `--verbose` can show the whole chain.
 */
export function toChainError(chain: ChainClient, what: string, error: unknown): Error {
  if (error instanceof RpcUnavailableError || error instanceof ChainRefusalError) return error;
  if (error instanceof ConfigError) return error;
  const at = chain.shownAs ?? `Ethereum node ${chain.shownUrl}`;
  const unavailable = (code: RpcUnavailableErrorCode, message: string) =>
    new RpcUnavailableError(code, `${what}: ${message}`, {}, { cause: error });
  // Raised by this tool's checks, bare (readContractExactly) or as the cause of a viem error.
  if (error instanceof MalformedAnswerError) {
    return unavailable("MALFORMED_ANSWER", `${at} ${error.problem}`);
  }
  if (!(error instanceof BaseError)) return error as Error;
  const batch = error.walk((e) => e instanceof MalformedBatchError) as MalformedBatchError | null;
  if (batch) {
    return unavailable(
      "MALFORMED_BATCH",
      `${at} answered a malformed batch (${batch.problem}), also when asked again; ` +
        "a proxy or load balancer in front of it mixing answers up?",
    );
  }
  const answer = error.walk(
    (e) => e instanceof MalformedAnswerError,
  ) as MalformedAnswerError | null;
  if (answer) return unavailable("MALFORMED_ANSWER", `${at} ${answer.problem}`);
  const http = error.walk((e) => e instanceof HttpRequestError) as HttpRequestError | null;
  // HTTP 429 and other statuses: as viem's RpcRequestError (a JSON-RPC error body) or its
  // HttpRequestError (any other body).
  const status = rpcHttpStatus(error) ?? http?.status;
  if (status === 429)
    return unavailable("RATE_LIMITED", `${at} keeps rate-limiting (HTTP 429) after retries`);
  if (status !== undefined) return unavailable("HTTP_ERROR", `${at} answered HTTP ${status}`);
  if (error.walk((e) => e instanceof TimeoutError)) {
    return unavailable(
      "TIMEOUT",
      `${at} did not answer within ${chain.timeoutMs} ms (RPC_TIMEOUT_MS); is it overloaded or hanging?`,
    );
  }
  // A 200 answer whose body does not parse: viem reports it as an HttpRequestError without a
  // status, caused by the SyntaxError; it reached the node, so "cannot reach" would mislead.
  if (http?.walk((e) => e instanceof SyntaxError)) {
    return unavailable("NOT_JSON_RPC", `${at} answered something that is not JSON-RPC`);
  }
  if (http) {
    return unavailable(
      "UNREACHABLE",
      `cannot reach ${at} (${describeCause(http)}); check ${chain.urlSetting ?? "ETHEREUM_NODE_URL"}`,
    );
  }
  if (error.walk((e) => e instanceof ContractFunctionRevertedError)) {
    return new ChainRefusalError(
      "CALL_REVERTED",
      `${what}: the contract call reverted (${error.shortMessage})`,
      {},
      { cause: error },
    );
  }
  if (/JSON|Unexpected token|parse/i.test(error.message)) {
    return unavailable("NOT_JSON_RPC", `${at} answered something that is not JSON-RPC`);
  }
  return unavailable("RPC_FAILED", `${at} failed: ${error.shortMessage}`);
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

/**
 * viem's readContract, typed by the ABI as viem's is (the arguments and the result follow from
 * `abi` and `functionName`), but strict: the return data must have exactly the length the
 * function's outputs take when they are all static (viem's decoder ignores extra bytes, so a node
 * or proxy that answers another call's data would pass): otherwise a MalformedAnswerError naming
 * the function. Every registry, rollup and GSE read goes through it (or through a deployless
 * reader whose answer is checked word by word).
 */
export async function readContractExactly<
  const abi extends Abi | readonly unknown[],
  functionName extends ContractFunctionName<abi, "pure" | "view">,
  const args extends ContractFunctionArgs<abi, "pure" | "view", functionName>,
>(
  chain: ChainClient,
  parameters: ContractFunctionParameters<abi, "pure" | "view", functionName, args> & AtBlock,
): Promise<ContractFunctionReturnType<abi, "pure" | "view", functionName, args>> {
  const { address, blockNumber } = parameters;
  // viem's own readContract forwards its generics the same way: the parameters are checked at
  // the call, by the signature above.
  const call = parameters as unknown as {
    abi: Abi;
    functionName: string;
    args?: readonly unknown[];
  };
  const { abi, functionName, args } = call;
  const calldata = encodeFunctionData({ abi, functionName, args });
  let data: Hex | undefined;
  try {
    ({ data } = await chain.client.call({ to: address, data: calldata, blockNumber }));
  } catch (error) {
    throw getContractError(error as BaseError, { abi, address, args, functionName });
  }
  const item = abi.find((entry) => entry.type === "function" && entry.name === functionName) as
    { outputs?: readonly AbiParameter[] } | undefined;
  const expected = staticSize(item?.outputs ?? []);
  const bytes = data === undefined ? 0 : (data.length - 2) / 2;
  if (bytes > 0 && expected !== undefined && bytes !== expected) {
    throw new MalformedAnswerError(
      `answered eth_call of ${functionName} with ${bytes} bytes of return data, not the ${expected} it returns`,
    );
  }
  try {
    return decodeFunctionResult({
      abi,
      functionName,
      args,
      data: data ?? "0x",
    }) as ContractFunctionReturnType<abi, "pure" | "view", functionName, args>;
  } catch (error) {
    throw getContractError(error as BaseError, { abi, address, args, functionName });
  }
}

/** Bytes an ABI encoding of these parameters takes when all are static; undefined otherwise. */
function staticSize(parameters: readonly AbiParameter[]): number | undefined {
  let total = 0;
  for (const parameter of parameters) {
    const size = staticSizeOf(parameter.type, parameter);
    if (size === undefined) return undefined;
    total += size;
  }
  return total;
}

function staticSizeOf(type: string, parameter: AbiParameter): number | undefined {
  const array = /^(.*)\[(\d*)\]$/.exec(type);
  if (array) {
    if (array[2] === "") return undefined;
    const inner = staticSizeOf(array[1]!, parameter);
    return inner === undefined ? undefined : inner * Number(array[2]);
  }
  if (type === "tuple") {
    return staticSize((parameter as { components?: readonly AbiParameter[] }).components ?? []);
  }
  if (/^(u?int\d*|address|bool|bytes([1-9]|[12]\d|3[0-2]))$/.test(type)) return 32;
  return undefined;
}

/**
 * Where a read happens: the block the command pinned (readBlockNumber, pinLatestBlock), else the
 * latest. Every chain read takes it in its parameter object, viem's way: `readX(chain, { …,
 * blockNumber })`.
 */
export interface AtBlock {
  blockNumber?: bigint;
}

/**
 * The block every read of a command is made at: read once, first, so that a new block (or a
 * reorg) between two reads cannot give the command a mix of two states.
 */
export async function readBlockNumber(chain: ChainClient): Promise<bigint> {
  return onChain(chain, "checking the chain", () => chain.client.getBlockNumber({ cacheTime: 0 }));
}

/** The latest block's number and timestamp: pinned, as readBlockNumber's, when the time matters too. */
export interface PinnedBlock {
  number: bigint;
  timestamp: bigint;
}

/** The latest block, which every later read is pinned to (its number as their `blockNumber`). */
export async function pinLatestBlock(chain: ChainClient): Promise<PinnedBlock> {
  const block = await onChain(chain, "reading the latest block", () =>
    chain.client.getBlock({ blockTag: "latest" }),
  );
  if (block.number === null) {
    throw new ConfigError("NODE_WITHOUT_BLOCK_NUMBER", "the node's latest block has no number");
  }
  return { number: block.number, timestamp: block.timestamp };
}

/** The JSON-RPC block parameter of a read at `blockNumber` (the latest block without one). */
export function blockTag(blockNumber: bigint | undefined): `0x${string}` | "latest" {
  return blockNumber === undefined ? "latest" : `0x${blockNumber.toString(16)}`;
}

/**
 * The node must be on the chain the configuration says: ETHEREUM_CHAIN_ID when set, else the
 * network preset's (mainnet 1, testnet 11155111); nothing happens on the wrong one. Other network
 * names without ETHEREUM_CHAIN_ID accept any chain.
 */
export function refuseUnexpectedChainId(
  chain: ChainClient,
  config: ButlerConfig,
  chainId: number,
): void {
  const expected = config.optional("ETHEREUM_CHAIN_ID");
  if (expected !== undefined) {
    if (chainId === expected) return;
    throw new ConfigError(
      "WRONG_CHAIN",
      `ETHEREUM_CHAIN_ID (from ${config.sourceOf("ETHEREUM_CHAIN_ID")}) is ${expected} but the node at ` +
        `${chain.shownUrl} is on chain ${chainId}; refusing to continue on the wrong chain`,
    );
  }
  const preset = config.networkPreset;
  if (preset !== undefined && chainId !== preset.chainId) {
    throw new ConfigError(
      "WRONG_CHAIN",
      `the network is ${config.network} (${config.networkSource}), which is chain ${preset.chainId}, but ` +
        `the node at ${chain.shownUrl} is on chain ${chainId}; refusing to continue on the wrong chain ` +
        "(choose the network with --network or NETWORK; ETHEREUM_CHAIN_ID overrides its chain id)",
    );
  }
}
