/**
 * A loopback JSON-RPC proxy in front of an upstream node (anvil), scriptable per request: it
 * counts what it receives and can misbehave the ways real RPC providers do. Used by the RPC fault
 * tests and by the benchmark (to count HTTP requests and JSON-RPC calls), so it does no per-call
 * logging and streams upstream answers straight back unless it has to rewrite them.
 *
 *   const proxy = await startRpcProxy(chain.rpcUrl);             // forwards everything
 *   proxy.setMode({ kind: "rate-limit", first: 2 });             // 429 twice, then forward
 *   proxy.stats.httpRequests; proxy.stats.rpcCalls;              // live counters
 *   await proxy.stop();                                          // also ends hung requests
 */
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export type RpcProxyMode =
  /** Forward every request unchanged (the default). */
  | { kind: "forward" }
  /** Answer HTTP 429 to the first `first` requests received after this mode was set, then forward. */
  | {
      kind: "rate-limit";
      first: number;
      retryAfterSeconds?: number;
      /** Answer with a JSON-RPC error object (as Alchemy, Infura do) instead of plain text. */
      jsonRpcBody?: boolean;
    }
  /** Answer every request with a body that is not JSON (default `<html>bad gateway</html>`, 200). */
  | { kind: "non-json"; status?: number; body?: string }
  /** Never answer (the connection stays open until the client gives up or the proxy stops). */
  | { kind: "hang" }
  /** Forward, but make every eth_chainId answer say `chainId`. */
  | { kind: "chain-id"; chainId: number }
  /**
   * Forward, but break the first `times` batch answers (default: every one) that hold more than
   * one answer (or any, with `anySize`): repeat the last answer in place of the one before it
   * ("duplicate"), drop the last ("missing"), add one for an id never asked ("extra"), rotate the
   * answers' order keeping their ids ("rotate-order"), or rotate the ids over the answers
   * ("rotate-ids").
   */
  | {
      kind: "batch-fault";
      fault: BatchFault;
      times?: number;
      anySize?: boolean;
    }
  /** Forward, but replace the result of every call of `method` (first `times` only, if given). */
  | { kind: "result"; method: string; result: unknown; times?: number }
  /**
   * Forward every call as `rewrite` makes it (same id): a signer that signs with another key than
   * the one asked for, say. Answers come back unchanged.
   */
  | { kind: "rewrite-request"; rewrite: (call: RpcCall) => RpcCall }
  /**
   * Forward, but refuse (JSON-RPC error, as many providers do) every eth_getLogs over more than
   * `blocks` blocks; the other calls of the same batch are forwarded and answered as usual.
   */
  | { kind: "max-log-range"; blocks: number }
  /**
   * Forward, but refuse every eth_call whose data starts with `dataPrefix` (a deployless
   * contract's creation code, say) with a JSON-RPC error, as a node with a tight gas cap or no
   * deployless calls does; the other calls of the same batch are answered as usual.
   */
  | { kind: "refuse-eth-call"; dataPrefix: string; message: string }
  /**
   * Forward, but answer every eth_getLogs with `rewrite` of the real answer and its query: a
   * lying node's forged logs (another provider's, outside the range asked for) or logs with
   * fields that do not decode (see forgedStakedLog).
   */
  | { kind: "logs"; rewrite: (logs: unknown[], query: LogQuery) => unknown[] };

/** An eth_getLogs filter as the client sent it (hex block numbers). */
export interface LogQuery {
  address?: string;
  topics?: (string | null)[];
  fromBlock: string;
  toBlock: string;
}

export type BatchFault = "duplicate" | "missing" | "extra" | "rotate-order" | "rotate-ids";

export interface RpcProxyStats {
  /** HTTP requests received (any method, any body). */
  httpRequests: number;
  /** JSON-RPC calls received: a batch array counts each element. */
  rpcCalls: number;
  /** JSON-RPC calls by method name. */
  methods: Record<string, number>;
  /** Requests answered with HTTP 429 by the rate-limit mode. */
  rateLimited: number;
  /** Answers changed by the batch-fault and result modes, calls refused by refuse-eth-call. */
  tampered: number;
  /** eth_getLogs calls refused by the max-log-range mode. */
  logRangeRefusals: number;
}

export interface RpcProxy {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Live counters (mutated in place; read them after the run). */
  readonly stats: RpcProxyStats;
  setMode(mode: RpcProxyMode): void;
  resetStats(): void;
  /** Closes the server and every open connection, hung ones included. Idempotent. */
  stop(): Promise<void>;
}

export interface RpcCall {
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

export interface RpcProxyOptions {
  mode?: RpcProxyMode;
  /**
   * Called with the JSON-RPC calls of every HTTP request received (one element for a single
   * call, none for a body that is not JSON), before the request is answered. The benchmark uses
   * it to tell which requests belong to which check.
   */
  onRequest?: (calls: readonly RpcCall[]) => void;
}

export async function startRpcProxy(
  upstreamUrl: string,
  options: RpcProxyOptions = {},
): Promise<RpcProxy> {
  const upstream = new URL(upstreamUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  let mode: RpcProxyMode = options.mode ?? { kind: "forward" };
  let rateLimitLeft = mode.kind === "rate-limit" ? mode.first : 0;
  let tamperLeft = tamperBudget(mode);
  const stats: RpcProxyStats = {
    httpRequests: 0,
    rpcCalls: 0,
    methods: {},
    rateLimited: 0,
    tampered: 0,
    logRangeRefusals: 0,
  };
  const sockets = new Set<Socket>();
  const hung = new Set<ServerResponse>();

  const server = http.createServer((req, res) => {
    stats.httpRequests++;
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => handle(req, res, Buffer.concat(chunks)));
    req.on("error", () => res.destroy());
  });
  server.keepAliveTimeout = 5_000;
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  function count(body: Buffer): RpcCall[] {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString("utf8"));
    } catch {
      return [];
    }
    const calls = (Array.isArray(parsed) ? parsed : [parsed]).filter(
      (c): c is RpcCall => typeof c === "object" && c !== null,
    );
    stats.rpcCalls += calls.length;
    for (const call of calls) {
      const method = typeof call.method === "string" ? call.method : "?";
      stats.methods[method] = (stats.methods[method] ?? 0) + 1;
    }
    return calls;
  }

  function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const calls = count(body);
    options.onRequest?.(calls);
    const current = mode;
    switch (current.kind) {
      case "hang":
        hung.add(res);
        res.on("close", () => hung.delete(res));
        return;
      case "non-json": {
        const text = current.body ?? "<html>bad gateway</html>";
        res.writeHead(current.status ?? 200, {
          "content-type": "text/html",
          "content-length": Buffer.byteLength(text),
        });
        res.end(text);
        return;
      }
      case "rate-limit":
        if (rateLimitLeft > 0) {
          rateLimitLeft--;
          stats.rateLimited++;
          const text = current.jsonRpcBody
            ? JSON.stringify({
                jsonrpc: "2.0",
                id: null,
                error: { code: 429, message: "Too Many Requests" },
              })
            : "Too Many Requests";
          const headers: http.OutgoingHttpHeaders = {
            "content-type": current.jsonRpcBody ? "application/json" : "text/plain",
            "content-length": Buffer.byteLength(text),
          };
          if (current.retryAfterSeconds !== undefined)
            headers["retry-after"] = String(current.retryAfterSeconds);
          res.writeHead(429, headers);
          res.end(text);
          return;
        }
        forward(req, res, body, undefined);
        return;
      case "chain-id":
        forward(
          req,
          res,
          body,
          calls.some((c) => c.method === "eth_chainId")
            ? (answer) => rewriteChainId(answer, body, current.chainId)
            : undefined,
        );
        return;
      case "batch-fault": {
        const eligible = Array.isArray(parsedBody(body)) && (current.anySize || calls.length > 1);
        if (!eligible || tamperLeft <= 0) {
          forward(req, res, body, undefined);
          return;
        }
        tamperLeft--;
        stats.tampered++;
        forward(req, res, body, (answer) => breakBatch(answer, current.fault));
        return;
      }
      case "result": {
        if (tamperLeft <= 0 || !calls.some((c) => c.method === current.method)) {
          forward(req, res, body, undefined);
          return;
        }
        tamperLeft--;
        stats.tampered++;
        forward(req, res, body, (answer) =>
          rewriteResults(answer, body, current.method, current.result),
        );
        return;
      }
      case "max-log-range":
        limitLogRanges(req, res, body, current.blocks);
        return;
      case "refuse-eth-call": {
        const prefix = current.dataPrefix.toLowerCase();
        const matches = (call: RpcCall) => {
          const tx = Array.isArray(call.params)
            ? (call.params[0] as { data?: unknown })
            : undefined;
          return (
            call.method === "eth_call" &&
            typeof tx?.data === "string" &&
            tx.data.toLowerCase().startsWith(prefix)
          );
        };
        refuseSome(
          req,
          res,
          body,
          matches,
          { code: -32000, message: current.message },
          () => stats.tampered++,
        );
        return;
      }
      case "logs":
        forward(
          req,
          res,
          body,
          calls.some((c) => c.method === "eth_getLogs")
            ? (answer) => {
                stats.tampered++;
                return rewriteLogs(answer, body, current.rewrite);
              }
            : undefined,
        );
        return;
      case "rewrite-request": {
        const parsed = parsedBody(body);
        if (parsed === undefined) {
          forward(req, res, body, undefined);
          return;
        }
        const rewritten = Array.isArray(parsed)
          ? (parsed as RpcCall[]).map(current.rewrite)
          : current.rewrite(parsed as RpcCall);
        stats.tampered++;
        forward(req, res, Buffer.from(JSON.stringify(rewritten)), undefined);
        return;
      }
      case "forward":
        forward(req, res, body, undefined);
        return;
    }
  }

  /** Answers oversized eth_getLogs calls with an error, forwards the rest, and merges the answers. */
  function limitLogRanges(
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    maxBlocks: number,
  ): void {
    const tooWide = (call: RpcCall) => {
      if (call.method !== "eth_getLogs" || !Array.isArray(call.params)) return false;
      const filter = call.params[0] as { fromBlock?: string; toBlock?: string } | undefined;
      if (!filter?.fromBlock || !filter.toBlock || !filter.toBlock.startsWith("0x")) return false;
      return Number(BigInt(filter.toBlock) - BigInt(filter.fromBlock)) + 1 > maxBlocks;
    };
    refuseSome(
      req,
      res,
      body,
      tooWide,
      { code: -32602, message: `query exceeds max block range ${maxBlocks}` },
      () => stats.logRangeRefusals++,
    );
  }

  /** Answers the calls `refused` picks with `error`, forwards the rest, and merges the answers. */
  function refuseSome(
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    refused: (call: RpcCall) => boolean,
    error: { code: number; message: string },
    onRefusal: () => void = () => undefined,
  ): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString("utf8"));
    } catch {
      forward(req, res, body, undefined);
      return;
    }
    const batch = Array.isArray(parsed);
    const calls = (batch ? parsed : [parsed]) as RpcCall[];
    if (!calls.some(refused)) {
      forward(req, res, body, undefined);
      return;
    }
    for (const call of calls) if (refused(call)) onRefusal();
    const refusal = (call: RpcCall) => ({ jsonrpc: "2.0", id: call.id, error });
    const rest = calls.filter((c) => !refused(c));
    const send = (answers: unknown[]) => {
      const byId = new Map(answers.map((a) => [(a as { id: unknown }).id, a]));
      const merged = calls.map((c) => (refused(c) ? refusal(c) : byId.get(c.id)));
      const text = JSON.stringify(batch ? merged : merged[0]);
      res.writeHead(200, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(text),
      });
      res.end(text);
    };
    if (rest.length === 0) {
      send([]);
      return;
    }
    const restBody = Buffer.from(JSON.stringify(rest));
    const upstreamReq = http.request(
      {
        agent,
        hostname: upstream.hostname,
        port: upstream.port,
        path: upstream.pathname + upstream.search,
        method: "POST",
        headers: { "content-type": "application/json", "content-length": restBody.length },
      },
      (upstreamRes) => {
        const parts: Buffer[] = [];
        upstreamRes.on("data", (chunk: Buffer) => parts.push(chunk));
        upstreamRes.on("end", () => {
          const answer = JSON.parse(Buffer.concat(parts).toString("utf8")) as unknown;
          send(Array.isArray(answer) ? answer : [answer]);
        });
      },
    );
    upstreamReq.on("error", () => res.destroy());
    upstreamReq.end(restBody);
  }

  function forward(
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    rewrite: ((answer: string) => string) | undefined,
  ): void {
    const upstreamReq = http.request(
      {
        agent,
        hostname: upstream.hostname,
        port: upstream.port,
        path: upstream.pathname + upstream.search,
        method: req.method,
        headers: {
          "content-type": req.headers["content-type"] ?? "application/json",
          "content-length": body.length,
        },
      },
      (upstreamRes) => {
        if (rewrite === undefined) {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
          return;
        }
        const parts: Buffer[] = [];
        upstreamRes.on("data", (chunk: Buffer) => parts.push(chunk));
        upstreamRes.on("end", () => {
          const text = rewrite(Buffer.concat(parts).toString("utf8"));
          const headers = {
            ...upstreamRes.headers,
            "content-length": String(Buffer.byteLength(text)),
          };
          delete headers["transfer-encoding"];
          res.writeHead(upstreamRes.statusCode ?? 502, headers);
          res.end(text);
        });
      },
    );
    upstreamReq.on("error", () => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.writeHead(502, { "content-type": "text/plain" });
      res.end("upstream unavailable");
    });
    upstreamReq.end(body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  let stopped: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    setMode(next) {
      mode = next;
      rateLimitLeft = next.kind === "rate-limit" ? next.first : 0;
      tamperLeft = tamperBudget(next);
    },
    resetStats() {
      stats.httpRequests = 0;
      stats.rpcCalls = 0;
      stats.methods = {};
      stats.rateLimited = 0;
      stats.tampered = 0;
      stats.logRangeRefusals = 0;
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const res of hung) res.destroy();
        hung.clear();
        for (const socket of sockets) socket.destroy();
        agent.destroy();
      });
      return stopped;
    },
  };
}

function tamperBudget(mode: RpcProxyMode): number {
  if (mode.kind !== "batch-fault" && mode.kind !== "result") return 0;
  return mode.times ?? Number.POSITIVE_INFINITY;
}

function parsedBody(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
}

/** A batch answer broken the way `fault` says (see the batch-fault mode). */
export function breakBatch(answer: string, fault: BatchFault): string {
  let items: { id?: unknown }[];
  try {
    items = JSON.parse(answer) as { id?: unknown }[];
  } catch {
    return answer;
  }
  if (!Array.isArray(items) || items.length === 0) return answer;
  const n = items.length;
  switch (fault) {
    case "duplicate":
      // The last answer's copy (same id) where the one before it was, as the proxy did.
      items =
        n === 1
          ? [items[0]!, { ...items[0]! }]
          : [...items.slice(0, n - 2), items[n - 1]!, { ...items[n - 1]! }];
      break;
    case "missing":
      items = items.slice(0, n - 1);
      break;
    case "extra":
      items = [...items, { jsonrpc: "2.0", id: 987654321, result: "0x1" } as { id?: unknown }];
      break;
    case "rotate-order":
      items = [...items.slice(1), items[0]!];
      break;
    case "rotate-ids": {
      const ids = items.map((item) => item.id);
      items = items.map((item, i) => ({ ...item, id: ids[(i + 1) % n] }));
      break;
    }
  }
  return JSON.stringify(items);
}

/** Replaces the result of every call of `method` (matched by id) in a JSON-RPC answer. */
function rewriteResults(answer: string, request: Buffer, method: string, result: unknown): string {
  let requests: unknown;
  let parsed: unknown;
  try {
    requests = JSON.parse(request.toString("utf8"));
    parsed = JSON.parse(answer);
  } catch {
    return answer;
  }
  const ids = new Set(
    (Array.isArray(requests) ? requests : [requests])
      .filter(
        (c): c is RpcCall =>
          typeof c === "object" && c !== null && (c as RpcCall).method === method,
      )
      .map((c) => JSON.stringify(c.id)),
  );
  const fix = (item: unknown) => {
    if (
      typeof item === "object" &&
      item !== null &&
      ids.has(JSON.stringify((item as RpcCall).id)) &&
      "result" in item
    )
      (item as { result: unknown }).result = result;
    return item;
  };
  return JSON.stringify(Array.isArray(parsed) ? parsed.map(fix) : fix(parsed));
}

/** Each eth_getLogs result (matched by id) replaced by `rewrite` of it and its query. */
function rewriteLogs(
  answer: string,
  request: Buffer,
  rewrite: (logs: unknown[], query: LogQuery) => unknown[],
): string {
  let requests: unknown;
  let parsed: unknown;
  try {
    requests = JSON.parse(request.toString("utf8"));
    parsed = JSON.parse(answer);
  } catch {
    return answer;
  }
  const queries = new Map<string, LogQuery>();
  for (const call of (Array.isArray(requests) ? requests : [requests]) as RpcCall[]) {
    if (call?.method === "eth_getLogs" && Array.isArray(call.params))
      queries.set(JSON.stringify(call.id), call.params[0] as LogQuery);
  }
  const fix = (item: unknown) => {
    const query = queries.get(JSON.stringify((item as RpcCall | null)?.id));
    if (query && Array.isArray((item as { result?: unknown }).result))
      (item as { result: unknown[] }).result = rewrite(
        (item as { result: unknown[] }).result,
        query,
      );
    return item;
  };
  return JSON.stringify(Array.isArray(parsed) ? parsed.map(fix) : fix(parsed));
}

/**
 * A StakedWithProvider log as a node would answer it, for `query`'s registry and provider (its
 * topics 0 and 1), in its first block: `attester`'s split is `coinbase`. Fields may be overridden
 * to forge or break it.
 */
export function forgedStakedLog(
  query: LogQuery,
  fields: { attester: string; coinbase: string; rollup?: string },
  override: Record<string, unknown> = {},
): Record<string, unknown> {
  const word = (address: string) => `0x${address.slice(2).toLowerCase().padStart(64, "0")}`;
  return {
    address: query.address,
    topics: [
      query.topics?.[0],
      query.topics?.[1],
      word(fields.rollup ?? "0x00000000000000000000000000000000000000aa"),
      word(fields.attester),
    ],
    data: `${word(fields.coinbase)}${word("0x00000000000000000000000000000000000000bb").slice(2)}`,
    blockNumber: query.fromBlock,
    blockHash: `0x${"11".repeat(32)}`,
    transactionHash: `0x${"22".repeat(32)}`,
    transactionIndex: "0x0",
    logIndex: "0x0",
    removed: false,
    ...override,
  };
}

/** Replaces the result of every eth_chainId call (matched by id) in a JSON-RPC answer. */
function rewriteChainId(answer: string, request: Buffer, chainId: number): string {
  return rewriteResults(answer, request, "eth_chainId", `0x${chainId.toString(16)}`);
}
