/**
 * The fetch under the JSON-RPC transport: nothing the node answers is trusted unchecked.
 *
 * viem matches a batch's answers to its requests by sorting both by id and pairing them by
 * position, so an answer repeated under the same id, or one missing, silently gives a call
 * another call's result (a publisher credited with someone else's balance). Here every 2xx
 * answer to a batch must hold exactly one answer per request id, each id once, nothing else, in
 * request order (see checkedBatchAnswers); and every result of the methods this tool uses must have the shape
 * its method promises (a hex quantity, hex data, a list of addresses, a signature), before viem
 * decodes it. Remote signers (web3signer's eth1 JSON-RPC) are asked through the same checks.
 */

/** A batch answer that does not pair one-to-one with the requests: transient, retried. */
export class MalformedBatchError extends Error {
  constructor(readonly problem: string) {
    super(`malformed batch answer: ${problem}`);
    this.name = "MalformedBatchError";
  }
}

/** A result that is not what its method returns: the node's answer, not retried. */
export class MalformedAnswerError extends Error {
  constructor(readonly problem: string) {
    super(problem);
    this.name = "MalformedAnswerError";
  }
}

interface SentCall {
  id: unknown;
  method: string;
}

/** A JSON-RPC quantity: 0x and 1 to 64 hex digits (some nodes pad with leading zeros). */
const QUANTITY = /^0x[0-9a-fA-F]{1,64}$/;
/** JSON-RPC data: 0x and whole bytes. */
const DATA = /^0x(?:[0-9a-fA-F]{2})*$/;

const QUANTITY_METHODS = new Set([
  "eth_chainId",
  "eth_blockNumber",
  "eth_getBalance",
  "eth_estimateGas",
  "eth_gasPrice",
  "eth_maxPriorityFeePerGas",
  "eth_getTransactionCount",
]);
const DATA_METHODS = new Set(["eth_call", "eth_getCode", "eth_getStorageAt"]);
/** eth_accounts: a list of addresses (web3signer answers them lowercase). */
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
/**
 * eth_sign: r, s and v, 65 bytes. Aztec's node (@aztec/node-keystore 4.1.2, RemoteSigner) adds a
 * missing 0x before parsing the signature, so a signer that leaves it out still serves the node.
 */
const SIGNATURE = /^(0x)?[0-9a-fA-F]{130}$/;

type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** The fetch under viem's HTTP transport: global fetch, every answer checked (see above). */
export const verifiedFetch: Fetch = (input, init) => verifyingFetch(fetch)(input, init);

/** `base` (a fetch with a TLS client certificate, say) with every answer checked. */
export function verifyingFetch(base: Fetch): Fetch {
  return async (input, init) => checkedAnswer(await base(input, init), init);
}

async function checkedAnswer(response: Response, init: RequestInit | undefined): Promise<Response> {
  if (!response.ok) return response;
  const sent = sentCalls(init?.body);
  if (!sent) return response;
  const text = await response.text();
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    // Not JSON: viem reports it as such ("answered something that is not JSON-RPC").
    return rebuilt(response, text);
  }
  const checked = sent.batch
    ? checkedBatchAnswers(sent.calls, data)
    : checkedSingleAnswer(sent.calls[0]!, data);
  return rebuilt(response, JSON.stringify(checked));
}

function rebuilt(response: Response, body: string): Response {
  const headers = new Headers({
    "content-type": response.headers.get("content-type") ?? "application/json",
  });
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
}

function sentCalls(body: unknown): { calls: SentCall[]; batch: boolean } | undefined {
  if (typeof body !== "string") return undefined;
  try {
    const parsed = JSON.parse(body) as unknown;
    const calls = (Array.isArray(parsed) ? parsed : [parsed]).map((call) => ({
      id: (call as { id?: unknown }).id,
      method: String((call as { method?: unknown }).method),
    }));
    return { calls, batch: Array.isArray(parsed) };
  } catch {
    return undefined;
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const isRpcErrorObject = (value: unknown): boolean =>
  isObject(value) &&
  isObject(value.error) &&
  typeof value.error.code === "number" &&
  typeof value.error.message === "string";

/**
 * The answers, in request order, each checked. A node that refuses a whole batch with one error
 * (bare, or in a one-element array as geth does) is passed on: viem gives every call that error.
 */
export function checkedBatchAnswers(sent: readonly SentCall[], data: unknown): unknown {
  if (!Array.isArray(data)) {
    if (isRpcErrorObject(data) && (data as { id?: unknown }).id == null) return data;
    throw new MalformedBatchError(`one object instead of a list of ${sent.length} answers`);
  }
  if (sent.length > 1 && data.length === 1 && isRpcErrorObject(data[0])) {
    if ((data[0] as { id?: unknown }).id == null) return data;
  }
  const key = (id: unknown) => JSON.stringify(id ?? null);
  const byId = new Map<string, Record<string, unknown>>();
  const asked = new Map(sent.map((call) => [key(call.id), call]));
  for (const answer of data) {
    if (!isObject(answer)) throw new MalformedBatchError("an answer that is not an object");
    const id = key(answer.id);
    if (!asked.has(id))
      throw new MalformedBatchError(`an answer for id ${id}, which was not asked`);
    if (byId.has(id)) throw new MalformedBatchError(`two answers for id ${id}`);
    byId.set(id, answer);
  }
  if (byId.size !== sent.length) {
    const missing = sent.find((call) => !byId.has(key(call.id)));
    throw new MalformedBatchError(
      `${sent.length - byId.size} of ${sent.length} answers missing (id ${key(missing?.id)})`,
    );
  }
  // JSON-RPC lets a server answer a batch in any order, but every node this tool meets answers
  // in request order, and an answer list whose ids are rotated over the answers cannot be told
  // from one whose answers are rotated: out of order is refused (and retried) rather than guessed.
  const misplaced = sent.findIndex((call, i) => key(call.id) !== key(data[i].id));
  if (misplaced >= 0) {
    throw new MalformedBatchError(
      `answers out of order (id ${key((data[misplaced] as { id?: unknown }).id)} where id ` +
        `${key(sent[misplaced]!.id)} was asked)`,
    );
  }
  return sent.map((call) => {
    const answer = byId.get(key(call.id))!;
    refuseMalformedResult(call.method, answer);
    return answer;
  });
}

/** The answer to a single (unbatched) call: its id, and its result's shape. */
function checkedSingleAnswer(call: SentCall, data: unknown): unknown {
  if (!isObject(data)) throw new MalformedAnswerError(`answered ${call.method} with a non-object`);
  if (isRpcErrorObject(data) && data.id == null) return data;
  if (JSON.stringify(data.id ?? null) !== JSON.stringify(call.id ?? null))
    throw new MalformedBatchError(`an answer for another request than ${call.method}`);
  refuseMalformedResult(call.method, data);
  return data;
}

function refuseMalformedResult(method: string, answer: Record<string, unknown>): void {
  if ("error" in answer && answer.error !== undefined && answer.error !== null) {
    if (!isRpcErrorObject(answer))
      throw new MalformedAnswerError(`answered ${method} with an error that is not JSON-RPC`);
    return;
  }
  if (!("result" in answer))
    throw new MalformedAnswerError(`answered ${method} with neither a result nor an error`);
  const result = answer.result;
  if (QUANTITY_METHODS.has(method)) {
    if (typeof result !== "string" || !QUANTITY.test(result)) {
      throw new MalformedAnswerError(
        `answered ${method} with ${describe(result)}, not a hex quantity` +
          (method === "eth_chainId" ? " (a chain id must be a number)" : ""),
      );
    }
    if (method === "eth_chainId" && Number(BigInt(result)) > Number.MAX_SAFE_INTEGER) {
      throw new MalformedAnswerError(`answered eth_chainId with a chain id too large to be one`);
    }
  } else if (DATA_METHODS.has(method)) {
    if (typeof result !== "string" || !DATA.test(result)) {
      throw new MalformedAnswerError(`answered ${method} with ${describe(result)}, not hex data`);
    }
  } else if (method === "eth_accounts") {
    if (!Array.isArray(result) || result.some((a) => typeof a !== "string" || !ADDRESS.test(a))) {
      throw new MalformedAnswerError(
        Array.isArray(result)
          ? "answered eth_accounts with a list holding something other than addresses"
          : `answered eth_accounts with ${describe(result)}, not a list of addresses`,
      );
    }
  } else if (method === "eth_sign") {
    if (typeof result !== "string" || !SIGNATURE.test(result)) {
      throw new MalformedAnswerError(
        `answered eth_sign with ${describe(result)}, not a 65-byte signature`,
      );
    }
  }
}

/** What kind of value it is, never the value itself (it may be long, or anything). */
function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return value === "" ? "an empty string" : "a string";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
