import { computeBn254G1PublicKeyCompressed } from "@aztec/foundation/crypto/bn254";
import { privateKeyToAddress } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { KeyDerivationPool, type AttesterPrivateKeys } from "../../src/core/keys/private-keys.js";
import { randomBlsPrivateKey, randomEthPrivateKey } from "../../bench/keygen.js";

describe("KeyDerivationPool", () => {
  it("derives what viem and computeBn254G1PublicKeyCompressed give one key at a time, in input order, across workers", async () => {
    // 600 keys: two workers on two cores, tasks of 250 keys of each kind.
    const keys: AttesterPrivateKeys[] = Array.from({ length: 600 }, () => ({
      eth: randomEthPrivateKey(),
      bls: randomBlsPrivateKey(),
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
      await expect(pool.derive([{ eth: "0xnot-a-key", bls: "0x01" }])).rejects.toThrow();
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
