import { getAddress } from "viem";
import { describe, expect, it } from "vitest";
import { planCoinbaseFill } from "../../src/core/plan/coinbase-fill.js";
import { applyChainStates } from "../../src/core/plan/scraper-attesters.js";
import type { ProductionSource } from "../../src/core/plan/deployment-plan.js";
import { ChainRefusalError } from "../../src/core/errors.js";

const A = "0x1000000000000000000000000000000000000001";
const B = "0x2000000000000000000000000000000000000002";
const C = "0x3000000000000000000000000000000000000003";
const SPLIT_A = "0xa00000000000000000000000000000000000000a";
const SPLIT_B = "0xb00000000000000000000000000000000000000b";
const OTHER = "0xc00000000000000000000000000000000000000c";
const ZERO = "0x0000000000000000000000000000000000000000";

function production(
  validators: Record<string, unknown>[],
  extra: Record<string, unknown> = {},
): ProductionSource {
  const raw = { schemaVersion: 1, remoteSigner: "http://signer", ...extra, validators };
  return {
    file: "prod.json",
    raw,
    validators: validators.map((v) => ({
      ...v,
      attester: { eth: v.attester as string },
      coinbase: v.coinbase as string | undefined,
    })),
    defaultCoinbase: extra.coinbase as string | undefined,
  };
}

const splits = new Map([
  [A.toLowerCase(), SPLIT_A],
  [B.toLowerCase(), SPLIT_B],
]);

describe("planCoinbaseFill", () => {
  it("fills staked validators without (or with a zero) coinbase after publisher, keeps the rest", () => {
    const input = production([
      { attester: A, publisher: OTHER, feeRecipient: "0x01", extra: 1 },
      { attester: B, coinbase: ZERO },
      { attester: C, publisher: OTHER },
    ]);
    const before = JSON.stringify(input.raw);
    const plan = planCoinbaseFill(input, splits);
    expect(plan.content.validators[0]).toEqual({
      attester: A,
      publisher: OTHER,
      coinbase: getAddress(SPLIT_A),
      feeRecipient: "0x01",
      extra: 1,
    });
    expect(Object.keys(plan.content.validators[0]!)).toEqual([
      "attester",
      "publisher",
      "coinbase",
      "feeRecipient",
      "extra",
    ]);
    expect(plan.content.validators[1]!.coinbase).toBe(getAddress(SPLIT_B));
    expect(plan.content.validators[2]).toEqual({ attester: C, publisher: OTHER });
    expect(plan.content.remoteSigner).toBe("http://signer");
    expect(plan.filled.map((f) => f.index)).toEqual([0, 1]);
    expect(plan.notStaked).toEqual([{ index: 2, attester: C }]);
    expect(JSON.stringify(input.raw)).toBe(before); // the input is not changed
  });

  it("counts validators whose coinbase already is their split, in any case", () => {
    const plan = planCoinbaseFill(
      production([{ attester: A, coinbase: SPLIT_A.toUpperCase().replace("0X", "0x") }]),
      splits,
    );
    expect(plan.filled).toEqual([]);
    expect(plan.alreadySet).toBe(1);
  });

  it("refuses a coinbase that is not the split, naming the validator and both addresses", () => {
    const run = () =>
      planCoinbaseFill(production([{ attester: A }, { attester: B, coinbase: OTHER }]), splits);
    expect(run).toThrow(ChainRefusalError);
    expect(run).toThrow(
      `prod.json, validator 1, coinbase: attester ${getAddress(B)}'s coinbase is ${getAddress(OTHER)}, ` +
        `but the chain's StakedWithProvider event gives it the split contract ${getAddress(SPLIT_B)}`,
    );
  });

  it("refuses schemaVersion 2's default coinbase when it is not a validator's split", () => {
    expect(() =>
      planCoinbaseFill(
        production([{ attester: A }], { schemaVersion: 2, coinbase: OTHER }),
        splits,
      ),
    ).toThrow(/the file's default coinbase/);
  });
});

describe("applyChainStates", () => {
  it("sets states (never back to NEW) and coinbases of listed attesters, keeps unknown fields", () => {
    const result = applyChainStates(
      [
        { address: A, coinbase: ZERO, publisher: OTHER, lastSeenState: "NEW", note: "x" },
        { address: B, coinbase: ZERO, publisher: OTHER, lastSeenState: "ACTIVE" },
      ],
      [
        {
          address: A.toUpperCase().replace("0X", "0x"),
          state: "COINBASE_NEEDED",
          coinbase: SPLIT_A,
        },
        { address: B, state: "NEW" },
        { address: C, state: "NEW" },
      ],
    );
    expect(result.attesters).toEqual([
      {
        address: A,
        coinbase: SPLIT_A,
        publisher: OTHER,
        lastSeenState: "COINBASE_NEEDED",
        note: "x",
      },
      { address: B, coinbase: ZERO, publisher: OTHER, lastSeenState: "ACTIVE" },
    ]);
    expect(result.changed).toBe(1);
    expect(result.unlisted).toEqual([C]);
  });

  it("the chain's split goes into expectedCoinbase, never into the deployed coinbase", () => {
    const result = applyChainStates(
      [{ address: A, coinbase: ZERO, publisher: OTHER, lastSeenState: "IN_STAKING_QUEUE" }],
      [{ address: A, state: "COINBASE_NEEDED", expectedCoinbase: SPLIT_A }],
    );
    expect(result.attesters).toEqual([
      {
        address: A,
        coinbase: ZERO,
        publisher: OTHER,
        lastSeenState: "COINBASE_NEEDED",
        expectedCoinbase: SPLIT_A,
      },
    ]);
    expect(result.changed).toBe(1);
  });
});
