import { z } from "zod";

/** 20-byte L1 address, any case. Checksums are not enforced on input (operators paste lowercase). */
export const ethAddressSchema = z
  .string({ error: "must be a string" })
  .regex(/^0x[0-9a-fA-F]{40}$/, "must be an address: 0x followed by 40 hex digits");

/** 32-byte hex value: compressed BN254 G1 public key, Aztec address (feeRecipient), private key. */
export const bytes32Schema = z
  .string({ error: "must be a string" })
  .regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x followed by 64 hex digits");

export type Hex = `0x${string}`;

export const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

export function isZeroHex(value: string): boolean {
  return /^0x0*$/.test(value);
}
