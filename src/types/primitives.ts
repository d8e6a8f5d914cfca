import { checksumAddress } from "viem";
import { z } from "zod";

/** 0x and 40 hex digits, any case: an address's shape, its checksum not checked. */
export const ADDRESS_SHAPE = /^0x[0-9a-fA-F]{40}$/;

export type AddressProblem = "shape" | "checksum";

/**
 * Why a string is not an L1 address the node accepts, or undefined when it is one. The node's
 * rule (EthAddress.isAddress): 0x and 40 hex digits, all lowercase, all uppercase, or mixed case
 * with a valid EIP-55 checksum. A mixed-case address with a wrong checksum is most likely a typo.
 */
export function addressProblem(value: string): AddressProblem | undefined {
  if (!ADDRESS_SHAPE.test(value)) return "shape";
  const digits = value.slice(2);
  if (digits === digits.toLowerCase() || digits === digits.toUpperCase()) return undefined;
  return checksumAddress(value as Hex) === value ? undefined : "checksum";
}

export const ADDRESS_MESSAGES: Record<AddressProblem, string> = {
  shape: "must be an address: 0x followed by 40 hex digits",
  checksum:
    "has mixed-case letters that are not its EIP-55 checksum (a typo?); write it checksummed or all lowercase",
};

/**
 * A schema's custom issue says which refusal it is in its `params` (`{ refusal: <InputError
 * code> }`), read by parseWithSchema (core/files/json-file.ts); issues without one are
 * INVALID_FIELD (or MISSING_FIELD, WRONG_TYPE by zod's own codes).
 */
export const refusalOf = (code: string) => ({ refusal: code });
const INVALID_ADDRESS = refusalOf("INVALID_ADDRESS");

/** 20-byte L1 address as the node accepts it (see addressProblem). */
export const ethAddressSchema = z
  .string({ error: "must be a string" })
  .superRefine((value, ctx) => {
    const problem = addressProblem(value);
    if (problem)
      ctx.addIssue({ code: "custom", message: ADDRESS_MESSAGES[problem], params: INVALID_ADDRESS });
  });

/** 32-byte hex value: compressed BN254 G1 public key, private key. */
export const bytes32Schema = z
  .string({ error: "must be a string" })
  .regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x followed by 64 hex digits");

/**
 * The order of BN254's scalar field Fr: a BLS private key is a scalar below it, and an Aztec
 * address is an Fr element, so it must be below it too.
 */
export const BN254_FR_MODULUS =
  21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** Why a string is not an Aztec address (feeRecipient), or undefined when it is one. */
export function aztecAddressProblem(value: unknown): string | undefined {
  if (typeof value !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(value)) {
    return "must be an Aztec address: 0x followed by 64 hex digits";
  }
  if (BigInt(value) >= BN254_FR_MODULUS) {
    return "is not an Aztec address: it is not below the BN254 field modulus, so the node would reject it";
  }
  return undefined;
}

/** An Aztec address (feeRecipient): 32 bytes, below the BN254 field modulus. */
export const aztecAddressSchema = z
  .string({ error: "must be a string" })
  .superRefine((value, ctx) => {
    const problem = aztecAddressProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem, params: INVALID_ADDRESS });
  });

export type Hex = `0x${string}`;

export const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

export function isZeroHex(value: string): boolean {
  return /^0x0*$/.test(value);
}
