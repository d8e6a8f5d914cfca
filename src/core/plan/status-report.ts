/**
 * The `status` document: one row per attester (state, where it is, coinbases, publisher funding)
 * and counts per state, built from the chain facts and the operator's files. Pure.
 * `status --json` prints exactly this (addresses checksummed, wei as decimal strings, a field
 * that does not apply is null). `providerQueue` is the provider queue's health
 * (provider-queue-health.ts).
 */
import { getAddress } from "viem";
import type { AttesterState } from "../../types/scraper-config.js";
import {
  countStates,
  deriveLifecycle,
  estimateFlush,
  type FlushParameters,
  type LifecycleProblem,
  type NoLongerActiveReason,
  type RollupStatus,
} from "./lifecycle.js";
import {
  providerQueueReport,
  queueBelowMinimum,
  type ProviderQueueHealth,
  type ProviderQueueReport,
} from "./provider-queue-health.js";

export interface StatusInput {
  address: string;
  coinbase?: string;
  publisher?: string;
  recordedState?: AttesterState;
}

export interface StatusFacts {
  blockNumber: bigint;
  /** The pinned block's timestamp (unix seconds). */
  blockTimestamp: bigint;
  providerQueuePositions: ReadonlyMap<string, number>;
  entryQueuePositions: ReadonlyMap<string, number>;
  rollupStatuses: ReadonlyMap<string, RollupStatus>;
  /** Lowercase attester → its split contract (from StakedWithProvider). */
  stakedCoinbases: ReadonlyMap<string, string>;
  balances: ReadonlyMap<string, bigint>;
  flush: FlushParameters;
  minWeiPerAttester: bigint;
  /** The provider queue's health (classifyProviderQueue). */
  providerQueue: ProviderQueueHealth;
  /** `--min-queue`: a queue shorter than this is a problem. */
  minQueue?: number;
}

export interface StatusRow {
  address: string;
  state: AttesterState;
  /** Where it is, ignoring the coinbase (what `state` would be with the right one). */
  chainState: AttesterState;
  /** ZOMBIE, EXITING or EXITED when NO_LONGER_ACTIVE. */
  noLongerActive: NoLongerActiveReason | null;
  rollupStatus: RollupStatus;
  providerQueuePosition: number | null;
  entryQueuePosition: number | null;
  /** The earliest epoch it can be flushed in, and about when (unix seconds). */
  entryQueueFlushEstimate: { epoch: number; timestamp: number } | null;
  coinbase: { keyFile: string | null; chain: string | null };
  publisher: { address: string; balanceWei: string; requiredWei: string } | null;
  problems: LifecycleProblem[];
}

/** A problem of the whole provider, not of one attester. */
export type ProviderProblem =
  /** `--min-queue <n>`: the provider queue holds fewer than n keys (delegations will find none). */
  "PROVIDER_QUEUE_LOW";

export interface StatusProblem {
  /** The attester; null for a problem of the provider (PROVIDER_QUEUE_LOW). */
  address: string | null;
  problem: LifecycleProblem | ProviderProblem;
  message: string;
}

export interface StatusDocument {
  blockNumber: number;
  /** The block's timestamp, unix seconds: how fresh this status is. */
  blockTimestamp: number;
  attesters: StatusRow[];
  counts: Record<AttesterState, number>;
  /** The staking provider's queue: its length and every entry's problem (its health). */
  providerQueue: ProviderQueueReport;
  problems: StatusProblem[];
}

const ZERO = /^0x0{40}$/i;

/** Checksums with a cache: publishers and coinbases repeat, and keccak per address adds up at 10,000 rows. */
function checksummer(): (address: string) => string {
  const cache = new Map<string, string>();
  return (address) => {
    const key = address.toLowerCase();
    let value = cache.get(key);
    if (value === undefined) cache.set(key, (value = getAddress(key)));
    return value;
  };
}

function problemMessage(problem: LifecycleProblem, row: StatusRow): string {
  switch (problem) {
    case "COINBASE_MISSING":
      return `${row.chainState === "ACTIVE" ? "active" : "in the entry queue"} with no coinbase in the key file; its split is ${row.coinbase.chain ?? "unknown (no StakedWithProvider event)"}: run fill-coinbases`;
    case "COINBASE_MISMATCH":
      return `the key file's coinbase ${row.coinbase.keyFile} is not its split contract ${row.coinbase.chain}: rewards go to the wrong address`;
    case "PUBLISHER_EMPTY":
      return `active, and its publisher ${row.publisher?.address} has no ETH: it cannot publish`;
    case "UNKNOWN_TO_CHAIN":
      return "the chain has never heard of it, but the scraper config says it was registered";
    case "IN_TWO_PLACES":
      return `found in two places (provider queue position ${row.providerQueuePosition ?? "-"}, entry queue position ${row.entryQueuePosition ?? "-"}, rollup status ${row.rollupStatus})`;
  }
}

/** One row per attester, in input order, then counts per state and every problem. */
export function buildStatusDocument(
  inputs: readonly StatusInput[],
  facts: StatusFacts,
): StatusDocument {
  const checksum = checksummer();
  const served = new Map<string, number>();
  for (const input of inputs) {
    if (input.publisher === undefined) continue;
    const key = input.publisher.toLowerCase();
    served.set(key, (served.get(key) ?? 0) + 1);
  }
  const problems: StatusProblem[] = [];
  const attesters = inputs.map((input): StatusRow => {
    const key = input.address.toLowerCase();
    const chainCoinbase = facts.stakedCoinbases.get(key);
    const chain = {
      providerQueuePosition: facts.providerQueuePositions.get(key),
      entryQueuePosition: facts.entryQueuePositions.get(key),
      rollupStatus: facts.rollupStatuses.get(key) ?? "NONE",
      stakedCoinbase: chainCoinbase,
    };
    const publisherKey = input.publisher?.toLowerCase();
    const balance =
      publisherKey === undefined ? undefined : (facts.balances.get(publisherKey) ?? 0n);
    const lifecycle = deriveLifecycle(
      chain,
      { coinbase: input.coinbase, recordedState: input.recordedState },
      balance,
    );
    const estimate =
      chain.entryQueuePosition === undefined
        ? undefined
        : estimateFlush(chain.entryQueuePosition, facts.flush);
    const row: StatusRow = {
      address: checksum(input.address),
      state: lifecycle.state,
      chainState: lifecycle.chainState,
      noLongerActive: lifecycle.noLongerActive ?? null,
      rollupStatus: chain.rollupStatus,
      providerQueuePosition: chain.providerQueuePosition ?? null,
      entryQueuePosition: chain.entryQueuePosition ?? null,
      entryQueueFlushEstimate: estimate
        ? { epoch: Number(estimate.epoch), timestamp: Number(estimate.timestamp) }
        : null,
      coinbase: {
        keyFile:
          input.coinbase !== undefined && !ZERO.test(input.coinbase)
            ? checksum(input.coinbase)
            : null,
        chain: chainCoinbase !== undefined ? checksum(chainCoinbase) : null,
      },
      publisher:
        input.publisher === undefined || publisherKey === undefined
          ? null
          : {
              address: checksum(input.publisher),
              balanceWei: (balance ?? 0n).toString(),
              requiredWei: (
                facts.minWeiPerAttester * BigInt(served.get(publisherKey) ?? 0)
              ).toString(),
            },
      problems: lifecycle.problems,
    };
    for (const problem of lifecycle.problems) {
      problems.push({ address: row.address, problem, message: problemMessage(problem, row) });
    }
    return row;
  });
  const queueLow = queueBelowMinimum(facts.providerQueue.length, facts.minQueue);
  if (queueLow !== undefined)
    problems.push({ address: null, problem: "PROVIDER_QUEUE_LOW", message: queueLow });
  return {
    blockNumber: Number(facts.blockNumber),
    blockTimestamp: Number(facts.blockTimestamp),
    attesters,
    counts: countStates(attesters.map((a) => a.state)),
    providerQueue: providerQueueReport(facts.providerQueue),
    problems,
  };
}
