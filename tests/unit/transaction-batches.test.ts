import { describe, expect, it } from "vitest";
import { EIP_7825_TX_GAS_CAP, gasBudgetFor } from "../../src/core/plan/gas-budget.js";
import {
  EstimateRevertedError,
  ItemTooLargeError,
  splitByGas,
  type BatchEstimate,
} from "../../src/core/plan/transaction-batches.js";

/** A cost model like addKeysToProvider's: a fixed part plus a per-item part, with a ceiling. */
function linear(fixed: bigint, perItem: bigint, ceiling = 30_000_000n, rejected?: number) {
  const rounds: number[][] = [];
  const estimate = async (batches: readonly (readonly number[])[]): Promise<BatchEstimate[]> => {
    rounds.push(batches.map((b) => b.length));
    return batches.map((b) => {
      if (rejected !== undefined && b.includes(rejected)) return { kind: "revert", reason: "no" };
      const gas = fixed + perItem * BigInt(b.length) + BigInt(b.length * b.length); // a little convex
      return gas > ceiling ? { kind: "too-large" } : { kind: "gas", gas };
    });
  };
  return { estimate, rounds };
}

const items = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("gasBudgetFor", () => {
  it("is 90% of min(2^24, the block gas limit)", () => {
    expect(gasBudgetFor(60_000_000n)).toEqual({
      budget: 15_099_494n,
      blockGasLimit: 60_000_000n,
      perTransactionLimit: EIP_7825_TX_GAS_CAP,
    });
    expect(gasBudgetFor(10_000_000n).budget).toBe(9_000_000n);
  });
});

describe("splitByGas", () => {
  it("packs items into as few batches as fit, in order, each estimated under the budget", async () => {
    const { estimate, rounds } = linear(50_000n, 205_000n);
    const batches = await splitByGas({ items: items(150), budget: 15_099_494n, estimate });
    expect(batches.map((b) => b.items.length)).toEqual([73, 73, 4]);
    expect(batches.flatMap((b) => b.items)).toEqual(items(150));
    for (const b of batches) expect(b.gas).toBeLessThanOrEqual(15_099_494n);
    const total = batches.reduce((s, b) => s + b.gas, 0n);
    expect(BigInt(batches.length)).toBeLessThanOrEqual((total + 15_099_493n) / 15_099_494n + 1n);
    expect(rounds).toEqual([
      [1, 2],
      [73, 73, 4],
    ]);
  });

  it("keeps to maxPerBatch, and puts everything in one batch when it fits", async () => {
    const { estimate } = linear(50_000n, 205_000n);
    const capped = await splitByGas({
      items: items(250),
      budget: 15_000_000n,
      maxPerBatch: 60,
      estimate,
    });
    expect(capped.map((b) => b.items.length)).toEqual([60, 60, 60, 60, 10]);
    const one = await splitByGas({ items: items(6), budget: 15_000_000n, estimate });
    expect(one.map((b) => b.items.length)).toEqual([6]);
  });

  it("shrinks the batches when the exact estimates come out over the budget", async () => {
    // Two items cost exactly twice one (no fixed part visible), but big batches cost more.
    const estimate = async (batches: readonly (readonly number[])[]): Promise<BatchEstimate[]> =>
      batches.map((b) => ({
        kind: "gas",
        gas: 100n * BigInt(b.length) + (b.length > 5 ? 400n : 0n),
      }));
    const batches = await splitByGas({ items: items(20), budget: 1_000n, estimate });
    for (const b of batches) expect(b.gas).toBeLessThanOrEqual(1_000n);
    expect(batches.flatMap((b) => b.items)).toEqual(items(20));
  });

  it("names the first item whose estimate reverts", async () => {
    const { estimate } = linear(50_000n, 205_000n, 30_000_000n, 97);
    const error = await splitByGas({ items: items(150), budget: 15_099_494n, estimate }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EstimateRevertedError);
    expect(error).toMatchObject({ firstItem: 97, itemCount: 1, reason: "no" });
  });

  it("refuses an item that cannot fit alone", async () => {
    const { estimate } = linear(50_000n, 20_000_000n);
    await expect(splitByGas({ items: items(3), budget: 15_099_494n, estimate })).rejects.toThrow(
      ItemTooLargeError,
    );
  });
});
