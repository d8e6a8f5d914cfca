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
