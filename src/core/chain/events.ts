/**
 * The staking registry's StakedWithProvider events for one provider: which split contract became
 * each attester's coinbase. Logs are read in block ranges that adapt to the node's limits, from a
 * start block the operator may set (else the registry's deployment block), and cached in the data
 * dir with the last block read so the next run reads only new blocks (and the last
 * REORG_DEPTH_BLOCKS again, in case they were reorganised).
 */
import { lstat } from "node:fs/promises";
import { join } from "node:path";
import {
  BaseError,
  BlockNotFoundError,
  RpcRequestError,
  numberToHex,
  padHex,
  type Address,
  type Hex,
} from "viem";
import { z } from "zod";
import { butlerPaths } from "../config.js";
import { ButlerError, ConfigError, RpcUnavailableError, UsageError } from "../errors.js";
import { readJsonFile } from "../files/json-file.js";
import { toJsonText, writeFileAtomically } from "../files/safe-write.js";
import { blockTag, isTransportFailure, onChain, toChainError, type ChainClient } from "./client.js";

/** keccak256("StakedWithProvider(uint256,address,address,address,address)") */
export const STAKED_WITH_PROVIDER_TOPIC =
  "0xc91c8b4e934fb8f46c6d08a34d60ceb8dbe4ab6844a7040ca4c580e5a837d5c7" as Hex;

/** Blocks re-read on every run: a reorg deeper than this (about 13 minutes on Ethereum) is not handled. */
export const REORG_DEPTH_BLOCKS = 64n;
/** The first range tried; a node that refuses it gets half, one that answers gets double next. */
export const INITIAL_LOG_RANGE = 10_000n;
export const MAX_LOG_RANGE = 1_000_000n;

export interface StakedWithProviderEvent {
  /** Lowercase. */
  attester: Address;
  /** The split contract created for it (lowercase): its coinbase. */
  coinbase: Address;
  /** The rollup it was deposited into (lowercase). */
  rollup: Address;
  blockNumber: bigint;
  logIndex: number;
}

export interface LogReadStats {
  /** eth_getLogs calls made, refused ones included. */
  requests: number;
  /** Ranges the node refused (each then halved). */
  refusals: number;
  fromBlock: bigint;
  toBlock: bigint;
}

/**
 * A node's refusal of a log query that a smaller range would pass: "query returned more than
 * 10000 results", "block range too large", "exceed maximum block range: 1000", "Log response size
 * exceeded" (the wordings of geth, Erigon, Alchemy, Infura, QuickNode and others).
 */
export function isLogRangeRefusal(error: unknown): boolean {
  if (!(error instanceof BaseError) || isTransportFailure(error)) return false;
  const rpc = error.walk((e) => e instanceof RpcRequestError) as RpcRequestError | null;
  const text = `${rpc?.details ?? ""} ${error.details ?? ""} ${error.shortMessage}`;
  return /too many|more than \d+ results|range|too large|response size|exceed|limit/i.test(text);
}

/** What one eth_getLogs call asked for: every log of its answer must match it. */
export interface LogQuery {
  address: Address;
  /** topic 0 (the event) and topic 1 (the provider id, indexed). */
  topics: readonly [Hex, Hex];
  fromBlock: bigint;
  toBlock: bigint;
}

/** A log that does not match its query or does not decode: the node's answer is not believed. */
export class UntrustedLogError extends Error {
  constructor(readonly problem: string) {
    super(problem);
    this.name = "UntrustedLogError";
  }
}

const WORD = /^0x[0-9a-fA-F]{64}$/;
const WORD_ADDRESS = /^0x0{24}([0-9a-fA-F]{40})$/;
const QUANTITY = /^0x(0|[1-9a-fA-F][0-9a-fA-F]{0,63})$/;
const HASH = /^0x[0-9a-fA-F]{64}$/;

/**
 * One StakedWithProvider log of an eth_getLogs answer, checked against the query that asked for
 * it before it is believed (a forged or misrouted log would become a coinbase in a key file): the
 * registry's address, topic 0, the provider id topic, a block number inside the requested range,
 * and every field decodable (attester, rollup, split and staker as addresses, block number and
 * log index as quantities). Any failure is an UntrustedLogError saying what is wrong.
 */
export function checkedStakedLog(log: unknown, query: LogQuery): StakedWithProviderEvent {
  const bad = (why: string) => new UntrustedLogError(why);
  if (typeof log !== "object" || log === null || Array.isArray(log)) throw bad("not an object");
  const entry = log as Record<string, unknown>;
  if (
    typeof entry.address !== "string" ||
    entry.address.toLowerCase() !== query.address.toLowerCase()
  )
    throw bad(`another contract's (${String(entry.address)}), not the registry ${query.address}'s`);
  const topics = entry.topics;
  if (
    !Array.isArray(topics) ||
    topics.length !== 4 ||
    !topics.every((t) => typeof t === "string" && WORD.test(t))
  )
    throw bad("its topics are not the event's four 32-byte words");
  if (topics[0].toLowerCase() !== query.topics[0].toLowerCase())
    throw bad(`another event (topic 0 ${topics[0]})`);
  if (topics[1].toLowerCase() !== query.topics[1].toLowerCase())
    throw bad(`another provider's (topic 1 ${topics[1]}, asked for ${query.topics[1]})`);
  const rollup = WORD_ADDRESS.exec(topics[2]);
  const attester = WORD_ADDRESS.exec(topics[3]);
  if (!rollup || !attester) throw bad("its rollup or attester topic is not an address");
  const data = typeof entry.data === "string" ? entry.data : "";
  const fields = /^0x0{24}([0-9a-fA-F]{40})0{24}[0-9a-fA-F]{40}$/.exec(data);
  if (!fields) throw bad("its data is not the split and staker addresses");
  const blockNumber = quantity(entry.blockNumber, "blockNumber");
  if (blockNumber < query.fromBlock || blockNumber > query.toBlock) {
    throw bad(
      `block ${blockNumber}, outside the blocks ${query.fromBlock}..${query.toBlock} asked for`,
    );
  }
  const logIndex = quantity(entry.logIndex, "logIndex");
  if (logIndex > BigInt(Number.MAX_SAFE_INTEGER))
    throw bad(`logIndex ${logIndex} is not plausible`);
  for (const field of ["blockHash", "transactionHash"] as const) {
    const value = entry[field];
    if (value !== undefined && value !== null && !(typeof value === "string" && HASH.test(value)))
      throw bad(`its ${field} is not a 32-byte hash`);
  }
  if (entry.removed !== undefined && typeof entry.removed !== "boolean")
    throw bad("its removed flag is not a boolean");
  return {
    attester: `0x${attester[1]!.toLowerCase()}`,
    rollup: `0x${rollup[1]!.toLowerCase()}`,
    coinbase: `0x${fields[1]!.toLowerCase()}`,
    blockNumber,
    logIndex: Number(logIndex),
  };
}

function quantity(value: unknown, field: string): bigint {
  if (typeof value !== "string" || !QUANTITY.test(value)) {
    throw new UntrustedLogError(
      `its ${field} ${value === undefined ? "is missing" : `${JSON.stringify(value)} is not a hex quantity`}`,
    );
  }
  return BigInt(value);
}

/**
 * Every log matching `filter` in [fromBlock, toBlock], in block ranges that adapt to the node:
 * a refused range (see isLogRangeRefusal) is halved and tried again, a successful one doubles
 * the next (up to MAX_LOG_RANGE). A refusal of a single block is a real failure. Each answer's
 * logs are checked against the query of their range (checkedStakedLog) as they arrive: one that
 * fails, or the same log twice, is an RpcUnavailableError naming eth_getLogs (exit 69).
 */
export async function readLogsInAdaptiveRanges(
  chain: ChainClient,
  parameters: {
    address: Address;
    topics: readonly [Hex, Hex];
    fromBlock: bigint;
    toBlock: bigint;
    onProgress?: (done: bigint, total: bigint) => void;
  },
): Promise<{ events: StakedWithProviderEvent[]; stats: LogReadStats }> {
  const { fromBlock, toBlock, onProgress } = parameters;
  const filter = { address: parameters.address, topics: parameters.topics };
  const what = "reading StakedWithProvider events";
  const stats: LogReadStats = { requests: 0, refusals: 0, fromBlock, toBlock };
  const events: StakedWithProviderEvent[] = [];
  const seen = new Set<string>();
  const untrusted = (problem: string, cause?: unknown) =>
    new RpcUnavailableError(
      "UNTRUSTED_LOG",
      `${what}: Ethereum node ${chain.shownUrl} answered eth_getLogs with a log that does not ` +
        `match the query (${problem}); is it a real node?`,
      {},
      { cause },
    );
  let range = INITIAL_LOG_RANGE;
  for (let from = fromBlock; from <= toBlock;) {
    const to = from + range - 1n < toBlock ? from + range - 1n : toBlock;
    stats.requests++;
    let answer: unknown;
    try {
      answer = await chain.client.request({
        method: "eth_getLogs",
        params: [
          {
            address: filter.address,
            topics: [...filter.topics],
            fromBlock: blockTag(from),
            toBlock: blockTag(to),
          },
        ],
      });
    } catch (error) {
      if (isLogRangeRefusal(error) && to > from) {
        stats.refusals++;
        range = (to - from + 1n) / 2n;
        continue;
      }
      throw toChainError(chain, what, error);
    }
    if (!Array.isArray(answer)) {
      throw new RpcUnavailableError(
        "MALFORMED_ANSWER",
        `${what}: Ethereum node ${chain.shownUrl} answered eth_getLogs with something that is not a list`,
      );
    }
    const query: LogQuery = { ...filter, fromBlock: from, toBlock: to };
    for (const log of answer) {
      let event: StakedWithProviderEvent;
      try {
        event = checkedStakedLog(log, query);
      } catch (error) {
        if (error instanceof UntrustedLogError) throw untrusted(error.problem, error);
        throw error;
      }
      // A log the node says was reorganised away is not a fact.
      if ((log as { removed?: boolean }).removed === true) continue;
      const id = `${event.blockNumber}:${event.logIndex}`;
      if (seen.has(id))
        throw untrusted(`log ${event.logIndex} of block ${event.blockNumber} twice`);
      seen.add(id);
      events.push(event);
    }
    onProgress?.(to - fromBlock + 1n, toBlock - fromBlock + 1n);
    from = to + 1n;
    range = range * 2n < MAX_LOG_RANGE ? range * 2n : MAX_LOG_RANGE;
  }
  return { events, stats };
}

/**
 * The first block at which `address` has code (its deployment block), by binary search on
 * eth_getCode between 0 and `atBlock` (about log2(atBlock) sequential calls; cached by the caller).
 * A node without the history to answer is a ConfigError that points at --from-block.
 */
export async function findDeploymentBlock(
  chain: ChainClient,
  { address, toBlock: atBlock }: { address: Address; toBlock: bigint },
): Promise<bigint> {
  const hasCode = async (blockNumber: bigint) => {
    try {
      const code = await chain.client.getCode({ address, blockNumber });
      return code !== undefined && code !== "0x";
    } catch (error) {
      if (isTransportFailure(error))
        throw toChainError(chain, "finding the registry's deployment block", error);
      throw new ConfigError(
        "NO_HISTORY",
        `the node cannot say whether registry ${address} had code at block ${blockNumber} (${
          error instanceof BaseError ? error.shortMessage : String(error)
        }); it may keep no history: pass --from-block <n>, the registry's deployment block or earlier`,
        {},
        { cause: error },
      );
    }
  };
  if (!(await hasCode(atBlock))) {
    throw new ConfigError(
      "NO_CONTRACT_CODE",
      `registry ${address} has no code at block ${atBlock}`,
    );
  }
  let low = 0n; // invariant: no code below `low`... searched: code at `high`
  let high = atBlock;
  while (low < high) {
    const mid = (low + high) / 2n;
    if (await hasCode(mid)) high = mid;
    else low = mid + 1n;
  }
  return high;
}

const decimal = z.string().regex(/^(0|[1-9][0-9]*)$/);
const lowercaseAddress = z.string().regex(/^0x[0-9a-f]{40}$/);

/**
 * The event cache: data from a file anyone with the operator's rights could have changed, so it is
 * checked on every read. It holds the events of [fromBlock, lastBlock] and is bound to the chain,
 * registry and provider it was read for, and to the hash of its last block: a cache whose last
 * block is no longer canonical (a reorg deeper than REORG_DEPTH_BLOCKS, a cache made on a fork) is
 * rebuilt. lastBlock is REORG_DEPTH_BLOCKS below the block the run read up to (those later blocks
 * are read again by every run); null while the read range is shorter than that.
 */
const cacheSchema = z
  .object({
    version: z.literal(2),
    chainId: z.number().int().positive(),
    registry: lowercaseAddress,
    providerId: decimal,
    fromBlock: decimal,
    lastBlock: decimal.nullable(),
    lastBlockHash: z
      .string()
      .regex(/^0x[0-9a-f]{64}$/)
      .nullable(),
    events: z.array(
      z.strictObject({
        attester: lowercaseAddress,
        coinbase: lowercaseAddress,
        rollup: lowercaseAddress,
        blockNumber: decimal,
        logIndex: z.number().int().nonnegative(),
      }),
    ),
  })
  .refine((c) => (c.lastBlock === null) === (c.lastBlockHash === null), {
    error: "lastBlock and lastBlockHash go together",
  })
  .refine(
    (c) =>
      c.events.every((e, i) => {
        const block = BigInt(e.blockNumber);
        const previous = c.events[i - 1];
        const ordered =
          previous === undefined ||
          BigInt(previous.blockNumber) < block ||
          (BigInt(previous.blockNumber) === block && previous.logIndex < e.logIndex);
        return (
          ordered &&
          block >= BigInt(c.fromBlock) &&
          c.lastBlock !== null &&
          block <= BigInt(c.lastBlock)
        );
      }),
    { error: "an event outside [fromBlock, lastBlock] or out of order" },
  );
type EventCache = z.infer<typeof cacheSchema>;

/** `<data dir>/<network>-staked-events-<registry>-<provider>.json`. */
export function eventCachePath(network: string, registry: Address, providerId: bigint): string {
  return join(
    butlerPaths().data,
    `${network}-staked-events-${registry.toLowerCase()}-${providerId}.json`,
  );
}

/** What a cache was read for: enough to know where to start again when its events are unusable. */
const cacheBindingSchema = z.object({
  chainId: z.number().int().positive(),
  registry: z.string(),
  providerId: z.string(),
  fromBlock: decimal,
});
type CacheBinding = z.infer<typeof cacheBindingSchema>;

/**
 * The cache, or why it cannot be used (no `reason`: there is none) and, if it still says so, what
 * it was read for.
 */
async function readCache(
  path: string,
): Promise<{ cache: EventCache } | { cache?: undefined; reason?: string; binding?: CacheBinding }> {
  const exists = await lstat(path).then(
    () => true,
    () => false,
  );
  if (!exists) return {};
  let json: unknown;
  try {
    json = await readJsonFile(path);
  } catch (error) {
    return { reason: error instanceof ButlerError ? error.shortMessage : "cannot be read" };
  }
  const parsed = cacheSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const at = issue.path.length > 0 ? ` at ${issue.path.join(".")}` : "";
    const binding = cacheBindingSchema.safeParse(json);
    return {
      reason: `does not hold what it should (${issue.message}${at})`,
      binding: binding.success ? binding.data : undefined,
    };
  }
  return { cache: parsed.data };
}

export interface StakedEventsResult {
  /** The latest event of each attester (lowercase address → event). */
  byAttester: Map<string, StakedWithProviderEvent>;
  events: StakedWithProviderEvent[];
  stats: LogReadStats;
  /** Where the read started, and why. */
  startedFrom: "cache" | "from-block" | "deployment-block";
  /** Warnings: a cache rebuilt (and why), or one that could not be written. */
  warnings: string[];
}

/**
 * The hash of block `blockNumber` on the node's canonical chain (undefined: the node has no such
 * block), checked to be a 32-byte hash.
 */
async function canonicalBlockHash(
  chain: ChainClient,
  blockNumber: bigint,
): Promise<Hex | undefined> {
  const block = await onChain(chain, "reading a block's hash", () =>
    chain.client.getBlock({ blockNumber }).catch((error: unknown) => {
      if (error instanceof BlockNotFoundError) return undefined;
      throw error;
    }),
  );
  if (block === undefined) return undefined;
  if (typeof block.hash !== "string" || !HASH.test(block.hash)) {
    throw new RpcUnavailableError(
      "MALFORMED_ANSWER",
      `reading a block's hash: Ethereum node ${chain.shownUrl} answered eth_getBlockByNumber ` +
        `${blockNumber} without a 32-byte hash`,
    );
  }
  return block.hash.toLowerCase() as Hex;
}

/**
 * Why a cache read for other parameters cannot be used (undefined: it can, if its last block is
 * still canonical); `warn: false` when the operator asked for it (an earlier --from-block).
 */
function cacheBindingMismatch(
  cache: EventCache,
  context: { chainId: number; registry: Address; providerId: bigint },
  options: { toBlock: bigint; fromBlock?: bigint },
): { reason: string; warn: boolean } | undefined {
  if (cache.chainId !== context.chainId)
    return { reason: `is for chain ${cache.chainId}`, warn: true };
  if (cache.registry !== context.registry.toLowerCase())
    return { reason: `is for registry ${cache.registry}`, warn: true };
  if (cache.providerId !== context.providerId.toString())
    return { reason: `is for provider ${cache.providerId}`, warn: true };
  // An earlier --from-block than the cache covers: read from there (no warning, it was asked).
  if (options.fromBlock !== undefined && options.fromBlock < BigInt(cache.fromBlock))
    return { reason: "starts at a later block", warn: false };
  if (BigInt(cache.fromBlock) > options.toBlock)
    return {
      reason: `starts at block ${cache.fromBlock}, after the node's latest block`,
      warn: true,
    };
  return undefined;
}

/** Why the cache's last block is not the node's (undefined: it is, or it has none). */
async function lastBlockMismatch(
  chain: ChainClient,
  cache: EventCache,
  toBlock: bigint,
): Promise<string | undefined> {
  if (cache.lastBlock === null) return undefined;
  const lastBlock = BigInt(cache.lastBlock);
  const hash = lastBlock <= toBlock ? await canonicalBlockHash(chain, lastBlock) : undefined;
  if (hash === cache.lastBlockHash) return undefined;
  return (
    `ends at block ${lastBlock} (${cache.lastBlockHash}), which is not on the node's chain ` +
    "(a reorg deeper than the blocks read again, or a cache from another fork)"
  );
}

/**
 * The provider's StakedWithProvider events up to `toBlock` (pinned by the caller): those of a
 * usable cache (checked: schema, chain, registry, provider, its last block still canonical) plus
 * what the node answers since, then the cache rewritten. A cache that cannot be used is rebuilt
 * from its start block (or --from-block, or the deployment block), with a warning that says why.
 * A --from-block past `toBlock` is refused (exit 64) before anything is read or written.
 */
export async function readStakedWithProviderEvents(
  chain: ChainClient,
  options: {
    chainId: number;
    registry: Address;
    providerId: bigint;
    toBlock: bigint;
    fromBlock?: bigint;
    cachePath: string;
    onProgress?: (done: bigint, total: bigint) => void;
  },
): Promise<StakedEventsResult> {
  const { registry, providerId, chainId } = options;
  const context = { registry, providerId, chainId };
  const { toBlock } = options;
  if (options.fromBlock !== undefined && options.fromBlock > toBlock) {
    throw new UsageError(
      "FROM_BLOCK_PAST_LATEST",
      `${options.fromBlock} is past the node's latest block ${toBlock}; give a block at or ` +
        "before the registry's first StakedWithProvider event (its deployment block)",
      { field: "--from-block" },
    );
  }
  const topics = [
    STAKED_WITH_PROVIDER_TOPIC,
    padHex(numberToHex(providerId), { size: 32 }),
  ] as const;
  const readFrom = (from: bigint) =>
    readLogsInAdaptiveRanges(chain, {
      address: registry,
      topics,
      fromBlock: from,
      toBlock,
      onProgress: options.onProgress,
    });

  const read = await readCache(options.cachePath);
  const bindingProblem = read.cache && cacheBindingMismatch(read.cache, context, options);
  // Why a cache that is there is not used, when the operator did not ask for it.
  let unusable =
    read.cache === undefined
      ? read.reason
      : bindingProblem?.warn
        ? bindingProblem.reason
        : undefined;

  let startBlock: bigint;
  let kept: StakedWithProviderEvent[] = [];
  let startedFrom: StakedEventsResult["startedFrom"] = "cache";
  let fresh: Awaited<ReturnType<typeof readFrom>> | undefined;
  let cacheLast: Awaited<ReturnType<typeof cacheAnchor>>;
  if (read.cache && bindingProblem === undefined) {
    // The cache's last block is checked while the blocks after it are read: one round.
    const cache = read.cache;
    startBlock = BigInt(cache.fromBlock);
    const resumeAt = cache.lastBlock === null ? startBlock : BigInt(cache.lastBlock) + 1n;
    const [forked, logs, anchor] = await Promise.all([
      lastBlockMismatch(chain, cache, toBlock),
      readFrom(resumeAt),
      cacheAnchor(chain, startBlock, toBlock),
    ]);
    if (forked === undefined) {
      fresh = logs;
      cacheLast = anchor;
      kept = cache.events.map((e) => ({
        attester: e.attester as Address,
        coinbase: e.coinbase as Address,
        rollup: e.rollup as Address,
        blockNumber: BigInt(e.blockNumber),
        logIndex: e.logIndex,
      }));
    } else unusable = forked;
  }
  if (fresh === undefined) {
    const binding = read.cache ?? ("binding" in read ? read.binding : undefined);
    if (options.fromBlock !== undefined) {
      startBlock = options.fromBlock;
      startedFrom = "from-block";
    } else if (
      binding !== undefined &&
      binding.chainId === chainId &&
      binding.registry.toLowerCase() === registry.toLowerCase() &&
      binding.providerId === providerId.toString() &&
      BigInt(binding.fromBlock) <= toBlock
    ) {
      // Read for this chain, registry and provider, but its events are unusable (another fork, an
      // older format, a damaged file): its start block is still where they begin.
      startBlock = BigInt(binding.fromBlock);
      startedFrom = "from-block";
    } else {
      startBlock = await findDeploymentBlock(chain, { address: registry, toBlock });
      startedFrom = "deployment-block";
    }
    [fresh, cacheLast] = await Promise.all([
      readFrom(startBlock),
      cacheAnchor(chain, startBlock, toBlock),
    ]);
  }
  const warnings: string[] = [];
  if (unusable !== undefined) {
    warnings.push(
      `the event cache ${options.cachePath} ${unusable}; rebuilt from block ${startBlock!}`,
    );
  }
  const events = [...kept, ...fresh.events].sort((a, b) =>
    a.blockNumber === b.blockNumber
      ? a.logIndex - b.logIndex
      : a.blockNumber < b.blockNumber
        ? -1
        : 1,
  );
  const byAttester = new Map<string, StakedWithProviderEvent>();
  for (const event of events) byAttester.set(event.attester, event);

  const cache: EventCache = {
    version: 2,
    chainId,
    registry: registry.toLowerCase(),
    providerId: providerId.toString(),
    fromBlock: startBlock!.toString(),
    lastBlock: cacheLast?.block.toString() ?? null,
    lastBlockHash: cacheLast?.hash ?? null,
    events: events
      .filter((e) => cacheLast !== undefined && e.blockNumber <= cacheLast.block)
      .map((e) => ({ ...e, blockNumber: e.blockNumber.toString() })),
  };
  try {
    await writeFileAtomically({
      path: options.cachePath,
      content: toJsonText(cache),
      overwrite: true,
      createParent: true,
      updatesItself: true,
    });
  } catch (error) {
    if (error instanceof UsageError) throw error;
    warnings.push(
      `the event cache ${options.cachePath} was not written (${
        error instanceof Error ? error.message : String(error)
      }); the next run reads every event again`,
    );
  }
  return {
    byAttester,
    events,
    stats: { ...fresh.stats, fromBlock: startBlock! },
    startedFrom,
    warnings,
  };
}

/**
 * The last block the cache keeps events of: REORG_DEPTH_BLOCKS below `toBlock` (the later ones are
 * read again by every run), with its hash; undefined while that is before `startBlock`.
 */
async function cacheAnchor(
  chain: ChainClient,
  startBlock: bigint,
  toBlock: bigint,
): Promise<{ block: bigint; hash: Hex } | undefined> {
  const block = toBlock - REORG_DEPTH_BLOCKS;
  if (block < startBlock) return undefined;
  const hash = await canonicalBlockHash(chain, block);
  return hash === undefined ? undefined : { block, hash };
}
