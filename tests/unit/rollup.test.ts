import { RegistryAbi } from "@aztec/l1-artifacts/RegistryAbi";
import { RollupAbi } from "@aztec/l1-artifacts/RollupAbi";
import { describe, expect, it } from "vitest";
import {
  describeRollupKnown,
  rollupKnownAttesters,
} from "../../src/core/plan/registered-attesters.js";
import { aztecRegistryAbi, aztecRollupAbi } from "../../src/types/abi/rollup.js";

const a = (n: number) => `0x${n.toString(16).padStart(40, "0")}` as const;

describe("rollup-abi", () => {
  it("holds the very fragments of @aztec/l1-artifacts' RollupAbi and RegistryAbi", () => {
    const pick = (abi: readonly { type: string; name?: string }[], names: string[]) =>
      names.map((n) => abi.find((f) => f.type === "function" && f.name === n));
    expect(aztecRollupAbi).toEqual(
      pick(RollupAbi, ["getGSE", "getEntryQueueLength", "getEntryQueueAt", "getAttesterView"]),
    );
    expect(aztecRegistryAbi).toEqual(pick(RegistryAbi, ["getCanonicalRollup"]));
  });
});

describe("rollupKnownAttesters", () => {
  it("names each attester the rollup knows, in input order, with its entry-queue position or its status", () => {
    const known = rollupKnownAttesters(
      [a(1), a(2), a(3), a(4), a(5)],
      [a(9), a(2), a(5)],
      [
        { attester: a(1), status: "NONE" },
        { attester: a(2), status: "NONE" },
        { attester: a(3), status: "VALIDATING" },
        { attester: a(4), status: "EXITING" },
        { attester: a(5), status: "ZOMBIE" },
      ],
    );
    expect(known).toEqual([
      { attester: a(2), where: "entry-queue", position: 1 },
      { attester: a(3), where: "validator-set", status: "VALIDATING" },
      { attester: a(4), where: "validator-set", status: "EXITING" },
      { attester: a(5), where: "validator-set", status: "ZOMBIE" },
    ]);
    expect(known.map(describeRollupKnown)).toEqual([
      `${a(2)} (in the rollup's entry queue at position 1)`,
      `${a(3)} (VALIDATING in the rollup)`,
      `${a(4)} (EXITING in the rollup)`,
      `${a(5)} (ZOMBIE in the rollup)`,
    ]);
  });

  it("matches addresses whatever their case, and knows nothing of an empty rollup", () => {
    const upper = a(0xabc).toUpperCase().replace("0X", "0x") as `0x${string}`;
    expect(rollupKnownAttesters([upper], [a(0xabc)], [])).toHaveLength(1);
    expect(rollupKnownAttesters([a(1)], [], [{ attester: a(1), status: "NONE" }])).toEqual([]);
  });
});
