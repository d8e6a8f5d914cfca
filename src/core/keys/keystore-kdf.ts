import { createCipheriv, createHash, pbkdf2Sync, randomBytes, randomUUID } from "node:crypto";

/**
 * The key-derivation costs of the keystores this tool writes: Aztec's own, always, for an
 * operator. `aztec validator-keys new` writes v3 eth keystores with ethers' defaults (scrypt
 * n=2^17, r=8, p=1, as geth's standard mode) and BN254 BLS keystores with Aztec's
 * createBn254Keystore (pbkdf2 c=2^18): about 0.6 s and 0.13 s a key on a small machine.
 */
export const ETH_KEYSTORE_SCRYPT = { n: 131_072, r: 8, p: 1, dklen: 32 } as const;
export const BLS_KEYSTORE_PBKDF2_ITERATIONS = 262_144;

/**
 * TESTS ONLY: the test suite's cheap parameters (scrypt n=2^10, pbkdf2 c=2^10), so that the
 * hundreds of keystores its runs write cost milliseconds. Never chosen by anything an operator
 * can set: no option, environment variable or file switches them on. Only code already running
 * inside the process can, by setting the global below before the tool runs — the suite's
 * preload `tests/support/test-only-cheap-kdf.mjs` (`node --import`, which worker threads
 * inherit) does, in vitest's forks and in the runs it spawns. Without it (the bin as operators
 * run it) every keystore is written with Aztec's parameters above. Reading a keystore always
 * uses the parameters it declares.
 */
export const TEST_ONLY_ETH_KEYSTORE_SCRYPT = { n: 1024, r: 8, p: 1, dklen: 32 } as const;
export const TEST_ONLY_BLS_KEYSTORE_PBKDF2_ITERATIONS = 1024;
export const TEST_ONLY_CHEAP_KDF = Symbol.for("aztec-butler.test-only.cheap-keystore-kdf");

/** Whether this process was started by the test suite's cheap-KDF preload (see above). */
export function testOnlyCheapKdf(): boolean {
  return (globalThis as Record<symbol, unknown>)[TEST_ONLY_CHEAP_KDF] === true;
}

/** The scrypt parameters for a new v3 eth keystore. */
export function ethKeystoreScrypt(): { n: number; r: number; p: number; dklen: number } {
  return testOnlyCheapKdf() ? TEST_ONLY_ETH_KEYSTORE_SCRYPT : ETH_KEYSTORE_SCRYPT;
}

/**
 * TESTS ONLY (called only when testOnlyCheapKdf()): a BN254 keystore byte for byte in the format
 * of Aztec's createBn254Keystore (which has its c=2^18 built in), with c=2^10. Aztec's own
 * decrypter and the node's loader open it (tests/chain/keystore-dir-store.test.ts).
 */
export function testOnlyCheapBn254Keystore(
  password: string,
  privateKeyHex: string,
  pubkeyHex: string,
): unknown {
  if (!testOnlyCheapKdf()) throw new Error("test-only cheap keystores outside a test run");
  const c = TEST_ONLY_BLS_KEYSTORE_PBKDF2_ITERATIONS;
  const salt = randomBytes(32);
  const iv = randomBytes(16);
  const dk = pbkdf2Sync(Buffer.from(password.normalize("NFKD"), "utf8"), salt, c, 32, "sha256");
  const cipher = createCipheriv("aes-128-ctr", dk.subarray(0, 16), iv);
  const ciphertext = Buffer.concat([
    cipher.update(Buffer.from(privateKeyHex.replace(/^0x/i, ""), "hex")),
    cipher.final(),
  ]);
  const checksum = createHash("sha256")
    .update(Buffer.concat([dk.subarray(16, 32), ciphertext]))
    .digest("hex");
  return {
    crypto: {
      kdf: {
        function: "pbkdf2",
        params: { dklen: 32, c, prf: "hmac-sha256", salt: salt.toString("hex") },
        message: "",
      },
      checksum: { function: "sha256", params: {}, message: checksum },
      cipher: {
        function: "aes-128-ctr",
        params: { iv: iv.toString("hex") },
        message: ciphertext.toString("hex"),
      },
    },
    description: pubkeyHex.replace(/^0x/i, ""),
    pubkey: pubkeyHex,
    path: "",
    uuid: randomUUID(),
    version: 4,
  };
}
