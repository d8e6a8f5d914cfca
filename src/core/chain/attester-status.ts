/**
 * Everything `status` and `fill-coinbases` read from the chain, at ONE pinned block: the
 * provider's queue (deployless slices), the rollup's entry queue (aggregated) and every attester's
 * status (getStatus, deployless, 500 per call), the flush parameters, the publishers' balances, and the provider's
 * StakedWithProvider events (adaptive log ranges, cached).
 */
import { getAddress, type Address } from "viem";
import type { ButlerConfig } from "../config.js";
import { ConfigError } from "../errors.js";
import type { FlushParameters, RollupStatus } from "../plan/lifecycle.js";
import { rollupFlushAbi } from "../../types/abi/rollup-flush.js";
import { onChain, type ChainClient } from "./client.js";
import { eventCachePath, readStakedWithProviderEvents, type StakedEventsResult } from "./events.js";
import { readAttesterStatuses, readEntryQueue, resolveAztecL1, type AztecL1 } from "./rollup.js";
import { readProviderQueue, type ProviderQueue, type RegistryContext } from "./staking-registry.js";

export interface PinnedBlock {
  number: bigint;
  timestamp: bigint;
}

/** The latest block, which every later read is pinned to. */
export async function pinLatestBlock(chain: ChainClient): Promise<PinnedBlock> {
  const block = await onChain(chain, "reading the latest block", () =>
    chain.client.getBlock({ blockTag: "latest" }),
  );
  if (block.number === null)
    throw new ConfigError("NODE_WITHOUT_BLOCK_NUMBER", "the node's latest block has no number");
  return { number: block.number, timestamp: block.timestamp };
}

/** What StakedWithProvider says, alone: enough for fill-coinbases. */
export async function readStakedEvents(
  chain: ChainClient,
  config: ButlerConfig,
  registry: RegistryContext,
  block: PinnedBlock,
  options: { fromBlock?: bigint; onProgress?: (done: bigint, total: bigint) => void },
): Promise<StakedEventsResult> {
  return readStakedWithProviderEvents(chain, registry, {
    toBlock: block.number,
    fromBlock: options.fromBlock,
    cachePath: eventCachePath(config.network, registry.registry, registry.providerId),
    onProgress: options.onProgress,
  });
}

export interface AttesterStatusFacts {
  block: PinnedBlock;
  aztec: AztecL1;
  /** The provider's queue as read (head first), for its health. */
  providerQueue: ProviderQueue;
  /** Lowercase address → zero-based position. */
  providerQueuePositions: Map<string, number>;
  entryQueuePositions: Map<string, number>;
  entryQueueLength: number;
  providerQueueLength: number;
  /** Lowercase address → getAttesterView status, for every attester asked about. */
  rollupStatuses: Map<string, RollupStatus>;
  flush: FlushParameters;
  /** Lowercase publisher → balance in wei at the pinned block. */
  balances: Map<string, bigint>;
  staked: StakedEventsResult;
}

const positions = (addresses: readonly string[]): Map<string, number> => {
  const map = new Map<string, number>();
  addresses.forEach((a, i) => {
    const key = a.toLowerCase();
    if (!map.has(key)) map.set(key, i);
  });
  return map;
};

/**
 * Every fact status needs about `attesters` and `publishers`, at `block`. The event logs are read
 * first (sequential ranges); every other read then goes out together, batched.
 */
export async function readAttesterStatusFacts(
  chain: ChainClient,
  config: ButlerConfig,
  registry: RegistryContext,
  block: PinnedBlock,
  attesters: readonly string[],
  publishers: readonly string[],
  options: { fromBlock?: bigint; onProgress?: (done: bigint, total: bigint) => void } = {},
): Promise<AttesterStatusFacts> {
  const at = { blockNumber: block.number };
  const aztec = await resolveAztecL1(chain, config, registry.registry, registry.chainId, at);
  const staked = await readStakedEvents(chain, config, registry, block, options);
  const readFlush = (functionName: (typeof rollupFlushAbi)[number]["name"]) =>
    chain.client.readContract({
      address: aztec.rollup,
      abi: rollupFlushAbi,
      functionName,
      blockNumber: block.number,
    });
  const checksummed = attesters.map((a) => getAddress(a));
  const [providerQueue, entryQueue, views, flush, balances] = await Promise.all([
    readProviderQueue(chain, registry, at.blockNumber),
    readEntryQueue(chain, aztec.rollup, at),
    // getStatus through issue 9's AttesterStatusReader (getAttesterView's status, 500 per call).
    readAttesterStatuses(chain, aztec.rollup, checksummed, at),
    onChain(chain, "reading the rollup's flush parameters", () =>
      Promise.all([
        readFlush("getCurrentEpoch"),
        readFlush("getAvailableValidatorFlushes"),
        readFlush("getEntryQueueFlushSize"),
        readFlush("getEpochDuration"),
        readFlush("getSlotDuration"),
      ]),
    ),
    onChain(chain, "reading publisher balances", () =>
      Promise.all(
        publishers.map((address) =>
          chain.client.getBalance({ address: address as Address, blockNumber: block.number }),
        ),
      ),
    ),
  ]);
  const [currentEpoch, availableFlushes, flushSizePerEpoch, epochDuration, slotDuration] = flush;
  return {
    block,
    aztec,
    providerQueue,
    providerQueuePositions: positions(providerQueue.attesters),
    providerQueueLength: providerQueue.attesters.length,
    entryQueuePositions: positions(entryQueue.attesters),
    entryQueueLength: entryQueue.attesters.length,
    rollupStatuses: new Map(checksummed.map((a, i) => [a.toLowerCase(), views.statuses[i]!])),
    flush: {
      currentEpoch,
      availableFlushes,
      flushSizePerEpoch,
      epochDurationSeconds: epochDuration * slotDuration,
      now: block.timestamp,
    },
    balances: new Map(publishers.map((p, i) => [p.toLowerCase(), balances[i]!])),
    staked,
  };
}
