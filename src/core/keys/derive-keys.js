// Plain JavaScript so that worker threads can load it without a TypeScript loader.
//
// Each half is loaded on first use: a worker that only derives eth addresses never loads
// @aztec/foundation (Barretenberg's WebAssembly and the logger thread it starts).

/** @type {Promise<(key: `0x${string}`) => `0x${string}`> | undefined} */
let ethDeriver;
/** @type {Promise<(key: `0x${string}`) => Promise<string>> | undefined} */
let blsDeriver;

/**
 * The checksummed address of each eth private key (viem), in order.
 * @param {readonly `0x${string}`[]} keys
 * @returns {Promise<`0x${string}`[]>}
 */
export async function deriveEthAddresses(keys) {
  ethDeriver ??= import("viem/accounts").then((m) => m.privateKeyToAddress);
  const derive = await ethDeriver;
  return keys.map((key) => derive(key));
}

/**
 * The compressed BN254 G1 public key of each BLS private key
 * (computeBn254G1PublicKeyCompressed from @aztec/foundation), in order.
 * @param {readonly `0x${string}`[]} keys
 * @returns {Promise<`0x${string}`[]>}
 */
export async function deriveBlsPublicKeys(keys) {
  blsDeriver ??= import("@aztec/foundation/crypto/bn254").then(
    (m) => m.computeBn254G1PublicKeyCompressed,
  );
  const derive = await blsDeriver;
  const result = [];
  for (const key of keys) result.push(/** @type {`0x${string}`} */ (await derive(key)));
  return result;
}

/** @type {Promise<typeof import("@aztec/foundation/crypto/bls/bn254_keystore")> | undefined} */
let blsKeystores;

/**
 * Decrypts EIP-2335 BN254 keystores (Aztec's own code: pbkdf2 + aes-128-ctr, synchronous, hence
 * on worker threads) and derives each key's compressed G1 public key, so the caller can check it
 * against the keystore's `pubkey`. A keystore that fails gives `{error}` (never the password).
 * @param {readonly {keystore: unknown, password: string}[]} items
 * @returns {Promise<({key: `0x${string}`, pubkey: `0x${string}`} | {error: string})[]>}
 */
export async function decryptBlsKeystores(items) {
  blsKeystores ??= import("@aztec/foundation/crypto/bls/bn254_keystore");
  const { decryptBn254KeystoreFromObject } = await blsKeystores;
  const results = [];
  for (const { keystore, password } of items) {
    let key;
    try {
      key = /** @type {`0x${string}`} */ (
        decryptBn254KeystoreFromObject(/** @type {any} */ (keystore), password)
      );
    } catch (error) {
      results.push({ error: String(/** @type {Error} */ (error).message ?? error) });
      continue;
    }
    const [pubkey] = await deriveBlsPublicKeys([key]);
    results.push({ key, pubkey: /** @type {`0x${string}`} */ (pubkey) });
  }
  return results;
}

/**
 * EIP-2335 BN254 keystores (Aztec's createBn254Keystore: pbkdf2 c=262144, aes-128-ctr) of the
 * given BLS keys, `pubkey` their compressed G1 public key.
 * @param {readonly {key: `0x${string}`, pubkey: `0x${string}`, password: string}[]} items
 * @returns {Promise<unknown[]>}
 */
export async function createBlsKeystores(items) {
  blsKeystores ??= import("@aztec/foundation/crypto/bls/bn254_keystore");
  const { createBn254Keystore } = await blsKeystores;
  return items.map(({ key, pubkey, password }) => createBn254Keystore(password, key, pubkey, ""));
}
