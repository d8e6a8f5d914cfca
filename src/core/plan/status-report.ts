/**
 * The `status` document: one row per attester (state, where it is, coinbases, publisher funding)
 * and counts per state, built from the chain facts and the operator's files. Pure.
 * `status --json` prints exactly this (addresses checksummed, wei as decimal strings, a field
 * that does not apply is null). `providerQueue` is the provider queue's health
 * (provider-queue-health.ts).
 */
import { getAddress } from "viem";
import type { AttesterState } from "../../types/scraper-config.js";
import { ZERO_ADDRESS } from "../../types/primitives.js";
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

/**
 * One validator entry of the operator's files: an attester listed in several files (high
 * availability: every server's file lists every validator) comes once per file, and each file's
 * entry is checked (its coinbase, its publisher).
 */
export interface StatusInput {
  address: string;
  coinbase?: string;
  publisher?: string;
  recordedState?: AttesterState;
  /** The file it is listed in (a key file, or the scraper config), for messages. */
  file?: string;
  /** Its index in that file's validators. */
  index?: number;
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

export interface StatusPublisher {
  address: string;
  balanceWei: string;
  requiredWei: string;
}

/** What one file says of the attester, and what is wrong with that file's entry. */
export interface StatusFileEntry {
  file: string | null;
  index: number | null;
  coinbase: string | null;
  publisher: StatusPublisher | null;
  problems: LifecycleProblem[];
}

export interface StatusRow {
  address: string;
  /** COINBASE_NEEDED when any file's entry needs its coinbase; else where it is. */
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
  /** The first file's coinbase, and the chain's split; every file's is in `files`. */
  coinbase: { keyFile: string | null; chain: string | null };
  /** The first file's publisher; every file's is in `files`. */
  publisher: StatusPublisher | null;
  /** Every problem of the attester, of any file's entry (each once). */
  problems: LifecycleProblem[];
  /** Every file that lists the attester, in the order given. */
  files: StatusFileEntry[];
}

/** A problem of the whole provider, not of one attester. */
export type ProviderProblem =
  /** `--min-queue <n>`: the provider queue holds fewer than n keys (delegations will find none). */
  "PROVIDER_QUEUE_LOW";

export interface StatusProblem {
  /** The attester; null for a problem of the provider (PROVIDER_QUEUE_LOW). */
  address: string | null;
  problem: LifecycleProblem | ProviderProblem;
  /** The file whose entry has the problem (null: a problem of the attester on chain, or the provider's). */
  file: string | null;
  index: number | null;
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
/** Problems of one file's entry; the others are the attester's, whatever the files say. */
const FILE_PROBLEMS: ReadonlySet<LifecycleProblem> = new Set([
  "COINBASE_MISSING",
  "COINBASE_MISMATCH",
  "PUBLISHER_EMPTY",
]);

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

function problemMessage(
  problem: LifecycleProblem,
  row: StatusRow,
  entry?: StatusFileEntry,
): string {
  const where =
    entry?.file != null
      ? `${entry.file}${entry.index != null ? ` (validator ${entry.index})` : ""}`
      : "the key file";
  switch (problem) {
    case "COINBASE_MISSING":
      return `${row.chainState === "ACTIVE" ? "active" : "in the entry queue"} with no coinbase in ${where}; its split is ${row.coinbase.chain ?? "unknown (no StakedWithProvider event)"}: run fill-coinbases`;
    case "COINBASE_MISMATCH":
      return `the coinbase ${entry?.coinbase ?? row.coinbase.keyFile} in ${where} is not its split contract ${row.coinbase.chain}: rewards go to the wrong address`;
    case "PUBLISHER_EMPTY":
      return `active, and its publisher ${(entry?.publisher ?? row.publisher)?.address} in ${where} has no ETH: it cannot publish`;
    case "UNKNOWN_TO_CHAIN":
      return "the chain has never heard of it, but the scraper config says it was registered";
    case "IN_TWO_PLACES":
      return `found in two places (provider queue position ${row.providerQueuePosition ?? "-"}, entry queue position ${row.entryQueuePosition ?? "-"}, rollup status ${row.rollupStatus})`;
  }
}

/**
 * One row per attester, in the order first given, then counts per state and every problem. An
 * attester given in several files (high availability) gets one row, and every file's entry is
 * checked: a coinbase missing or wrong in any file, or any file's empty publisher, needs the
 * operator, named with that file.
 */
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
  const byAttester = new Map<string, StatusInput[]>();
  for (const input of inputs) {
    const key = input.address.toLowerCase();
    const entries = byAttester.get(key);
    if (entries) entries.push(input);
    else byAttester.set(key, [input]);
  }
  const problems: StatusProblem[] = [];
  const attesters = [...byAttester].map(([key, entries]): StatusRow => {
    const chainCoinbase = facts.stakedCoinbases.get(key);
    const chain = {
      providerQueuePosition: facts.providerQueuePositions.get(key),
      entryQueuePosition: facts.entryQueuePositions.get(key),
      rollupStatus: facts.rollupStatuses.get(key) ?? "NONE",
      stakedCoinbase: chainCoinbase,
    };
    const publisherOf = (input: StatusInput) => {
      if (input.publisher === undefined) return { balance: undefined, shown: null };
      const publisherKey = input.publisher.toLowerCase();
      const balance = facts.balances.get(publisherKey) ?? 0n;
      return {
        balance,
        shown: {
          address: checksum(input.publisher),
          balanceWei: balance.toString(),
          requiredWei: (facts.minWeiPerAttester * BigInt(served.get(publisherKey) ?? 0)).toString(),
        },
      };
    };
    const lifecycles = entries.map((input) => {
      const publisher = publisherOf(input);
      const lifecycle = deriveLifecycle(
        chain,
        { coinbase: input.coinbase, recordedState: input.recordedState },
        publisher.balance,
      );
      const file: StatusFileEntry = {
        file: input.file ?? null,
        index: input.index ?? null,
        coinbase:
          input.coinbase !== undefined && !ZERO.test(input.coinbase)
            ? checksum(input.coinbase)
            : null,
        publisher: publisher.shown,
        problems: lifecycle.problems.filter((p) => FILE_PROBLEMS.has(p)),
      };
      return { lifecycle, file };
    });
    const first = lifecycles[0]!;
    const estimate =
      chain.entryQueuePosition === undefined
        ? undefined
        : estimateFlush(chain.entryQueuePosition, facts.flush);
    const allProblems = [...new Set(lifecycles.flatMap((l) => l.lifecycle.problems))];
    const row: StatusRow = {
      address: checksum(entries[0]!.address),
      state: lifecycles.some((l) => l.lifecycle.state === "COINBASE_NEEDED")
        ? "COINBASE_NEEDED"
        : first.lifecycle.state,
      chainState: first.lifecycle.chainState,
      noLongerActive: first.lifecycle.noLongerActive ?? null,
      rollupStatus: chain.rollupStatus,
      providerQueuePosition: chain.providerQueuePosition ?? null,
      entryQueuePosition: chain.entryQueuePosition ?? null,
      entryQueueFlushEstimate: estimate
        ? { epoch: Number(estimate.epoch), timestamp: Number(estimate.timestamp) }
        : null,
      coinbase: {
        keyFile: first.file.coinbase,
        chain: chainCoinbase !== undefined ? checksum(chainCoinbase) : null,
      },
      publisher: first.file.publisher,
      problems: allProblems,
      files: lifecycles.map((l) => l.file),
    };
    for (const problem of allProblems) {
      if (!FILE_PROBLEMS.has(problem)) {
        problems.push({
          address: row.address,
          problem,
          file: null,
          index: null,
          message: problemMessage(problem, row),
        });
        continue;
      }
      for (const entry of row.files.filter((f) => f.problems.includes(problem))) {
        problems.push({
          address: row.address,
          problem,
          file: entry.file,
          index: entry.index,
          message: problemMessage(problem, row, entry),
        });
      }
    }
    return row;
  });
  const queueLow = queueBelowMinimum(facts.providerQueue.length, facts.minQueue);
  if (queueLow !== undefined)
    problems.push({
      address: null,
      problem: "PROVIDER_QUEUE_LOW",
      file: null,
      index: null,
      message: queueLow,
    });
  return {
    blockNumber: Number(facts.blockNumber),
    blockTimestamp: Number(facts.blockTimestamp),
    attesters,
    counts: countStates(attesters.map((a) => a.state)),
    providerQueue: providerQueueReport(facts.providerQueue),
    problems,
  };
}

/** Every publisher of the attesters, once (lowercase). */
export function publishersOf(attesters: readonly { publisher?: string }[]): string[] {
  return [...new Set(attesters.flatMap((a) => (a.publisher ? [a.publisher.toLowerCase()] : [])))];
}

/**
 * The coinbase key files deploy for each attester (lowercase → address): of the entries that are
 * a deployment's (they give a publisher; private- and public-key files say nothing of coinbases),
 * the coinbase they all give, or the zero address when they differ or give none.
 */
export function deployedCoinbases(
  attesters: readonly { address: string; publisher?: string; coinbase?: string }[],
): Map<string, string> {
  const given = new Map<string, Set<string>>();
  for (const a of attesters) {
    if (a.publisher === undefined) continue;
    const key = a.address.toLowerCase();
    const coinbase = (a.coinbase ?? ZERO_ADDRESS).toLowerCase();
    given.set(key, (given.get(key) ?? new Set()).add(coinbase));
  }
  return new Map(
    [...given].map(([key, coinbases]) => [
      key,
      coinbases.size === 1 ? getAddress([...coinbases][0]!) : ZERO_ADDRESS,
    ]),
  );
}
