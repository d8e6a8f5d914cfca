/**
 * What the staking registry's addKeysToProvider needs for each validator, computed as Aztec's own
 * GSEContract.makeRegistrationTuple does (@aztec/ethereum, contracts/gse.js):
 *
 *   publicKeyG1       = G1 generator × sk
 *   publicKeyG2       = G2 generator × sk, as {x0: x.c0, x1: x.c1, y0: y.c0, y1: y.c1}
 *   proofOfPossession = GSE.getRegistrationDigest(publicKeyG1) × sk
 *
 * on BN254, where sk is the validator's BLS secret key: together, with the attester address, a
 * registration tuple (Solidity's IStakingRegistry.KeyStore, a name this code leaves to Solidity:
 * a keystore here is an encrypted key file). Everything here is pure; the digests are read by
 * core/chain/gse.ts.
 */
import { bn254 } from "@noble/curves/bn254.js";
import { encodeFunctionData, type Address, type Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { stakingRegistryAbi } from "../../types/abi/staking-registry.js";
import { BN254_FR_MODULUS } from "../../types/primitives.js";
import { splitIntoChunks } from "../plan/chunks.js";

export interface G1Point {
  x: bigint;
  y: bigint;
}

/** A G2 point as the registry and the GSE take it: x = x0 + x1·u, y = y0 + y1·u. */
export interface G2Point {
  x0: bigint;
  x1: bigint;
  y0: bigint;
  y1: bigint;
}

export interface BlsPublicKeys {
  g1: G1Point;
  g2: G2Point;
}

/**
 * A registration tuple: one entry of addKeysToProvider's `_keyStores` (Solidity's
 * IStakingRegistry.KeyStore struct), what the GSE checks when the attester is deposited.
 */
export interface RegistrationTuple {
  attester: Address;
  publicKeyG1: G1Point;
  publicKeyG2: G2Point;
  proofOfPossession: G1Point;
}

/** A validator's public side, before the GSE has been asked for its digest. */
export interface RegistrationKeys {
  /** Checksummed L1 address of the attester's eth key. */
  attester: Address;
  bls: BlsPublicKeys;
}

/** Never includes the key: the message may be printed. */
function checkedSecretKey(secretKey: bigint): bigint {
  if (secretKey <= 0n || secretKey >= BN254_FR_MODULUS) {
    throw new RangeError("BLS secret key is not in [1, BN254 scalar field order)");
  }
  return secretKey;
}

/** The BLS public keys in G1 and G2 of a secret key in [1, r). */
export function blsPublicKeysOf(secretKey: bigint): BlsPublicKeys {
  const sk = checkedSecretKey(secretKey);
  const g1 = bn254.G1.Point.BASE.multiply(sk).toAffine();
  const g2 = bn254.G2.Point.BASE.multiply(sk).toAffine();
  return {
    g1: { x: g1.x, y: g1.y },
    g2: { x0: g2.x.c0, x1: g2.x.c1, y0: g2.y.c0, y1: g2.y.c1 },
  };
}

/** The attester address and BLS public keys of one validator's private keys (already checked). */
export function registrationKeysOf(privateKeys: { eth: Hex; bls: Hex }): RegistrationKeys {
  return {
    attester: privateKeyToAddress(privateKeys.eth),
    bls: blsPublicKeysOf(BigInt(privateKeys.bls)),
  };
}

/**
 * True for an affine point on BN254's G1 other than the point at infinity (which the EVM writes
 * as (0, 0)). G1 has cofactor 1, so on the curve means in the group.
 */
export function isG1Point(point: G1Point): boolean {
  try {
    const p = bn254.G1.Point.fromAffine(point);
    if (p.is0()) return false;
    p.assertValidity();
    return true;
  } catch {
    return false;
  }
}

/** The proof of possession: the registration digest signed with the BLS secret key (digest × sk). */
export function proofOfPossession(digest: G1Point, secretKey: bigint): G1Point {
  const sk = checkedSecretKey(secretKey);
  if (!isG1Point(digest)) throw new RangeError("registration digest is not a point of BN254's G1");
  const pop = bn254.G1.Point.fromAffine(digest).multiply(sk).toAffine();
  return { x: pop.x, y: pop.y };
}

/** Registration tuples in input order: validator i gets digest i. */
export function buildRegistrationTuples(
  validators: readonly { keys: RegistrationKeys; blsSecretKey: bigint }[],
  digests: readonly G1Point[],
  onProgress?: (done: number) => void,
): RegistrationTuple[] {
  if (digests.length !== validators.length) {
    throw new Error(`${digests.length} registration digests for ${validators.length} validators`);
  }
  return validators.map(({ keys, blsSecretKey }, i) => {
    const tuple = {
      attester: keys.attester,
      publicKeyG1: keys.bls.g1,
      publicKeyG2: keys.bls.g2,
      proofOfPossession: proofOfPossession(digests[i]!, blsSecretKey),
    };
    if (onProgress && (i + 1) % 25 === 0) onProgress(i + 1);
    return tuple;
  });
}

/** One addKeysToProvider transaction for the provider admin to send. */
export interface AddKeysTransaction {
  contractToCall: Address;
  callData: Hex;
  /** The attesters it adds, in queue order. */
  attesters: Address[];
}

/**
 * The addKeysToProvider(providerId, tuples) calls that add every registration tuple to the provider's
 * queue in order, at most `maxKeysPerTransaction` per call.
 */
export function encodeAddKeysTransactions(
  registry: Address,
  providerId: bigint,
  tuples: readonly RegistrationTuple[],
  maxKeysPerTransaction: number,
): AddKeysTransaction[] {
  return splitIntoChunks(tuples, maxKeysPerTransaction).map((chunk) => ({
    contractToCall: registry,
    callData: encodeFunctionData({
      abi: stakingRegistryAbi,
      functionName: "addKeysToProvider",
      args: [providerId, chunk],
    }),
    attesters: chunk.map((k) => k.attester),
  }));
}

/** A validator as the private-key file holds it (the keys already checked). */
interface PrivateKeyAttester {
  attester: { eth: string; bls: string };
}

/**
 * Each validator's registration keys and BLS secret key, in input order; `onProgress` is told
 * every 25 validators (the BLS G2 multiplication is the slow part).
 */
export function registrationInputsOf(
  validators: readonly PrivateKeyAttester[],
  onProgress?: (done: number) => void,
): { keys: RegistrationKeys; blsSecretKey: bigint }[] {
  return validators.map((v, i) => {
    const keys = registrationKeysOf({ eth: v.attester.eth as Hex, bls: v.attester.bls as Hex });
    if (onProgress && (i + 1) % 25 === 0) onProgress(i + 1);
    return { keys, blsSecretKey: BigInt(v.attester.bls) };
  });
}

/**
 * add-keys' stdout and --output: one transaction as {contractToCall, callData}; several as
 * {transactions: [...]}, to be sent in that order.
 */
export function calldataJson(
  transactions: readonly Pick<AddKeysTransaction, "contractToCall" | "callData">[],
): unknown {
  const bare = ({
    contractToCall,
    callData,
  }: Pick<AddKeysTransaction, "contractToCall" | "callData">) => ({
    contractToCall,
    callData,
  });
  return transactions.length === 1
    ? bare(transactions[0]!)
    : { transactions: transactions.map(bare) };
}
