/**
 * The health of a staking provider's queue in Aztec's StakingRegistry. `stake` always takes the
 * head: a key there whose deposit the rollup refuses makes every delegation revert, and a key whose
 * deposit fails at the rollup's flush takes a delegator's stake only to hand it back. Each entry
 * gets at most one problem (the first that applies, in this order); `blockedHead` is how many
 * consecutive entries from the head have one: what `dripProviderQueue` must remove before the
 * next delegation is sound. Pure.
 */
import { getAddress } from "viem";
import { ChainRefusalError } from "../errors.js";
import type { RollupStatus } from "./lifecycle.js";
import { count, plural } from "./wording.js";

/** SOUND, or why the GSE would refuse the deposit. */
export type RegistrationTupleCheck = "SOUND" | "INVALID_KEYS" | "INVALID_PROOF_OF_POSSESSION";

export type ProviderQueueProblem =
  /** The rollup has an exit for it (EXITING, or ZOMBIE after a slash): its deposit reverts, so does `stake`. */
  | "EXITING"
  /** VALIDATING, or in the rollup's entry queue: the deposit fails at the flush. */
  | "ALREADY_REGISTERED"
  /** A second copy of an attester earlier in the queue (the earlier one is judged on its own). */
  | "DUPLICATE_IN_QUEUE"
  /** G1 or G2 zero, off the curve or outside the group, or not the same key; or a zero attester. */
  | "INVALID_KEYS"
  /** The proof does not verify against the GSE's registration digest of the G1 key. */
  | "INVALID_PROOF_OF_POSSESSION";

/** What the chain says about the queue, all at one block. Addresses compared lowercase. */
export interface ProviderQueueFacts {
  /** The registry's getFirstIndexInQueue: the head's own index (a new queue starts at 1). */
  firstIndex: bigint;
  /** The entries' attesters, head first. */
  attesters: readonly string[];
  /** getStatus of (at least) every attester of the queue; absent: NONE. */
  rollupStatuses: ReadonlyMap<string, RollupStatus>;
  /** The attesters in the rollup's entry queue. */
  entryQueue: ReadonlySet<string>;
}

/** …and the verdict of the GSE's check for the positions keyCheckPositions named. */
export interface CheckedProviderQueueFacts extends ProviderQueueFacts {
  /** Zero-based position in the queue → the registration tuple's check. */
  keyChecks: ReadonlyMap<number, RegistrationTupleCheck>;
}

/** One entry with a problem, with what the words in a report need. */
export interface ProviderQueueEntryIssue {
  /** The registry's own queue index (firstIndex + position), decimal. */
  index: string;
  /** Zero-based from the head. */
  position: number;
  /** Checksummed. */
  attester: string;
  problem: ProviderQueueProblem;
  /** The rollup's status (EXITING, ALREADY_REGISTERED) or the earlier copy's index (DUPLICATE). */
  detail?: string;
}

export interface ProviderQueueHealth {
  length: number;
  firstIndex: bigint;
  blockedHead: number;
  /** In queue order. */
  issues: ProviderQueueEntryIssue[];
}

/** `status --json`'s `providerQueue`, exactly. */
export interface ProviderQueueReport {
  length: number;
  firstIndex: string;
  blockedHead: number;
  problems: { index: string; attester: string; problem: ProviderQueueProblem }[];
}

const ZERO = /^0x0{40}$/i;

type Verdict = { problem: ProviderQueueProblem; detail?: string } | "check-keys" | undefined;

/** The problem an entry has without looking at its keys, or that its keys need the GSE's check. */
function verdictBeforeKeys(
  facts: ProviderQueueFacts,
  position: number,
  firstPosition: ReadonlyMap<string, number>,
): Verdict {
  const attester = facts.attesters[position]!.toLowerCase();
  if (ZERO.test(attester)) return { problem: "INVALID_KEYS", detail: "zero attester" };
  const status = facts.rollupStatuses.get(attester) ?? "NONE";
  if (status === "EXITING" || status === "ZOMBIE") return { problem: "EXITING", detail: status };
  if (status === "VALIDATING") return { problem: "ALREADY_REGISTERED", detail: status };
  if (facts.entryQueue.has(attester))
    return { problem: "ALREADY_REGISTERED", detail: "entry queue" };
  const first = firstPosition.get(attester)!;
  if (first < position) {
    return { problem: "DUPLICATE_IN_QUEUE", detail: String(facts.firstIndex + BigInt(first)) };
  }
  return "check-keys";
}

function firstPositions(attesters: readonly string[]): Map<string, number> {
  const first = new Map<string, number>();
  attesters.forEach((a, i) => {
    const key = a.toLowerCase();
    if (!first.has(key)) first.set(key, i);
  });
  return first;
}

/**
 * The positions whose registration tuples need the GSE's check: every entry that has no problem already
 * (not exiting or known to the rollup, not a later copy, not a zero attester).
 */
export function keyCheckPositions(facts: ProviderQueueFacts): number[] {
  const first = firstPositions(facts.attesters);
  const positions: number[] = [];
  for (let i = 0; i < facts.attesters.length; i++) {
    if (verdictBeforeKeys(facts, i, first) === "check-keys") positions.push(i);
  }
  return positions;
}

/** Every entry's problem, in queue order, and the length of the blocked head. */
export function classifyProviderQueue(facts: CheckedProviderQueueFacts): ProviderQueueHealth {
  const first = firstPositions(facts.attesters);
  const issues: ProviderQueueEntryIssue[] = [];
  for (let position = 0; position < facts.attesters.length; position++) {
    let verdict = verdictBeforeKeys(facts, position, first);
    if (verdict === "check-keys") {
      const check = facts.keyChecks.get(position);
      if (check === undefined) throw new Error(`no key check for queue position ${position}`);
      verdict = check === "SOUND" ? undefined : { problem: check };
    }
    if (verdict === undefined) continue;
    issues.push({
      index: String(facts.firstIndex + BigInt(position)),
      position,
      attester: getAddress(facts.attesters[position]!),
      ...verdict,
    });
  }
  let blockedHead = 0;
  while (blockedHead < issues.length && issues[blockedHead]!.position === blockedHead)
    blockedHead++;
  return { length: facts.attesters.length, firstIndex: facts.firstIndex, blockedHead, issues };
}

/** `status --json`'s `providerQueue`. */
export function providerQueueReport(health: ProviderQueueHealth): ProviderQueueReport {
  return {
    length: health.length,
    firstIndex: health.firstIndex.toString(),
    blockedHead: health.blockedHead,
    problems: health.issues.map(({ index, attester, problem }) => ({
      index,
      attester,
      problem,
    })),
  };
}

/** What the problem means for delegations, in words. */
export function describeQueueIssue(issue: ProviderQueueEntryIssue): string {
  switch (issue.problem) {
    case "EXITING":
      return `the rollup has an exit for it (${issue.detail}): its deposit reverts, so every stake reverts while it is at the head`;
    case "ALREADY_REGISTERED":
      return issue.detail === "entry queue"
        ? "already in the rollup's entry queue: a delegator's stake would fail at the flush and be handed back"
        : `already ${issue.detail} in the rollup: a delegator's stake would fail at the flush and be handed back`;
    case "DUPLICATE_IN_QUEUE":
      return `a second copy of the attester at index ${issue.detail}: once that one is staked, this one's stake fails at the flush`;
    case "INVALID_KEYS":
      return issue.detail === "zero attester"
        ? "its attester is the zero address: the rollup refuses the deposit, so every stake reverts while it is at the head"
        : "its BLS keys are invalid (G1 or G2 not on the curve, or not the same key): the deposit would fail at the flush";
    case "INVALID_PROOF_OF_POSSESSION":
      return "its proof of possession does not verify against the GSE's registration digest: the deposit would fail at the flush";
  }
}

/** Said before the slow path: the node refused the deployless check of the keys. */
export function inProcessKeyCheckWarning(tuples: number): string {
  return (
    `the node refused the deployless check of the provider queue's keys: checking ${plural(tuples, "key store")} ` +
    "in this process instead (two pairings each, about 25 ms)"
  );
}

/** `--min-queue`: "the provider queue holds 4 keys, fewer than 10", or nothing when it holds enough. */
export function queueBelowMinimum(length: number, minimum: number | undefined): string | undefined {
  if (minimum === undefined || length >= minimum) return undefined;
  return `the provider queue holds ${plural(length, "key")}, fewer than ${count(minimum)}`;
}

/** One key a drip removes: its index, attester, and its problem (none: a healthy key). */
export interface DrippedKey {
  index: string;
  /** Checksummed. */
  attester: string;
  issue?: ProviderQueueEntryIssue;
}

export interface DripPlan {
  /** dripProviderQueue's n: the keys removed from the head. */
  count: number;
  removed: DrippedKey[];
  /** The healthy keys among them: they must be added again to be staked. */
  healthy: DrippedKey[];
}

/**
 * What `dripProviderQueue(id, n)` removes: n = `requested`, else the blocked head. Refused
 * (ChainRefusalError) when there is nothing to drip without --count, or --count is more than the
 * queue holds. `attesters` are the queue's, head first.
 */
export function planDrip(
  health: ProviderQueueHealth,
  attesters: readonly string[],
  requested: number | undefined,
  providerId: bigint,
): DripPlan {
  const queue = `provider ${providerId}'s queue`;
  if (requested === undefined && health.length === 0) {
    throw new ChainRefusalError("NOTHING_TO_DRIP", `${queue} is empty: nothing to drip`);
  }
  if (requested === undefined && health.blockedHead === 0) {
    const further = health.issues.length;
    throw new ChainRefusalError(
      "NOTHING_TO_DRIP",
      `the queue's head is healthy: nothing to drip from ${queue} of ${plural(health.length, "key")}` +
        (further > 0
          ? ` (${plural(further, "entry", "entries")} further back ${further === 1 ? "has a problem" : "have problems"}, ` +
            "first at index " +
            `${health.issues[0]!.index}; a drip removes keys from the head only: --count <n> removes the first n, healthy ones too)`
          : ""),
    );
  }
  const count = requested ?? health.blockedHead;
  if (count > health.length) {
    throw new ChainRefusalError(
      "COUNT_BEYOND_QUEUE",
      `--count ${count} is more than the ${plural(health.length, "key")} ${queue} holds`,
    );
  }
  const byPosition = new Map(health.issues.map((issue) => [issue.position, issue]));
  const removed = attesters.slice(0, count).map((attester, position) => ({
    index: String(health.firstIndex + BigInt(position)),
    attester: getAddress(attester),
    issue: byPosition.get(position),
  }));
  return { count, removed, healthy: removed.filter((key) => key.issue === undefined) };
}
