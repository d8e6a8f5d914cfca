import { z } from "zod";

/**
 * Web3 Secret Storage v3 (the eth keystore geth, ethers and `aztec validator-keys new` write).
 * Only what aztec-butler decrypts: aes-128-ctr with scrypt or pbkdf2 (hmac-sha256). The `crypto`
 * key is sometimes spelled `Crypto` (geth's early files); both are accepted.
 */
const hexBytes = z.string().regex(/^(0x)?([0-9a-fA-F]{2})*$/, { error: "must be hex" });

/**
 * The work a keystore may ask for before it is refused (README "Keeping keys safe"): above what
 * any real tool writes (Aztec's CLI: scrypt n=2^17, r=8, p=1; EIP-2335 pbkdf2 c=2^18), far below
 * what would run for hours (pbkdf2 c=2^31-1) or exhaust memory (scrypt needs 128·n·r bytes).
 */
export const KEYSTORE_KDF_LIMITS = {
  scryptN: 2 ** 18,
  scryptR: 8,
  scryptP: 16,
  pbkdf2C: 2 ** 20,
  dklen: 32,
} as const;

const dklen = z.literal(KEYSTORE_KDF_LIMITS.dklen, { error: "dklen must be 32" });
const pbkdf2C = z
  .number()
  .int()
  .positive()
  .max(KEYSTORE_KDF_LIMITS.pbkdf2C, { error: "pbkdf2 c must be at most 2^20 (1,048,576)" });

const scryptParams = z.object({
  n: z
    .number()
    .int()
    .min(2)
    .max(KEYSTORE_KDF_LIMITS.scryptN, { error: "scrypt n must be at most 2^18 (262,144)" })
    .refine((n) => (n & (n - 1)) === 0, { error: "scrypt n must be a power of 2" }),
  r: z
    .number()
    .int()
    .positive()
    .max(KEYSTORE_KDF_LIMITS.scryptR, { error: "scrypt r must be at most 8" }),
  p: z
    .number()
    .int()
    .positive()
    .max(KEYSTORE_KDF_LIMITS.scryptP, { error: "scrypt p must be at most 16" }),
  dklen,
  salt: hexBytes,
});
const pbkdf2Params = z.object({
  c: pbkdf2C,
  dklen,
  prf: z.literal("hmac-sha256", { error: "prf must be hmac-sha256" }),
  salt: hexBytes,
});

const cipherFields = {
  cipher: z.literal("aes-128-ctr", { error: "cipher must be aes-128-ctr" }),
  cipherparams: z.object({ iv: hexBytes }),
  ciphertext: hexBytes,
  mac: hexBytes,
};
const ethKeystoreCrypto = z.discriminatedUnion(
  "kdf",
  [
    z.object({ ...cipherFields, kdf: z.literal("scrypt"), kdfparams: scryptParams }),
    z.object({ ...cipherFields, kdf: z.literal("pbkdf2"), kdfparams: pbkdf2Params }),
  ],
  {
    error: (issue) => (issue.code === "invalid_union" ? "kdf must be scrypt or pbkdf2" : undefined),
  },
);

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
        dklen,
        c: pbkdf2C,
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
