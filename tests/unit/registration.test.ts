import { readFileSync } from "node:fs";
import { join } from "node:path";
import { computeBn254G2PublicKey } from "@aztec/foundation/crypto/bn254";
import { GSEAbi } from "@aztec/l1-artifacts/GSEAbi";
import { RollupAbi } from "@aztec/l1-artifacts/RollupAbi";
import { bn254 } from "@noble/curves/bn254.js";
import { decodeFunctionData, getAddress } from "viem";
import { describe, expect, it } from "vitest";
import { BN254_FR_MODULUS } from "../../src/types/primitives.js";
import {
  blsPublicKeysOf,
  buildRegistrationTuples,
  encodeAddKeysTransactions,
  isG1Point,
  proofOfPossession,
  registrationKeysOf,
  type G1Point,
  type G2Point,
  type RegistrationTuple,
} from "../../src/core/keys/registration.js";
import { gseAbi } from "../../src/types/abi/gse.js";
import { aztecRollupAbi } from "../../src/types/abi/rollup.js";
import { splitIntoChunks } from "../../src/core/plan/chunks.js";
import { stakingRegistryAbi } from "../../src/types/abi/staking-registry.js";
import { ownPhasesDir } from "../support/files.js";

const FIELD_MODULUS =
  21888242871839275222246405745257275088696311157297823662689037894645226208583n;
/** EIP-197's G2 generator, written there imaginary part first: x = x0 + x1·u. */
const EIP197_G2: G2Point = {
  x0: 10857046999023057135944570762232829481370756359578518086990519993285655852781n,
  x1: 11559732032986387107991004021392285783925812861821192530917403151452391805634n,
  y0: 8495653923123431417604973247489272438418190587263600148770280649306958101930n,
  y1: 4082367875863433681332203403145435568316851327593401208105741076214120093531n,
};

const privateKeys = JSON.parse(
  readFileSync(
    join(ownPhasesDir, "after_phase1", "on-dev-machine", "new-private-keys.json"),
    "utf8",
  ),
) as { validators: { attester: { eth: `0x${string}`; bls: `0x${string}` } }[] };
const publicKeys = JSON.parse(
  readFileSync(
    join(ownPhasesDir, "after_phase2", "on-dev-machine", "new-public-keys.json"),
    "utf8",
  ),
) as { validators: { attester: { eth: string; bls: string } }[] };

/** Aztec's compressed G1 form: x, with bit 255 set when y is odd. */
const compress = ({ x, y }: G1Point) =>
  `0x${(((y & 1n) << 255n) | x).toString(16).padStart(64, "0")}`;
const g1 = (p: G1Point) => bn254.G1.Point.fromAffine(p);
const g2 = (p: G2Point) =>
  bn254.G2.Point.fromAffine({
    x: bn254.fields.Fp2.create({ c0: p.x0, c1: p.x1 }),
    y: bn254.fields.Fp2.create({ c0: p.y0, c1: p.y1 }),
  });

describe("blsPublicKeysOf", () => {
  it("maps 1 to the generators, G2 encoded as {x0: re, x1: im} like EIP-197's generator", () => {
    expect(blsPublicKeysOf(1n)).toEqual({ g1: { x: 1n, y: 2n }, g2: EIP197_G2 });
  });

  it("gives the fixture's public keys: G1 compresses to the bls key process-private-keys wrote", () => {
    privateKeys.validators.forEach(({ attester }, i) => {
      const keys = registrationKeysOf(attester);
      expect(keys.attester).toBe(publicKeys.validators[i]!.attester.eth);
      expect(compress(keys.bls.g1)).toBe(publicKeys.validators[i]!.attester.bls);
    });
  });

  it("agrees on G2 with Aztec's own derivation (bb.js)", async () => {
    for (const { attester } of privateKeys.validators) {
      const theirs = await computeBn254G2PublicKey(attester.bls);
      expect(blsPublicKeysOf(BigInt(attester.bls)).g2).toEqual({
        x0: theirs.x.c0,
        x1: theirs.x.c1,
        y0: theirs.y.c0,
        y1: theirs.y.c1,
      });
    }
  });

  it("gives G1 and G2 keys of the same secret: e(pkG1, G2) = e(G1, pkG2)", () => {
    const { g1: pk1, g2: pk2 } =
      blsPublicKeysOf(0x137de872db9235c0320b240c4dbb58d08cd200682d4cdbe625883f545105047en);
    const left = bn254.pairing(g1(pk1), bn254.G2.Point.BASE);
    const right = bn254.pairing(bn254.G1.Point.BASE, g2(pk2));
    expect(bn254.fields.Fp12.eql(left, right)).toBe(true);
  });

  it("refuses 0 and the scalar field order without showing the key", () => {
    expect(() => blsPublicKeysOf(0n)).toThrow(
      "BLS secret key is not in [1, BN254 scalar field order)",
    );
    expect(() => blsPublicKeysOf(BN254_FR_MODULUS)).toThrow(/^BLS secret key is not in/);
    expect(() => blsPublicKeysOf(BN254_FR_MODULUS - 1n)).not.toThrow();
  });
});

describe("proofOfPossession", () => {
  const sk = 0x0d956d0c857674531ccf29b944bb65ff89127241dfe3bbcd9ba1dd312e66d1f3n;
  const digest: G1Point = bn254.G1.Point.BASE.multiply(987654321n).toAffine();

  it("is digest × sk: of the generator, the G1 public key", () => {
    expect(proofOfPossession({ x: 1n, y: 2n }, sk)).toEqual(blsPublicKeysOf(sk).g1);
    expect(proofOfPossession(digest, 2n)).toEqual(g1(digest).double().toAffine());
  });

  it("passes the pairing check e(pop, G2) = e(digest, pkG2) and fails it for another key", () => {
    const pop = proofOfPossession(digest, sk);
    const pkG2 = g2(blsPublicKeysOf(sk).g2);
    const check = (p: G1Point) =>
      bn254.fields.Fp12.eql(
        bn254.pairing(g1(p), bn254.G2.Point.BASE),
        bn254.pairing(g1(digest), pkG2),
      );
    expect(check(pop)).toBe(true);
    expect(check(proofOfPossession(digest, sk + 1n))).toBe(false);
  });

  it("refuses a digest off the curve, the point at infinity, or with a coordinate outside the field", () => {
    expect(() => proofOfPossession({ x: 1n, y: 3n }, sk)).toThrow(/not a point of BN254's G1/);
    expect(() => proofOfPossession({ x: 0n, y: 0n }, sk)).toThrow(/not a point/);
    expect(() => proofOfPossession({ x: 1n, y: FIELD_MODULUS + 2n }, sk)).toThrow(/not a point/);
  });
});

describe("isG1Point", () => {
  it("accepts the generator and a multiple, rejects (0, 0), (1, 3) and coordinates ≥ p", () => {
    expect(isG1Point({ x: 1n, y: 2n })).toBe(true);
    expect(isG1Point({ x: 1n, y: FIELD_MODULUS - 2n })).toBe(true);
    expect(isG1Point({ x: 0n, y: 0n })).toBe(false);
    expect(isG1Point({ x: 1n, y: 3n })).toBe(false);
    expect(isG1Point({ x: 1n + FIELD_MODULUS, y: 2n })).toBe(false);
  });
});

describe("buildRegistrationTuples", () => {
  it("pairs validator i with digest i and keeps the order", () => {
    const validators = [5n, 6n, 7n].map((blsSecretKey, i) => ({
      blsSecretKey,
      keys: {
        attester: getAddress(`0x${String(i + 1).repeat(40)}`),
        bls: blsPublicKeysOf(blsSecretKey),
      },
    }));
    const digests = [11n, 12n, 13n].map((k) => bn254.G1.Point.BASE.multiply(k).toAffine());
    const stores = buildRegistrationTuples(validators, digests);
    expect(stores.map((s) => s.attester)).toEqual(validators.map((v) => v.keys.attester));
    expect(stores[2]!.proofOfPossession).toEqual(bn254.G1.Point.BASE.multiply(13n * 7n).toAffine());
    expect(stores[0]!.publicKeyG2).toEqual(blsPublicKeysOf(5n).g2);
    expect(() => buildRegistrationTuples(validators, digests.slice(1))).toThrow(
      /2 registration digests for 3 validators/,
    );
  });
});

describe("splitIntoChunks", () => {
  it("splits 250 into 100, 100, 50 in order; nothing into nothing; refuses a size below 1", () => {
    const items = Array.from({ length: 250 }, (_, i) => i);
    const chunks = splitIntoChunks(items, 100);
    expect(chunks.map((c) => c.length)).toEqual([100, 100, 50]);
    expect(chunks.flat()).toEqual(items);
    expect(splitIntoChunks(items, 250)).toEqual([items]);
    expect(splitIntoChunks([], 100)).toEqual([]);
    expect(() => splitIntoChunks(items, 0)).toThrow(RangeError);
    expect(() => splitIntoChunks(items, 1.5)).toThrow(RangeError);
  });
});

describe("encodeAddKeysTransactions", () => {
  const registry = getAddress("0x5fbdb2315678afecb367f032d93f642f64180aa3");
  const stores: RegistrationTuple[] = [1n, 2n, 3n].map((sk, i) => {
    const { g1: publicKeyG1, g2: publicKeyG2 } = blsPublicKeysOf(sk);
    return {
      attester: getAddress(`0x${String(i + 7).repeat(40)}`),
      publicKeyG1,
      publicKeyG2,
      proofOfPossession: { x: 1n, y: 2n },
    };
  });

  it("encodes addKeysToProvider(providerId, tuples), at most n key stores per call", () => {
    const txs = encodeAddKeysTransactions(registry, 42n, stores, 2);
    expect(txs.map((t) => t.contractToCall)).toEqual([registry, registry]);
    expect(txs.map((t) => t.attesters)).toEqual([
      [stores[0]!.attester, stores[1]!.attester],
      [stores[2]!.attester],
    ]);
    const decoded = txs.map((t) =>
      decodeFunctionData({ abi: stakingRegistryAbi, data: t.callData }),
    );
    expect(decoded[0]).toEqual({
      functionName: "addKeysToProvider",
      args: [42n, stores.slice(0, 2)],
    });
    expect(decoded[1]).toEqual({ functionName: "addKeysToProvider", args: [42n, stores.slice(2)] });
    expect(encodeAddKeysTransactions(registry, 42n, stores, 100)).toHaveLength(1);
  });
});

describe("gse-abi", () => {
  it("holds the very fragments of @aztec/l1-artifacts' GSEAbi and RollupAbi", () => {
    expect(gseAbi).toEqual(
      GSEAbi.filter((f) => f.type === "function" && f.name === "getRegistrationDigest"),
    );
    expect(aztecRollupAbi.filter((f) => f.name === "getGSE")).toEqual(
      RollupAbi.filter((f) => f.type === "function" && f.name === "getGSE"),
    );
  });
});
