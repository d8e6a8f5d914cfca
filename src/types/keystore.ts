import { z } from "zod";

/**
 * Web3 Secret Storage v3 (the eth keystore geth, ethers and `aztec validator-keys new` write).
 * Only what aztec-butler decrypts: aes-128-ctr with scrypt or pbkdf2 (hmac-sha256). The `crypto`
 * key is sometimes spelled `Crypto` (geth's early files); both are accepted.
 */
const hexBytes = z.string().regex(/^(0x)?([0-9a-fA-F]{2})*$/, { error: "must be hex" });

const scryptParams = z.object({
  n: z.number().int().positive(),
  r: z.number().int().positive(),
  p: z.number().int().positive(),
  dklen: z.number().int().min(32),
  salt: hexBytes,
});
const pbkdf2Params = z.object({
  c: z.number().int().positive(),
  dklen: z.number().int().min(32),
  prf: z.literal("hmac-sha256", { error: "prf must be hmac-sha256" }),
  salt: hexBytes,
});

const ethKeystoreCrypto = z.object({
  cipher: z.literal("aes-128-ctr", { error: "cipher must be aes-128-ctr" }),
  cipherparams: z.object({ iv: hexBytes }),
  ciphertext: hexBytes,
  mac: hexBytes,
  kdf: z.enum(["scrypt", "pbkdf2"], { error: "kdf must be scrypt or pbkdf2" }),
  kdfparams: z.union([scryptParams, pbkdf2Params]),
});

export const ethKeystoreSchema = z
  .object({
    version: z.literal(3, { error: "version must be 3" }),
    address: z
      .string()
      .regex(/^(0x)?[0-9a-fA-F]{40}$/, { error: "address must be 20 bytes of hex" })
      .optional(),
    id: z.string().optional(),
    crypto: ethKeystoreCrypto.optional(),
    Crypto: ethKeystoreCrypto.optional(),
  })
  .refine((k) => k.crypto !== undefined || k.Crypto !== undefined, {
    error: "has no crypto section",
  });

export type EthKeystore = z.infer<typeof ethKeystoreSchema>;

/**
 * EIP-2335 keystore in Aztec's BN254 format (`@aztec/foundation/crypto/bls/bn254_keystore`):
 * pbkdf2 (hmac-sha256) + aes-128-ctr + sha256 checksum, `pubkey` the compressed G1 key.
 */
export const blsKeystoreSchema = z.object({
  crypto: z.object({
    kdf: z.object({
      function: z.literal("pbkdf2", { error: "kdf must be pbkdf2" }),
      params: z.object({
        dklen: z.literal(32, { error: "dklen must be 32" }),
        c: z.number().int().positive(),
        prf: z.literal("hmac-sha256", { error: "prf must be hmac-sha256" }),
        salt: hexBytes,
      }),
      message: z.string(),
    }),
    checksum: z.object({
      function: z.literal("sha256", { error: "checksum must be sha256" }),
      params: z.object({}),
      message: hexBytes,
    }),
    cipher: z.object({
      function: z.literal("aes-128-ctr", { error: "cipher must be aes-128-ctr" }),
      params: z.object({ iv: hexBytes }),
      message: hexBytes,
    }),
  }),
  description: z.string().optional(),
  pubkey: z.string().regex(/^(0x)?[0-9a-fA-F]{64}$/, {
    error: "pubkey must be a compressed BN254 G1 key (32 bytes of hex)",
  }),
  path: z.string(),
  uuid: z.string(),
  version: z.literal(4, { error: "version must be 4" }),
});

export type BlsKeystore = z.infer<typeof blsKeystoreSchema>;
