import { z } from "zod";
import { aztecAddressSchema, bytes32Schema, ethAddressSchema } from "./primitives.js";

/**
 * The file `process-private-keys` writes and `prepare-deployment` reads: the new validators'
 * public identity only. Key order (attester.eth, attester.bls, feeRecipient) is the order
 * written, as in the specification's example.
 */
export const publicKeyValidatorSchema = z.strictObject({
  attester: z.strictObject({
    eth: ethAddressSchema,
    bls: bytes32Schema,
  }),
  feeRecipient: aztecAddressSchema,
});

export const publicKeyFileSchema = z.strictObject({
  schemaVersion: z.literal(1, { error: "must be 1" }),
  validators: z.array(publicKeyValidatorSchema, { error: "must be a list" }).min(1, {
    error: "has no validators",
  }),
});

export type PublicKeyFile = z.infer<typeof publicKeyFileSchema>;
export type PublicKeyValidator = z.infer<typeof publicKeyValidatorSchema>;
