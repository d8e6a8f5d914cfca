import { InputError, type InputErrorCode } from "../errors.js";
import type { PrivateKeyValidator } from "../../types/private-key-file.js";
import {
  ADDRESS_MESSAGES,
  BN254_FR_MODULUS,
  addressProblem,
  aztecAddressProblem,
  type Hex,
} from "../../types/primitives.js";

/** secp256k1 group order n: an eth private key must be in [1, n). */
export const SECP256K1_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

const PRIVATE_KEY_PATTERN = /^0x[0-9a-fA-F]{64}$/;
const digitsOf = (n: bigint) => n.toString(16).padStart(64, "0");
const ZERO_DIGITS = digitsOf(0n);
const SECP256K1_ORDER_DIGITS = digitsOf(SECP256K1_ORDER);
const BN254_FR_DIGITS = digitsOf(BN254_FR_MODULUS);

export type PrivateKeyKind = "eth" | "bls";

/**
 * Why a private key is unusable, or undefined when it is fine. Never includes the key itself:
 * the result goes into error messages.
 */
export function privateKeyProblem(value: unknown, kind: PrivateKeyKind): string | undefined {
  if (typeof value !== "string") return "must be a private key string";
  if (!PRIVATE_KEY_PATTERN.test(value)) {
    return `is not a private key: must be 0x followed by 64 hex digits (got ${describeShape(value)})`;
  }
  // 64 hex digits, lowercase: their order is the numbers' (no BigInt per key: 30,000 keys of a
  // 10,000-validator file are checked before derivation starts).
  const digits = value.slice(2).toLowerCase();
  if (digits === ZERO_DIGITS) return "is zero, which is not a valid private key";
  if (kind === "eth" && digits >= SECP256K1_ORDER_DIGITS) {
    return "is not below the secp256k1 group order, so it is not a valid eth private key";
  }
  // A BLS private key must be in [1, r): computeBn254G1PublicKeyCompressed silently reduces
  // modulo r, so a key ≥ r would yield the public key of a *different* secret.
  if (kind === "bls" && digits >= BN254_FR_DIGITS) {
    return "is not below the BN254 scalar field order, so it is not a valid BLS private key";
  }
  return undefined;
}

/** The shape of a malformed key without its content: its length and whether it has 0x. */
function describeShape(value: string): string {
  const body = value.startsWith("0x") || value.startsWith("0X") ? value.slice(2) : value;
  const hex = /^[0-9a-fA-F]*$/.test(body);
  return `${value.length} characters${value.startsWith("0x") ? "" : ", no 0x prefix"}${hex ? "" : ", not all hex"}`;
}

/**
 * Checks every key of a private-key file before anything is derived or written: each attester
 * and publisher key is well-formed and in range, no attester key appears twice (as eth or bls
 * key, of any validator), feeRecipient and coinbase have the right shape. Throws at the first
 * problem, naming file, validator and field.
 */
export function refuseUnusablePrivateKeys(
  file: string,
  validators: readonly PrivateKeyValidator[],
): void {
  const seen = new Map<string, { index: number; field: string }>();
  validators.forEach((validator, index) => {
    const fail = (code: InputErrorCode, field: string, message: string): never => {
      throw new InputError(code, message, { file, index, field });
    };
    for (const kind of ["eth", "bls"] as const) {
      const field = `attester.${kind}`;
      const key = validator.attester[kind];
      const problem = privateKeyProblem(key, kind);
      if (problem) fail("INVALID_PRIVATE_KEY", field, problem);
      // One secret per slot: the same value as another attester's eth or bls key (or as this
      // attester's other key) is refused too, since reusing a secret across curves or validators
      // ties their safety together.
      const normalized = key.toLowerCase();
      const earlier = seen.get(normalized);
      if (earlier) {
        fail(
          "DUPLICATE_PRIVATE_KEY",
          field,
          `is the same private key as validator ${earlier.index}'s ${earlier.field}`,
        );
      }
      seen.set(normalized, { index, field });
    }
    const publishers = Array.isArray(validator.publisher)
      ? validator.publisher
      : [validator.publisher];
    publishers.forEach((key, i) => {
      // A publisher keystore was checked for shape when read (its key is never used).
      if (typeof key !== "string") return;
      const problem = privateKeyProblem(key, "eth");
      if (problem)
        fail(
          "INVALID_PRIVATE_KEY",
          Array.isArray(validator.publisher) ? `publisher[${i}]` : "publisher",
          problem,
        );
    });
    const feeRecipientProblem = aztecAddressProblem(validator.feeRecipient);
    if (feeRecipientProblem) fail("INVALID_ADDRESS", "feeRecipient", feeRecipientProblem);
    const coinbaseProblem =
      validator.coinbase === undefined ? undefined : addressProblem(validator.coinbase);
    if (coinbaseProblem) fail("INVALID_ADDRESS", "coinbase", ADDRESS_MESSAGES[coinbaseProblem]);
  });
}

export interface AttesterPrivateKeys {
  eth: Hex;
  bls: Hex;
}

export interface AttesterPublicKeys {
  /** Checksummed L1 address of the eth key. */
  eth: Hex;
  /** Compressed BN254 G1 public key of the bls key (32 bytes). */
  bls: Hex;
}

/** The attester keys of each (checked) validator, in file order, as the derivation takes them. */
export function privateKeysOf(
  validators: readonly { attester: { eth: string; bls: string } }[],
): AttesterPrivateKeys[] {
  return validators.map((v) => ({ eth: v.attester.eth as Hex, bls: v.attester.bls as Hex }));
}
