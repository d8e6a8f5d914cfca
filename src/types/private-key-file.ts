import { z } from "zod";

/**
 * The file `aztec validator-keys new` writes: attester private keys (eth = secp256k1, bls = BN254
 * scalar), a publisher private key (or several) and the fee recipient.
 *
 * Key *content* (hex length, range, duplicates) is checked in core/keys.ts, which can say which
 * rule failed without ever echoing the key; the schema only checks shape.
 */
const privateKeySlot = z.string({ error: "must be a private key string" });

export const privateKeyValidatorSchema = z.strictObject({
  attester: z.strictObject(
    { eth: privateKeySlot, bls: privateKeySlot },
    { error: "must be an object {eth, bls} of private keys" },
  ),
  publisher: z.union([privateKeySlot, z.array(privateKeySlot)], {
    error: "must be a private key or a list of them",
  }),
  feeRecipient: z.string({ error: "must be a string" }),
  coinbase: z.string({ error: "must be a string" }).optional(),
});

export const privateKeyFileSchema = z.strictObject({
  schemaVersion: z.literal(1, { error: "must be 1" }),
  validators: z.array(privateKeyValidatorSchema, { error: "must be a list" }).min(1, {
    error: "has no validators",
  }),
});

export type PrivateKeyFile = z.infer<typeof privateKeyFileSchema>;
export type PrivateKeyValidator = z.infer<typeof privateKeyValidatorSchema>;
