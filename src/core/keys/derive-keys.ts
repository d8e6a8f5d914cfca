// Each half is loaded on first use: a worker that only derives eth addresses never loads
// @aztec/foundation (Barretenberg's WebAssembly and the logger thread it starts).
import type { Hex } from "../../types/primitives.js";

let ethDeriver: Promise<(key: Hex) => Hex> | undefined;
let blsDeriver: Promise<(key: Hex) => Promise<string>> | undefined;

/** The checksummed address of each eth private key (viem), in order. */
export async function deriveEthAddresses(keys: readonly Hex[]): Promise<Hex[]> {
  ethDeriver ??= import("viem/accounts").then((m) => m.privateKeyToAddress);
  const derive = await ethDeriver;
  return keys.map((key) => derive(key));
}

/**
 * The compressed BN254 G1 public key of each BLS private key
 * (computeBn254G1PublicKeyCompressed from @aztec/foundation), in order.
 */
export async function deriveBlsPublicKeys(keys: readonly Hex[]): Promise<Hex[]> {
  blsDeriver ??= import("@aztec/foundation/crypto/bn254").then(
    (m) => m.computeBn254G1PublicKeyCompressed,
  );
  const derive = await blsDeriver;
  const result: Hex[] = [];
  for (const key of keys) result.push((await derive(key)) as Hex);
  return result;
}
