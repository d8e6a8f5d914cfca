import { computeBn254G1PublicKeyCompressed } from "@aztec/foundation/crypto/bn254";
import { privateKeyToAddress } from "viem/accounts";
import { describe, expect, it } from "vitest";
import {
  KeyDerivationPool,
  derivationWorkerCount,
  derivationWorkersForFiles,
} from "../../src/core/keys/derivation-pool.js";
import { deriveEthAddresses } from "../../src/core/keys/derive-keys.js";
import type { AttesterPrivateKeys } from "../../src/core/keys/private-keys.js";
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
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

describe("deriveEthAddresses (libsecp256k1, then viem's publicKeyToAddress)", () => {
  it("gives viem's privateKeyToAddress for the edges of the key range and for keys with leading zero bytes", async () => {
    const keys: Hex[] = [
      `0x${"0".repeat(63)}1`,
      `0x${(SECP256K1_N - 1n).toString(16)}`,
      `0x${(SECP256K1_N / 2n).toString(16).padStart(64, "0")}`,
      `0x${"00".repeat(31)}ff`,
      `0x${"00".repeat(16)}${"ab".repeat(16)}`,
      `0x7f${"ff".repeat(15)}${"00".repeat(16)}`,
      ...Array.from({ length: 200 }, (_, i) => seededKey("eth", 10_000 + i)),
    ];
    expect(await deriveEthAddresses(keys)).toEqual(keys.map((key) => privateKeyToAddress(key)));
  });

  it("refuses the zero key and n rather than give an address for them", async () => {
    await expect(deriveEthAddresses([`0x${"0".repeat(64)}`])).rejects.toThrow(
      "an eth private key is not in [1, n) of secp256k1",
    );
    await expect(deriveEthAddresses([`0x${SECP256K1_N.toString(16)}`])).rejects.toThrow(
      "an eth private key is not in [1, n) of secp256k1",
    );
  });
});

describe("derivationWorkerCount", () => {
  it("is one worker below 512 keys, then one per 256 keys up to the cores and 4", () => {
    expect(derivationWorkerCount(0)).toBe(1);
    expect(derivationWorkerCount(511)).toBe(1);
    expect(derivationWorkerCount(100_000)).toBe(Math.min(4, availableParallelism()));
    expect(derivationWorkerCount(512)).toBe(Math.min(2, availableParallelism()));
  });
});

describe("derivationWorkersForFiles (how many workers to prestart)", () => {
  it("counts the largest regular file among the arguments at 160 bytes a validator, and nothing else", () => {
    const dir = mkdtempSync(join(tmpdir(), "workers-for-files-"));
    const small = join(dir, "small.json");
    const large = join(dir, "large.json");
    writeFileSync(small, "x".repeat(1000));
    writeFileSync(large, "x".repeat(160 * 512));
    const two = Math.min(2, availableParallelism());
    expect(derivationWorkersForFiles([small])).toBe(1);
    expect(derivationWorkersForFiles(["process-private-keys", small, "-o", large])).toBe(two);
    expect(derivationWorkersForFiles([`--output=${large}`, small])).toBe(1);
    // A directory, a missing file and a path under a file: nothing to count, and no throw.
    expect(derivationWorkersForFiles([dir, join(dir, "missing"), join(small, "under")])).toBe(1);
    expect(derivationWorkersForFiles([])).toBe(1);
  });
});

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
      // The worker's own refusal, as it threw it (checked keys never get here), without the key.
      const failure = pool.derive([{ eth: "0xnot-a-key", bls: seededKey("bls", 0) }]);
      await expect(failure).rejects.toThrow("an eth private key is not 32 bytes of hex");
      await expect(failure).rejects.not.toThrow(/not-a-key/);
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
