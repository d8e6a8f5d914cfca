/**
 * Everything `status` and `fill-coinbases` read from the chain, at ONE pinned block: the
 * provider's queue (deployless slices), the rollup's entry queue (aggregated) and every attester's
 * status (getStatus, deployless, 500 per call), the flush parameters, the publishers' balances, and the provider's
 * StakedWithProvider events (adaptive log ranges, cached).
 */
import { getAddress } from "viem";
import type { ButlerConfig } from "../config.js";
import type { FlushParameters, RollupStatus } from "../plan/lifecycle.js";
import { rollupFlushAbi } from "../../types/abi/rollup-flush.js";
import { onChain, readContractExactly, type ChainClient, type PinnedBlock } from "./client.js";
import { readBalances } from "./funding.js";
import { eventCachePath, readStakedWithProviderEvents, type StakedEventsResult } from "./events.js";
import { readAttesterStatuses, readEntryQueue, resolveAztecL1, type AztecL1 } from "./rollup.js";
import { readProviderQueue, type ProviderQueue, type RegistryContext } from "./staking-registry.js";

/** Where the StakedWithProvider events are read from, and who hears of the progress. */
export interface StakedEventsRange {
  /** --from-block; else the cache's start, else the registry's deployment block. */
  fromBlock?: bigint;
  onProgress?: (done: bigint, total: bigint) => void;
}

/**
 * What StakedWithProvider says up to the command's pinned `blockNumber`, alone: enough for
 * fill-coinbases. Cached in the data dir of the configuration's network.
 */
export async function readStakedEvents(
  chain: ChainClient,
  parameters: {
    config: ButlerConfig;
    registry: RegistryContext;
    blockNumber: bigint;
  } & StakedEventsRange,
): Promise<StakedEventsResult> {
  const { config, registry, blockNumber, fromBlock, onProgress } = parameters;
  return readStakedWithProviderEvents(chain, {
    ...registry,
    toBlock: blockNumber,
    fromBlock,
    cachePath: eventCachePath(config.network, registry.registry, registry.providerId),
    onProgress,
  });
}

/** Each staked attester's coinbase (its split), by lowercase address, from its latest event. */
export function stakedCoinbases(
  staked: Pick<StakedEventsResult, "byAttester">,
): Map<string, string> {
  return new Map([...staked.byAttester].map(([attester, event]) => [attester, event.coinbase]));
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
 * Every fact status needs about `attesters` and `publishers`, at `block` (pinned by the command;
 * its timestamp dates the flush estimates). The event logs are read first (sequential ranges);
 * every other read then goes out together, batched.
 */
export async function readAttesterStatusFacts(
  chain: ChainClient,
  parameters: {
    config: ButlerConfig;
    registry: RegistryContext;
    block: PinnedBlock;
    attesters: readonly string[];
    publishers: readonly string[];
  } & StakedEventsRange,
): Promise<AttesterStatusFacts> {
  const { config, registry, block, publishers } = parameters;
  const blockNumber = block.number;
  const aztec = await resolveAztecL1(chain, { config, registry, blockNumber });
  const staked = await readStakedEvents(chain, { ...parameters, blockNumber });
  const readFlush = (functionName: (typeof rollupFlushAbi)[number]["name"]) =>
    readContractExactly(chain, {
      address: aztec.rollup,
      abi: rollupFlushAbi,
      functionName,
      blockNumber,
    });
  const attesters = parameters.attesters.map((a) => getAddress(a));
  const [providerQueue, entryQueue, views, flush, { balances }] = await Promise.all([
    readProviderQueue(chain, { registry, blockNumber }),
    readEntryQueue(chain, { rollup: aztec.rollup, blockNumber }),
    // getStatus through issue 9's AttesterStatusReader (getAttesterView's status, 500 per call).
    readAttesterStatuses(chain, { rollup: aztec.rollup, attesters, blockNumber }),
    onChain(chain, "reading the rollup's flush parameters", () =>
      Promise.all([
        readFlush("getCurrentEpoch"),
        readFlush("getAvailableValidatorFlushes"),
        readFlush("getEntryQueueFlushSize"),
        readFlush("getEpochDuration"),
        readFlush("getSlotDuration"),
      ]),
    ),
    readBalances(chain, { publishers, blockNumber }),
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
    rollupStatuses: new Map(attesters.map((a, i) => [a.toLowerCase(), views.statuses[i]!])),
    flush: {
      currentEpoch,
      availableFlushes,
      flushSizePerEpoch,
      epochDurationSeconds: epochDuration * slotDuration,
      now: block.timestamp,
    },
    balances,
    staked,
  };
}
