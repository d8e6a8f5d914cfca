import { RollupAbi } from "@aztec/l1-artifacts/RollupAbi";
import { describe, expect, it } from "vitest";
import { rollupFlushAbi } from "../../src/types/abi/rollup-flush.js";

describe("rollupFlushAbi", () => {
  it("matches @aztec/l1-artifacts' RollupAbi, name by name", () => {
    const types = (params: readonly { type: string }[]) => params.map((p) => p.type);
    for (const fragment of rollupFlushAbi) {
      const real = RollupAbi.find((f) => f.type === "function" && f.name === fragment.name);
      expect(real, fragment.name).toBeDefined();
      const fn = real as unknown as {
        inputs: { type: string }[];
        outputs: { type: string }[];
        stateMutability: string;
      };
      expect(types(fn.inputs)).toEqual(types(fragment.inputs));
      expect(types(fn.outputs)).toEqual(types(fragment.outputs));
      expect(fn.stateMutability).toBe("view");
    }
  });
});
