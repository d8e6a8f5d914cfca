/**
 * fund-publishers' plan: which publishers get how much ETH. Pure: the balances and the attesters
 * each publisher serves come in, the transfers go out.
 */
import { formatEther, getAddress, type Address } from "viem";
import { InputError, UsageError } from "../errors.js";
import type { PublisherFunding } from "./funding.js";

export interface PublisherTopUp extends PublisherFunding {
  /** targetWeiPerAttester × attesters: what a top-up brings the balance to. */
  target: bigint;
  /** Wei to send: target − balance when the balance is below `required`, else 0. */
  topUp: bigint;
}

/** An ETH transfer as the stdout JSON and the Safe Transaction Builder file carry it. */
export interface Transfer {
  to: Address;
  /** Wei, as a decimal string. */
  value: string;
  data: "0x";
}

/**
 * A publisher below its minimum (MIN_ETH_PER_ATTESTER × the attesters it serves) is topped up to
 * the target (`targetWeiPerAttester` × those attesters); one at or above its minimum is left
 * alone, so a re-run right after the transfers finds nothing to do.
 */
export function planPublisherTopUps(
  funding: readonly PublisherFunding[],
  targetWeiPerAttester: bigint,
): PublisherTopUp[] {
  return funding.map((f) => {
    const target = targetWeiPerAttester * BigInt(f.attesters);
    return { ...f, target, topUp: f.balance < f.required ? target - f.balance : 0n };
  });
}

/**
 * The target may not be below the minimum: a top-up to it would leave the publisher below what
 * it needs, and the next run would send again.
 */
export function refuseTopUpTargetBelowMinimum(
  targetWeiPerAttester: bigint,
  minWeiPerAttester: bigint,
): void {
  if (targetWeiPerAttester >= minWeiPerAttester) return;
  throw new UsageError(
    "TOP_UP_TARGET_BELOW_MINIMUM",
    `--target-eth-per-attester ${formatEther(targetWeiPerAttester)} is below MIN_ETH_PER_ATTESTER ` +
      `${formatEther(minWeiPerAttester)}: a publisher topped up to it would still be below its minimum`,
  );
}

export function totalTopUp(topUps: readonly PublisherTopUp[]): bigint {
  return topUps.reduce((sum, t) => sum + t.topUp, 0n);
}

/**
 * Refuses a total above `maxTotalWei`, naming the total and the largest top-up: a
 * MIN_ETH_PER_ATTESTER typo (100 for 0.1) must not become a 1,000 ETH transfer.
 */
export function refuseTopUpTotalOverLimit(
  topUps: readonly PublisherTopUp[],
  maxTotalWei: bigint,
): void {
  const total = totalTopUp(topUps);
  if (total <= maxTotalWei) return;
  const largest = topUps.reduce((a, b) => (b.topUp > a.topUp ? b : a));
  throw new InputError(
    "TOP_UP_TOTAL_TOO_LARGE",
    `the top-ups total ${formatEther(total)} ETH, above --max-total-eth ${formatEther(maxTotalWei)} ETH ` +
      `(largest: ${formatEther(largest.topUp)} ETH to ${getAddress(largest.publisher)}, which serves ` +
      `${largest.attesters} attester${largest.attesters === 1 ? "" : "s"}); check MIN_ETH_PER_ATTESTER and ` +
      "--target-eth-per-attester, or raise --max-total-eth; nothing was written",
  );
}

/** One plain ETH transfer per publisher to top up, in the order the publishers first appear. */
export function topUpTransfers(topUps: readonly PublisherTopUp[]): Transfer[] {
  return topUps
    .filter((t) => t.topUp > 0n)
    .map((t) => ({ to: getAddress(t.publisher), value: t.topUp.toString(), data: "0x" }));
}
