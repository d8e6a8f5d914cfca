/**
 * The staking registry's StakedWithProvider events for one provider: which split contract became
 * each attester's coinbase. Logs are read in block ranges that adapt to the node's limits, from a
 * start block the operator may set (else the registry's deployment block), and cached in the data
 * dir with the last block read so the next run reads only new blocks (and the last
 * REORG_DEPTH_BLOCKS again, in case they were reorganised).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { BaseError, RpcRequestError, numberToHex, padHex, type Address, type Hex } from "viem";
import { z } from "zod";
import { butlerPaths } from "../config.js";
import { ConfigError, RpcUnavailableError } from "../errors.js";
import { toJsonText, writeFileAtomically } from "../files/safe-write.js";
import { isTransportFailure, toChainError, type ChainClient } from "./client.js";

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

interface RawLog {
  address: Hex;
  topics: Hex[];
  data: Hex;
  blockNumber: Hex;
  logIndex: Hex;
  removed?: boolean;
}

const WORD_ADDRESS = /^0x0{24}([0-9a-fA-F]{40})$/;

/** One StakedWithProvider log, checked for shape (a node's answer is not trusted unchecked). */
function parseStakedLog(log: RawLog, registry: Address): StakedWithProviderEvent {
  const bad = (why: string) =>
    new RpcUnavailableError(
      `reading StakedWithProvider events: the node answered a log that is not one (${why}); is it a real node?`,
    );
  if (typeof log !== "object" || log === null) throw bad("not an object");
  if (log.address?.toLowerCase() !== registry.toLowerCase()) throw bad("another contract's");
  if (!Array.isArray(log.topics) || log.topics.length !== 4) throw bad("wrong topics");
  if (log.topics[0]?.toLowerCase() !== STAKED_WITH_PROVIDER_TOPIC) throw bad("another event");
  const rollup = WORD_ADDRESS.exec(log.topics[2] ?? "");
  const attester = WORD_ADDRESS.exec(log.topics[3] ?? "");
  const data = typeof log.data === "string" ? log.data : "";
  const coinbase = /^0x0{24}([0-9a-fA-F]{40})[0-9a-fA-F]{64}$/.exec(data);
  if (!rollup || !attester || !coinbase) throw bad("malformed fields");
  return {
    attester: `0x${attester[1]!.toLowerCase()}`,
    rollup: `0x${rollup[1]!.toLowerCase()}`,
    coinbase: `0x${coinbase[1]!.toLowerCase()}`,
    blockNumber: BigInt(log.blockNumber),
    logIndex: Number(BigInt(log.logIndex)),
  };
}

/**
 * Every log matching `filter` in [fromBlock, toBlock], in block ranges that adapt to the node:
 * a refused range (see isLogRangeRefusal) is halved and tried again, a successful one doubles
 * the next (up to MAX_LOG_RANGE). A refusal of a single block is a real failure.
 */
export async function readLogsInAdaptiveRanges(
  chain: ChainClient,
  filter: { address: Address; topics: (Hex | null)[] },
  fromBlock: bigint,
  toBlock: bigint,
  onProgress?: (done: bigint, total: bigint) => void,
): Promise<{ logs: RawLog[]; stats: LogReadStats }> {
  const what = "reading StakedWithProvider events";
  const stats: LogReadStats = { requests: 0, refusals: 0, fromBlock, toBlock };
  const logs: RawLog[] = [];
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
            topics: filter.topics,
            fromBlock: numberToHex(from),
            toBlock: numberToHex(to),
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
        `${what}: the node answered eth_getLogs with something that is not a list`,
      );
    }
    for (const log of answer as RawLog[]) if (!log.removed) logs.push(log);
    onProgress?.(to - fromBlock + 1n, toBlock - fromBlock + 1n);
    from = to + 1n;
    range = range * 2n < MAX_LOG_RANGE ? range * 2n : MAX_LOG_RANGE;
  }
  return { logs, stats };
}

/**
 * The first block at which `address` has code (its deployment block), by binary search on
 * eth_getCode between 0 and `atBlock` (about log2(atBlock) sequential calls; cached by the caller).
 * A node without the history to answer is a ConfigError that points at --from-block.
 */
export async function findDeploymentBlock(
  chain: ChainClient,
  address: Address,
  atBlock: bigint,
): Promise<bigint> {
  const hasCode = async (blockNumber: bigint) => {
    try {
      const code = await chain.client.getCode({ address, blockNumber });
      return code !== undefined && code !== "0x";
    } catch (error) {
      if (isTransportFailure(error))
        throw toChainError(chain, "finding the registry's deployment block", error);
      throw new ConfigError(
        `the node cannot say whether registry ${address} had code at block ${blockNumber} (${
          error instanceof BaseError ? error.shortMessage : String(error)
        }); it may keep no history: pass --from-block <n>, the registry's deployment block or earlier`,
      );
    }
  };
  if (!(await hasCode(atBlock))) {
    throw new ConfigError(`registry ${address} has no code at block ${atBlock}`);
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

const cacheSchema = z.object({
  version: z.literal(1),
  chainId: z.number(),
  registry: z.string(),
  providerId: z.string(),
  fromBlock: z.string().regex(/^[0-9]+$/),
  lastBlock: z.string().regex(/^[0-9]+$/),
  events: z.array(
    z.object({
      attester: z.string(),
      coinbase: z.string(),
      rollup: z.string(),
      blockNumber: z.string().regex(/^[0-9]+$/),
      logIndex: z.number(),
    }),
  ),
});
type EventCache = z.infer<typeof cacheSchema>;

/** `<data dir>/<network>-staked-events-<registry>-<provider>.json`. */
export function eventCachePath(network: string, registry: Address, providerId: bigint): string {
  return join(
    butlerPaths().data,
    `${network}-staked-events-${registry.toLowerCase()}-${providerId}.json`,
  );
}

async function readCache(path: string): Promise<EventCache | undefined> {
  try {
    const parsed = cacheSchema.safeParse(JSON.parse(await readFile(path, "utf8")));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined; // missing or unreadable: read everything again
  }
}

export interface StakedEventsResult {
  /** The latest event of each attester (lowercase address → event). */
  byAttester: Map<string, StakedWithProviderEvent>;
  events: StakedWithProviderEvent[];
  stats: LogReadStats;
  /** Where the read started, and why. */
  startedFrom: "cache" | "from-block" | "deployment-block";
  /** A warning when the cache could not be written (the result is complete all the same). */
  cacheWarning?: string;
}

/**
 * The provider's StakedWithProvider events up to `toBlock` (pinned by the caller): the cached
 * ones plus what was emitted since the cache's last block (minus REORG_DEPTH_BLOCKS), then the
 * cache rewritten. The cache is used only for the same chain, registry, provider and start block.
 */
export async function readStakedWithProviderEvents(
  chain: ChainClient,
  context: { chainId: number; registry: Address; providerId: bigint },
  options: {
    toBlock: bigint;
    fromBlock?: bigint;
    cachePath: string;
    onProgress?: (done: bigint, total: bigint) => void;
  },
): Promise<StakedEventsResult> {
  const { registry, providerId, chainId } = context;
  const cached = await readCache(options.cachePath);
  const usable =
    cached &&
    cached.chainId === chainId &&
    cached.registry.toLowerCase() === registry.toLowerCase() &&
    cached.providerId === providerId.toString() &&
    (options.fromBlock === undefined || BigInt(cached.fromBlock) === options.fromBlock)
      ? cached
      : undefined;

  let startBlock: bigint;
  let resumeAt: bigint;
  let kept: StakedWithProviderEvent[] = [];
  let startedFrom: StakedEventsResult["startedFrom"];
  if (usable) {
    startBlock = BigInt(usable.fromBlock);
    const last =
      BigInt(usable.lastBlock) < options.toBlock ? BigInt(usable.lastBlock) : options.toBlock;
    resumeAt =
      last - REORG_DEPTH_BLOCKS + 1n > startBlock ? last - REORG_DEPTH_BLOCKS + 1n : startBlock;
    kept = usable.events
      .map((e) => ({
        attester: e.attester.toLowerCase() as Address,
        coinbase: e.coinbase.toLowerCase() as Address,
        rollup: e.rollup.toLowerCase() as Address,
        blockNumber: BigInt(e.blockNumber),
        logIndex: e.logIndex,
      }))
      .filter((e) => e.blockNumber < resumeAt);
    startedFrom = "cache";
  } else if (options.fromBlock !== undefined) {
    startBlock = resumeAt = options.fromBlock;
    startedFrom = "from-block";
  } else {
    startBlock = resumeAt = await findDeploymentBlock(chain, registry, options.toBlock);
    startedFrom = "deployment-block";
  }

  const { logs, stats } = await readLogsInAdaptiveRanges(
    chain,
    {
      address: registry,
      topics: [STAKED_WITH_PROVIDER_TOPIC, padHex(numberToHex(providerId), { size: 32 })],
    },
    resumeAt,
    options.toBlock,
    options.onProgress,
  );
  const events = [...kept, ...logs.map((log) => parseStakedLog(log, registry))].sort((a, b) =>
    a.blockNumber === b.blockNumber
      ? a.logIndex - b.logIndex
      : a.blockNumber < b.blockNumber
        ? -1
        : 1,
  );
  const byAttester = new Map<string, StakedWithProviderEvent>();
  for (const event of events) byAttester.set(event.attester, event);

  const cache: EventCache = {
    version: 1,
    chainId,
    registry: registry.toLowerCase(),
    providerId: providerId.toString(),
    fromBlock: startBlock.toString(),
    lastBlock: options.toBlock.toString(),
    events: events.map((e) => ({ ...e, blockNumber: e.blockNumber.toString() })),
  };
  let cacheWarning: string | undefined;
  try {
    await writeFileAtomically({
      path: options.cachePath,
      content: toJsonText(cache),
      overwrite: true,
      createParent: true,
    });
  } catch (error) {
    cacheWarning = `the event cache ${options.cachePath} was not written (${
      error instanceof Error ? error.message : String(error)
    }); the next run reads every event again`;
  }
  return {
    byAttester,
    events,
    stats: { ...stats, fromBlock: startBlock },
    startedFrom,
    cacheWarning,
  };
}
