/**
 * Where an attester is in its lifecycle, derived (never stored) from what the chain says about it
 * and what the key file (or scraper config) says. Pure: plain values in, plain values out.
 */
import { attesterStates, type AttesterState } from "../../types/scraper-config.js";

/** The rollup's getAttesterView status (StakingLib: 0 NONE, 1 VALIDATING, 2 ZOMBIE, 3 EXITING). */
export type RollupStatus = "NONE" | "VALIDATING" | "ZOMBIE" | "EXITING";

/** Why an attester is NO_LONGER_ACTIVE: the rollup's status, or EXITED (staked once, now gone). */
export type NoLongerActiveReason = "ZOMBIE" | "EXITING" | "EXITED";

/** What the chain says about one attester, all read at one block. */
export interface AttesterChainFacts {
  /** Zero-based position in the staking provider's queue (0 is staked next); undefined: not in it. */
  providerQueuePosition?: number;
  /** Zero-based position in the rollup's entry queue (0 is flushed next); undefined: not in it. */
  entryQueuePosition?: number;
  rollupStatus: RollupStatus;
  /** The coinbaseSplitContractAddress of its StakedWithProvider event (the latest one), if any. */
  stakedCoinbase?: string;
}

/** What the operator's files say about one attester. */
export interface AttesterFileFacts {
  /** The coinbase the key file gives it (undefined or the zero address: none). */
  coinbase?: string;
  /** The scraper config's lastSeenState, when it has one. */
  recordedState?: AttesterState;
}

/** Something the operator must act on; any of them makes `status` exit non-zero. */
export type LifecycleProblem =
  /** In the entry queue or active, and the key file gives it no coinbase: rewards go nowhere. */
  | "COINBASE_MISSING"
  /** The key file's coinbase is not the split contract the registry created for it. */
  | "COINBASE_MISMATCH"
  /** Active, and its publisher holds no ETH: it cannot publish. */
  | "PUBLISHER_EMPTY"
  /** The chain has never heard of it, but the scraper config says it got further than NEW. */
  | "UNKNOWN_TO_CHAIN"
  /** In two places at once (provider queue and rollup, or entry queue and validator set). */
  | "IN_TWO_PLACES";

export interface Lifecycle {
  state: AttesterState;
  /** Where it is, ignoring its coinbase: what `state` would be with the right coinbase. */
  chainState: Exclude<AttesterState, "COINBASE_NEEDED">;
  noLongerActive?: NoLongerActiveReason;
  problems: LifecycleProblem[];
}

const ZERO = /^0x0{40}$/i;
const sameAddress = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Where the chain puts the attester, the most advanced place first (the rollup knows best). */
function chainStateOf(chain: AttesterChainFacts): {
  chainState: Lifecycle["chainState"];
  noLongerActive?: NoLongerActiveReason;
} {
  switch (chain.rollupStatus) {
    case "VALIDATING":
      return { chainState: "ACTIVE" };
    case "ZOMBIE":
    case "EXITING":
      return { chainState: "NO_LONGER_ACTIVE", noLongerActive: chain.rollupStatus };
    case "NONE":
      break;
  }
  if (chain.entryQueuePosition !== undefined) return { chainState: "IN_STAKING_QUEUE" };
  if (chain.providerQueuePosition !== undefined) return { chainState: "IN_STAKING_PROVIDER_QUEUE" };
  // Staked through the registry once, yet neither queued nor known to the rollup: it exited (or
  // its deposit was dropped at the flush, which refunds the withdrawer just the same).
  if (chain.stakedCoinbase !== undefined)
    return { chainState: "NO_LONGER_ACTIVE", noLongerActive: "EXITED" };
  return { chainState: "NEW" };
}

/**
 * The attester's lifecycle state and the problems the operator must act on.
 * `publisherBalance`: its publisher's balance in wei (undefined when it has no publisher).
 */
export function deriveLifecycle(
  chain: AttesterChainFacts,
  file: AttesterFileFacts,
  publisherBalance?: bigint,
): Lifecycle {
  const { chainState, noLongerActive } = chainStateOf(chain);
  const problems: LifecycleProblem[] = [];

  const places =
    Number(chain.providerQueuePosition !== undefined) +
    Number(chain.entryQueuePosition !== undefined) +
    Number(chain.rollupStatus !== "NONE");
  if (places > 1) problems.push("IN_TWO_PLACES");

  let state: AttesterState = chainState;
  if (chainState === "IN_STAKING_QUEUE" || chainState === "ACTIVE") {
    const fileCoinbase =
      file.coinbase !== undefined && !ZERO.test(file.coinbase) ? file.coinbase : undefined;
    if (fileCoinbase === undefined) {
      problems.push("COINBASE_MISSING");
      state = "COINBASE_NEEDED";
    } else if (
      chain.stakedCoinbase !== undefined &&
      !sameAddress(fileCoinbase, chain.stakedCoinbase)
    ) {
      problems.push("COINBASE_MISMATCH");
      state = "COINBASE_NEEDED";
    }
  }
  if (chainState === "ACTIVE" && publisherBalance === 0n) problems.push("PUBLISHER_EMPTY");
  if (chainState === "NEW" && file.recordedState !== undefined && file.recordedState !== "NEW") {
    problems.push("UNKNOWN_TO_CHAIN");
  }
  return { state, chainState, ...(noLongerActive ? { noLongerActive } : {}), problems };
}

/**
 * The state to record in the scraper config: the derived one, except that an attester the chain
 * has no trace of (NEW) keeps a later recorded state. Every other state is the chain's evidence,
 * which wins even when it is earlier (a coinbase found wrong, a key that was re-queued).
 */
export function stateToRecord(
  recorded: AttesterState | undefined,
  derived: AttesterState,
): AttesterState {
  if (derived === "NEW" && recorded !== undefined && recorded !== "NEW") return recorded;
  return derived;
}

/** Counts per state, every state present (zero when none), in lifecycle order. */
export function countStates(states: readonly AttesterState[]): Record<AttesterState, number> {
  const counts = Object.fromEntries(attesterStates.map((s) => [s, 0])) as Record<
    AttesterState,
    number
  >;
  for (const state of states) counts[state]++;
  return counts;
}

/** The rollup's flush parameters at the pinned block, for estimating when a queued attester enters. */
export interface FlushParameters {
  currentEpoch: bigint;
  /** getAvailableValidatorFlushes(): how many may be flushed right now. */
  availableFlushes: bigint;
  /** getEntryQueueFlushSize(): how many may be flushed per epoch. */
  flushSizePerEpoch: bigint;
  epochDurationSeconds: bigint;
  /** The pinned block's timestamp. */
  now: bigint;
}

export interface FlushEstimate {
  /** The epoch in which it can be flushed at the earliest. */
  epoch: bigint;
  /** About when that epoch starts (now when it is flushable now), unix seconds. */
  timestamp: bigint;
}

/**
 * When the attester at `position` of the entry queue can be flushed, at the earliest: now if
 * position < availableFlushes, else after enough epochs of flushSizePerEpoch each. Undefined when
 * nothing can be flushed per epoch (the rollup is waiting for its bootstrap set, say).
 */
export function estimateFlush(position: number, flush: FlushParameters): FlushEstimate | undefined {
  const at = BigInt(position);
  if (at < flush.availableFlushes) return { epoch: flush.currentEpoch, timestamp: flush.now };
  if (flush.flushSizePerEpoch <= 0n) return undefined;
  const epochsAhead = 1n + (at - flush.availableFlushes) / flush.flushSizePerEpoch;
  return {
    epoch: flush.currentEpoch + epochsAhead,
    timestamp: flush.now + epochsAhead * flush.epochDurationSeconds,
  };
}
