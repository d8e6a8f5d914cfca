import { z } from "zod";
import { bytes32Schema, ethAddressSchema } from "./primitives.js";

/**
 * The production key file deployed on the node: public keys only, signing delegated to a
 * web3signer (`remoteSigner`). Only the fields this tool reasons about are checked here; every
 * other field (top-level or per validator) passes through untouched, in its original key order,
 * and the finished file is then checked against the node's own keystore schema before writing.
 */
export const productionValidatorSchema = z.looseObject({
  attester: z.looseObject(
    {
      eth: ethAddressSchema,
      bls: bytes32Schema.optional(),
    },
    { error: "must be an object {eth, bls} of public keys" },
  ),
  publisher: z.union([ethAddressSchema, z.array(ethAddressSchema)]).optional(),
  coinbase: ethAddressSchema.optional(),
  feeRecipient: bytes32Schema.optional(),
});

export const productionKeyFileSchema = z.looseObject({
  schemaVersion: z.union([z.literal(1), z.literal(2)], { error: "must be 1 or 2" }),
  remoteSigner: z.unknown().optional(),
  validators: z.array(productionValidatorSchema, { error: "must be a list" }),
});

export type ProductionKeyFile = z.infer<typeof productionKeyFileSchema>;
export type ProductionValidator = z.infer<typeof productionValidatorSchema>;
