import { z } from "zod";

/**
 * The file `aztec validator-keys new` writes: attester private keys (eth = secp256k1, bls = BN254
 * scalar), a publisher private key (or several) and the fee recipient. With `--password`, every
 * key is instead `{path, password}`: an encrypted keystore (Web3 Secret Storage v3 for eth keys,
 * EIP-2335 for BLS keys); the password may be left out and given to the command instead.
 *
 * Key *content* (hex length, range, duplicates) is checked in core/keys/private-keys.ts, which
 * can say which rule failed without ever echoing the key; the schema only checks shape.
 */
const privateKeySlot = z.string({ error: "must be a private key string" });

/** `{path, password?}`: an encrypted keystore; a relative path is relative to the key file. */
export const keystoreReferenceSchema = z.strictObject({
  path: z.string({ error: "must be the path of a keystore file" }).min(1, {
    error: "must be the path of a keystore file",
  }),
  password: z.string({ error: "must be a string" }).optional(),
});

const keySlot = z.union([privateKeySlot, keystoreReferenceSchema], {
  // An object is meant as a keystore reference; anything else as a key.
  error: (issue) =>
    typeof issue.input === "object" && issue.input !== null && !Array.isArray(issue.input)
      ? "must be {path, password?} of an encrypted keystore (path a string, password a string)"
      : "must be a private key string",
});

export const privateKeyInputValidatorSchema = z.strictObject({
  attester: z.strictObject(
    { eth: keySlot, bls: keySlot },
    { error: "must be an object {eth, bls} of private keys (or encrypted keystores)" },
  ),
  publisher: z.union([keySlot, z.array(keySlot)], {
    error: "must be a private key or a list of them",
  }),
  feeRecipient: z.string({ error: "must be a string" }),
  coinbase: z.string({ error: "must be a string" }).optional(),
});

export const privateKeyInputFileSchema = z.strictObject({
  schemaVersion: z.literal(1, { error: "must be 1" }),
  validators: z.array(privateKeyInputValidatorSchema, { error: "must be a list" }).min(1, {
    error: "has no validators",
  }),
});

export type KeystoreReference = z.infer<typeof keystoreReferenceSchema>;
export type KeySlot = z.infer<typeof keySlot>;
/** The file as read: any key may still be an encrypted keystore. */
export type PrivateKeyInputFile = z.infer<typeof privateKeyInputFileSchema>;
export type PrivateKeyInputValidator = z.infer<typeof privateKeyInputValidatorSchema>;

/**
 * A validator whose attester keys are plain (decrypted when they were keystores). Publisher
 * keystores stay references: the flow never uses publisher keys, so they are checked for shape
 * and not decrypted.
 */
export type PrivateKeyValidator = Omit<PrivateKeyInputValidator, "attester"> & {
  attester: { eth: string; bls: string };
};
export interface PrivateKeyFile {
  schemaVersion: 1;
  validators: PrivateKeyValidator[];
}
