/**
 * Whether a registration tuple would pass Aztec's GSE at the rollup's flush (BN254Lib.proofOfPossession),
 * computed in this process with @noble/curves: the fallback of the in-node check
 * (contracts/KeyStoreChecker.sol) for nodes that refuse deployless calls, and the oracle its tests
 * compare it with. Same classification as the contract. Pure (and slow: two pairings per key, some
 * 25 ms each on a busy core; the contract's batched check is what status uses).
 *
 * The GSE's check is e(σ + γ·pk1, −G2) · e(H + γ·G1, pk2) == 1 with γ = keccak(pk1, pk2, σ) mod r
 * and H the GSE's registration digest of pk1: the proof of possession e(σ, G2) = e(H, pk2) and the
 * keys' agreement e(pk1, G2) = e(G1, pk2) at once.
 */
import { bn254 } from "@noble/curves/bn254.js";
import { encodeAbiParameters, keccak256 } from "viem";
import { BN254_FR_MODULUS } from "../../types/primitives.js";
import { isG1Point, type G1Point, type RegistrationTuple } from "./registration.js";
import type { RegistrationTupleCheck } from "../plan/provider-queue-health.js";

export type { RegistrationTupleCheck };

const { G1, G2 } = bn254;
const { Fp, Fp2, Fp12 } = bn254.fields;

/** G2's point of a registration tuple's {x0, x1, y0, y1} (x = x0 + x1·u), or undefined if it is not one. */
function g2PointOf({ x0, x1, y0, y1 }: RegistrationTuple["publicKeyG2"]) {
  if ([x0, x1, y0, y1].some((c) => c >= Fp.ORDER) || (x0 | x1 | y0 | y1) === 0n) return undefined;
  try {
    const point = G2.Point.fromAffine({
      x: Fp2.create({ c0: x0, c1: x1 }),
      y: Fp2.create({ c0: y0, c1: y1 }),
    });
    point.assertValidity(); // on the twist and in the group of order r
    return point;
  } catch {
    return undefined;
  }
}

const words = Array.from({ length: 8 }, () => ({ type: "uint256" }) as const);

/** The GSE's γ = keccak(abi.encode(pk1, pk2, σ)) mod r. */
function gammaOf({
  publicKeyG1: p1,
  publicKeyG2: p2,
  proofOfPossession: s,
}: RegistrationTuple): bigint {
  const encoded = encodeAbiParameters(words, [p1.x, p1.y, p2.x0, p2.x1, p2.y0, p2.y1, s.x, s.y]);
  return BigInt(keccak256(encoded)) % BN254_FR_MODULUS;
}

type Pair = { g1: InstanceType<typeof G1.Point>; g2: InstanceType<typeof G2.Point> };

/** Π e(g1, g2) == 1, a pair with the point at infinity counting 1 (as EIP-197's precompile does). */
function holds(pairs: Pair[]): boolean {
  const finite = pairs.filter((p) => !p.g1.is0());
  return finite.length === 0 || Fp12.eql(bn254.pairingBatch(finite), Fp12.ONE);
}

/** The registration tuple's verdict against `digest`, the GSE's registration digest of its G1 key. */
export function checkRegistrationTuple(
  tuple: RegistrationTuple,
  digest: G1Point,
): RegistrationTupleCheck {
  const pk2 = g2PointOf(tuple.publicKeyG2);
  if (!isG1Point(tuple.publicKeyG1) || pk2 === undefined) return "INVALID_KEYS";
  if (!isG1Point(tuple.proofOfPossession)) return "INVALID_PROOF_OF_POSSESSION";
  if (!isG1Point(digest)) throw new RangeError("registration digest is not a point of BN254's G1");
  const gamma = gammaOf(tuple);
  if (gamma === 0n) return "INVALID_PROOF_OF_POSSESSION";
  const pk1 = G1.Point.fromAffine(tuple.publicKeyG1);
  const left = G1.Point.fromAffine(tuple.proofOfPossession).add(pk1.multiply(gamma));
  const right = G1.Point.fromAffine(digest).add(G1.Point.BASE.multiply(gamma));
  const negG2 = G2.Point.BASE.negate();
  if (
    holds([
      { g1: left, g2: negG2 },
      { g1: right, g2: pk2 },
    ])
  )
    return "SOUND";
  const sameKey = holds([
    { g1: pk1, g2: negG2 },
    { g1: G1.Point.BASE, g2: pk2 },
  ]);
  return sameKey ? "INVALID_PROOF_OF_POSSESSION" : "INVALID_KEYS";
}
