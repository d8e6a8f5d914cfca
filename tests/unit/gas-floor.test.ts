import { describe, expect, it } from "vitest";
import { minimumAddKeysGas, minimumTransactionGas } from "../../src/core/plan/gas-floor.js";

describe("the plausibility floor of an estimate", () => {
  it("21,000 + 4 gas a zero byte + 16 a non-zero byte of calldata", () => {
    expect(minimumTransactionGas("0x", 0n)).toBe(21_000n);
    // 2 zero bytes, 3 non-zero: 8 + 48; EIP-7623's floor (2 + 12 tokens × 10 = 140) is higher.
    expect(minimumTransactionGas("0x0000010203", 0n)).toBe(21_000n + 140n);
  });

  it("EIP-7623's floor applies only when it exceeds calldata + storage", () => {
    const data = `0x${"ff".repeat(1000)}` as const;
    expect(minimumTransactionGas(data, 0n)).toBe(21_000n + 40_000n); // 4,000 tokens × 10
    expect(minimumTransactionGas(data, 2n)).toBe(21_000n + 16_000n + 44_200n);
  });

  it("9 fresh storage words a key, 22,100 gas each (SSTORE of a fresh slot + its cold access)", () => {
    const data = "0x01" as const;
    expect(minimumAddKeysGas(data, 1) - minimumTransactionGas(data, 0n)).toBe(198_900n + 16n - 40n);
    expect(minimumAddKeysGas(data, 100) - minimumAddKeysGas(data, 99)).toBe(198_900n);
  });

  it("below what the real registry costs: 150 keys ≈ 31M gas on Aztec's L1 (recipe), ~207k a key", () => {
    // 150 keys of 288 calldata bytes each, nearly all non-zero (12 zero bytes of address padding).
    const perKey = `${"00".repeat(12)}${"ab".repeat(276)}`;
    const data = `0xe2530fd1${"00".repeat(96)}${perKey.repeat(150)}` as const;
    const floor = minimumAddKeysGas(data, 150);
    expect(floor).toBeLessThan(31_000_000n);
    expect(floor).toBeGreaterThan(30_000_000n);
    // An estimate of 0 or 1 is far below it.
    expect(floor).toBeGreaterThan(1n);
  });
});
