import { computeBn254G1PublicKeyCompressed } from "@aztec/foundation/crypto/bn254";
import { privateKeyToAddress } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { KeyDerivationPool } from "../../src/core/keys/derivation-pool.js";
import type { AttesterPrivateKeys } from "../../src/core/keys/private-keys.js";
import { createHash } from "node:crypto";
import { BN254_FR_MODULUS, type Hex } from "../../src/types/primitives.js";

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** The i-th seeded private key of a kind: sha256 of a label, reduced into [1, order). */
function seededKey(kind: "eth" | "bls", i: number): Hex {
  const order = kind === "eth" ? SECP256K1_N : BN254_FR_MODULUS;
  const digest = BigInt(
    `0x${createHash("sha256").update(`key-derivation ${kind} ${i}`).digest("hex")}`,
  );
  return `0x${((digest % (order - 1n)) + 1n).toString(16).padStart(64, "0")}`;
}

describe("KeyDerivationPool", () => {
  it("derives what viem and computeBn254G1PublicKeyCompressed give one key at a time, in input order, across workers", async () => {
    // 600 keys: two workers on two cores, tasks of 250 keys of each kind.
    const keys: AttesterPrivateKeys[] = Array.from({ length: 600 }, (_, i) => ({
      eth: seededKey("eth", i),
      bls: seededKey("bls", i),
    }));
    const progress: number[] = [];
    const pool = new KeyDerivationPool(keys.length);
    let derived;
    try {
      derived = await pool.derive(keys, (done) => progress.push(done));
    } finally {
      await pool.close();
    }
    const expected = [];
    for (const key of keys) {
      expected.push({
        eth: privateKeyToAddress(key.eth),
        bls: await computeBn254G1PublicKeyCompressed(key.bls),
      });
    }
    expect(derived).toEqual(expected);
    expect(progress.at(-1)).toBe(600);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  }, 60_000);

  it("rejects, instead of waiting forever, when a worker fails on a key", async () => {
    const pool = new KeyDerivationPool(1);
    try {
      // viem's own refusal, as the worker threw it (checked keys never get here).
      await expect(pool.derive([{ eth: "0xnot-a-key", bls: seededKey("bls", 0) }])).rejects.toThrow(
        "invalid private key, expected hex or 32 bytes, got string",
      );
    } finally {
      await pool.close();
    }
  });

  it("derives nothing for no keys", async () => {
    const pool = new KeyDerivationPool(0);
    try {
      expect(await pool.derive([])).toEqual([]);
    } finally {
      await pool.close();
    }
  });
});
