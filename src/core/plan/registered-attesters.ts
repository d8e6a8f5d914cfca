/**
 * New attesters that were registered before (pure): already in the provider's queue, or known to
 * the rollup (in its entry queue, or with a status other than NONE). process-private-keys and
 * add-keys refuse them: those keys were used; new ones must be generated.
 */
import { getAddress, type Address } from "viem";
import { ATTESTER_STATUS_NAMES } from "../../types/abi/rollup.js";
import { ChainRefusalError } from "../errors.js";
import { count } from "./wording.js";

/** The rollup's getStatus / getAttesterView status of an attester. */
export type AttesterStatus = (typeof ATTESTER_STATUS_NAMES)[number];

/** An attester the rollup already knows, and where. */
export type RollupKnownAttester =
  | { attester: Address; where: "entry-queue"; position: number }
  | { attester: Address; where: "validator-set"; status: Exclude<AttesterStatus, "NONE"> };

/**
 * Which of `attesters` the rollup already knows: in its entry queue (position 0 is flushed next),
 * or with a getAttesterView status other than NONE. In the order of `attesters`. Pure.
 */
export function rollupKnownAttesters(
  attesters: readonly Address[],
  entryQueue: readonly Address[],
  views: readonly { attester: Address; status: AttesterStatus }[],
): RollupKnownAttester[] {
  const queued = new Map<string, number>();
  entryQueue.forEach((a, i) => {
    if (!queued.has(a.toLowerCase())) queued.set(a.toLowerCase(), i);
  });
  const status = new Map(views.map((v) => [v.attester.toLowerCase(), v.status]));
  const known: RollupKnownAttester[] = [];
  for (const attester of attesters) {
    const position = queued.get(attester.toLowerCase());
    const s = status.get(attester.toLowerCase());
    if (s !== undefined && s !== "NONE") {
      known.push({ attester: getAddress(attester), where: "validator-set", status: s });
    } else if (position !== undefined) {
      known.push({ attester: getAddress(attester), where: "entry-queue", position });
    }
  }
  return known;
}

/** "0x… (in the rollup's entry queue at position 3)" / "0x… (VALIDATING in the rollup)". */
export function describeRollupKnown(known: RollupKnownAttester): string {
  return known.where === "entry-queue"
    ? `${known.attester} (in the rollup's entry queue at position ${known.position})`
    : `${known.attester} (${known.status} in the rollup)`;
}

/**
 * Refuses keys the rollup already knows (a re-run, or keys used elsewhere): their attesters,
 * each with where the rollup has it. Nothing may be written or printed after this.
 */
export function refuseRollupKnownAttesters(
  known: readonly RollupKnownAttester[],
  rollup: Address,
  file: string,
): void {
  if (known.length === 0) return;
  const n = known.length;
  throw new ChainRefusalError(
    "ALREADY_KNOWN_TO_ROLLUP",
    `${n} attester${n === 1 ? "" : "s"} already known to Aztec's rollup ${rollup}: ` +
      `${known.map(describeRollupKnown).join(", ")}; these keys were registered before, generate new ones`,
    { file },
  );
}

/** The given attesters that are already in the queue, compared case-insensitively. */
export function findQueuedAttesters(
  queue: readonly string[],
  attesters: readonly string[],
): string[] {
  const queued = new Set(queue.map((a) => a.toLowerCase()));
  return attesters.filter((a) => queued.has(a.toLowerCase()));
}

/**
 * Refuses (ChainRefusalError, exit 65) when any of `attesters` is already in the provider's
 * queue: those keys were registered before. Shared by process-private-keys and add-keys.
 */
export function refuseQueuedAttesters(
  queue: readonly string[],
  attesters: readonly string[],
  { providerId, file }: { providerId: bigint; file: string },
): void {
  const queued = findQueuedAttesters(queue, attesters);
  if (queued.length === 0) return;
  throw new ChainRefusalError(
    "ALREADY_QUEUED",
    `${queued.length === 1 ? "1 attester" : `${count(queued.length)} attesters`} ` +
      `already in provider ${providerId}'s queue: ${queued.join(", ")}; these keys were registered ` +
      "before, generate new ones",
    { file },
  );
}

/**
 * Refuses new attesters that were registered before: first any already in the provider's queue,
 * then any the rollup knows (the refusal names the first kind that applies).
 */
export function refuseRegisteredAttesters(
  found: {
    attesters: readonly string[];
    queue: { attesters: readonly string[] };
    rollupKnown: { known: readonly RollupKnownAttester[] };
  },
  { providerId, rollup, file }: { providerId: bigint; rollup: Address; file: string },
): void {
  refuseQueuedAttesters(found.queue.attesters, found.attesters, { providerId, file });
  refuseRollupKnownAttesters(found.rollupKnown.known, rollup, file);
}
