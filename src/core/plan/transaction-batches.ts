/**
 * Splitting keys into as few addKeysToProvider transactions as fit the gas a transaction may use.
 * The planning here is pure; the chain comes in through `estimate` (eth_estimateGas of exactly the
 * calls to print, batched), so every transaction printed has been simulated.
 */

import { splitIntoChunks } from "./chunks.js";

/** A transaction as planned: its items and the gas its estimate says. */
export interface SizedBatch<T> {
  items: T[];
  gas: bigint;
}

export type BatchEstimate =
  { kind: "gas"; gas: bigint } | { kind: "revert"; reason: string } | { kind: "too-large" };

/** An estimate that reverted: nothing may be printed. */
export class EstimateRevertedError extends Error {
  constructor(
    readonly reason: string,
    /** Index of the first item of the batch whose estimate reverted. */
    readonly firstItem: number,
    readonly itemCount: number,
  ) {
    super(`the estimate of a batch of ${itemCount} from item ${firstItem} reverts: ${reason}`);
    this.name = "EstimateRevertedError";
  }
}

/** Even one item alone needs more gas than the budget. */
export class ItemTooLargeError extends Error {
  constructor(
    readonly gas: bigint | undefined,
    readonly budget: bigint,
  ) {
    super(`one item alone needs ${gas ?? "more than a block's"} gas, over the budget of ${budget}`);
    this.name = "ItemTooLargeError";
  }
}

export interface SplitByGasOptions<T> {
  items: readonly T[];
  /** The most gas one transaction may be estimated at. */
  budget: bigint;
  /** At most this many items per transaction (--max-keys-per-tx). */
  maxPerBatch?: number;
  /** Estimates of the given batches, in order (one batched round per call). */
  estimate(batches: readonly (readonly T[])[]): Promise<BatchEstimate[]>;
  /** Rounds of re-estimating before giving up; default 8. */
  maxRounds?: number;
}

/**
 * The items in consecutive batches, each estimated at most `budget`: one key alone and two keys
 * together give the fixed and the per-item gas; batches of the size that fits are then estimated
 * exactly, and made smaller while one is over the budget. Every item is in exactly one estimated
 * batch; a reverting estimate throws EstimateRevertedError; an item that cannot fit alone throws
 * ItemTooLargeError.
 */
export async function splitByGas<T>(options: SplitByGasOptions<T>): Promise<SizedBatch<T>[]> {
  const { items, budget, estimate } = options;
  if (items.length === 0) return [];
  const most = Math.min(options.maxPerBatch ?? items.length, items.length);

  // Probe: one item, and two (their difference is the per-item gas).
  const probes =
    items.length >= 2 && most >= 2 ? [items.slice(0, 1), items.slice(0, 2)] : [items.slice(0, 1)];
  const probed = await estimate(probes);
  for (const [i, e] of probed.entries()) {
    if (e.kind === "revert") throw await revertingItem(estimate, probes[i]!, 0, e.reason);
  }
  const one = probed[0]!;
  if (one.kind !== "gas") throw new ItemTooLargeError(undefined, budget);
  if (one.gas > budget) throw new ItemTooLargeError(one.gas, budget);
  const two = probed[1];
  // At least 1 gas an item: the estimates are checked for plausibility by the caller, and a
  // division by zero must not follow from one that was not.
  const perItemEstimate = two?.kind === "gas" && two.gas > one.gas ? two.gas - one.gas : one.gas;
  const perItem = perItemEstimate > 0n ? perItemEstimate : 1n;
  const fixed = one.gas - perItem > 0n ? one.gas - perItem : 0n;
  let size = Math.max(1, Math.min(most, Number((budget - fixed) / perItem)));

  for (let round = 0; round < (options.maxRounds ?? 8); round++) {
    const batches = splitIntoChunks(items, size);
    const estimates = await estimate(batches);
    let worst = 0n;
    let tooLarge = false;
    let first = 0;
    for (const [i, e] of estimates.entries()) {
      if (e.kind === "revert") throw await revertingItem(estimate, batches[i]!, first, e.reason);
      if (e.kind === "too-large") tooLarge = true;
      else if (e.gas > worst) worst = e.gas;
      first += batches[i]!.length;
    }
    if (!tooLarge && worst <= budget) {
      return batches.map((b, i) => ({ items: b, gas: (estimates[i] as { gas: bigint }).gas }));
    }
    if (size === 1) throw new ItemTooLargeError(tooLarge ? undefined : worst, budget);
    // Over the budget: shrink in proportion (at least by one), or halve when the node says only
    // that it is too large.
    const scaled = tooLarge ? Math.floor(size / 2) : Number((BigInt(size) * budget) / worst);
    size = Math.max(1, Math.min(size - 1, scaled));
  }
  throw new Error(`no batch size fits the gas budget of ${budget} after re-estimating`);
}

/**
 * The first item of a reverting batch whose own estimate reverts (one batched round over the
 * batch's items), so the refusal can name it; the batch as a whole when none reverts alone.
 */
async function revertingItem<T>(
  estimate: SplitByGasOptions<T>["estimate"],
  batch: readonly T[],
  first: number,
  reason: string,
): Promise<EstimateRevertedError> {
  if (batch.length === 1) return new EstimateRevertedError(reason, first, 1);
  const singles = await estimate(batch.map((item) => [item]));
  const i = singles.findIndex((e) => e.kind === "revert");
  if (i < 0) return new EstimateRevertedError(reason, first, batch.length);
  return new EstimateRevertedError((singles[i] as { reason: string }).reason, first + i, 1);
}
