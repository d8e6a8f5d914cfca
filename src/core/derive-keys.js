// Plain JavaScript so that worker threads can load it without a TypeScript loader.
import { computeBn254G1PublicKeyCompressed } from "@aztec/foundation/crypto/bn254";
import { privateKeyToAddress } from "viem/accounts";

/**
 * Derives attester public keys in the current thread, in order.
 * @param {readonly {eth: `0x${string}`, bls: `0x${string}`}[]} keys
 * @param {(done: number) => void} [onProgress]
 * @returns {Promise<{eth: `0x${string}`, bls: `0x${string}`}[]>}
 */
export async function deriveAttesterPublicKeysInThread(keys, onProgress) {
  const result = [];
  for (const [i, key] of keys.entries()) {
    result.push({
      eth: privateKeyToAddress(key.eth),
      bls: /** @type {`0x${string}`} */ (await computeBn254G1PublicKeyCompressed(key.bls)),
    });
    if (onProgress && (i + 1) % 100 === 0) onProgress(i + 1);
  }
  onProgress?.(keys.length);
  return result;
}
