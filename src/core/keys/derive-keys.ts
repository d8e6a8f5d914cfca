// Each half is loaded on first use (a derivation worker's warm-up): a process that only derives
// eth addresses never loads @aztec/foundation (Barretenberg's WebAssembly and its 10 MB of memory).
import { fileURLToPath } from "node:url";
import type { Hex } from "../../types/primitives.js";
import { distFileUrl } from "../files/worker-entry.js";
import { testOnlyCheapBn254Keystore, testOnlyCheapKdf } from "./keystore-kdf.js";

let ethDeriver: Promise<(key: Hex) => Hex> | undefined;
let blsDeriver: Promise<(key: Hex) => Promise<string>> | undefined;

/**
 * The checksummed address of each eth private key, in order: the public key from
 * libsecp256k1 (tiny-secp256k1, bitcoin-core's library compiled to WebAssembly: constant-time, and
 * at about 85 µs a key 2.3 times as fast as the @noble/curves multiplication inside viem's
 * privateKeyToAddress, which was half of a large run's CPU), the address from it with viem's
 * publicKeyToAddress (keccak-256, EIP-55), as privateKeyToAddress does. A unit test checks the two
 * agree.
 */
export async function deriveEthAddresses(keys: readonly Hex[]): Promise<Hex[]> {
  ethDeriver ??= Promise.all([
    import("tiny-secp256k1"),
    import("viem"),
    import("viem/accounts"),
  ]).then(([secp256k1, { bytesToHex, hexToBytes }, { publicKeyToAddress }]) => (key: Hex) => {
    // Checked keys only get here (refuseUnusablePrivateKeys); these refusals, which name no
    // part of the key, are a last guard.
    if (!PRIVATE_KEY_HEX.test(key)) throw new Error("an eth private key is not 32 bytes of hex");
    const scalar = hexToBytes(key);
    try {
      if (!secp256k1.isPrivate(scalar)) {
        throw new Error("an eth private key is not in [1, n) of secp256k1");
      }
      return publicKeyToAddress(bytesToHex(secp256k1.pointFromScalar(scalar, false)!));
    } finally {
      scalar.fill(0);
    }
  });
  const derive = await ethDeriver;
  return keys.map((key) => derive(key));
}

const PRIVATE_KEY_HEX = /^0x[0-9a-fA-F]{64}$/;

/**
 * The compressed BN254 G1 public key of each BLS private key
 * (computeBn254G1PublicKeyCompressed from @aztec/foundation), in order.
 */
export async function deriveBlsPublicKeys(keys: readonly Hex[]): Promise<Hex[]> {
  blsDeriver ??= startBarretenberg()
    .then(() => import("@aztec/foundation/crypto/bn254"))
    .then((m) => m.computeBn254G1PublicKeyCompressed);
  const derive = await blsDeriver;
  const result: Hex[] = [];
  for (const key of keys) result.push((await derive(key)) as Hex);
  return result;
}

/**
 * Starts the Barretenberg instance @aztec/foundation's BN254 code uses (bb.js's BarretenbergSync
 * singleton, which foundation would start on first use with its defaults) from the WebAssembly
 * the build inflated (scripts/build.mjs), rather than inflating bb.js's gzipped copy in
 * JavaScript (which, bundled into the worker, it could not find anyway), and on the WebAssembly
 * backend straight away (the native one it tries first is not shipped for synchronous use).
 */
async function startBarretenberg(): Promise<void> {
  const wasm = distFileUrl("barretenberg-threads.wasm");
  if (!wasm) throw new Error("dist/barretenberg-threads.wasm is missing; run `npm run build`");
  const { BarretenbergSync, BackendType } = await import("@aztec/bb.js");
  await BarretenbergSync.initSingleton({
    wasmPath: fileURLToPath(wasm),
    backend: BackendType.Wasm,
  });
}

type Bn254Keystores = typeof import("@aztec/foundation/crypto/bls/bn254_keystore");
let blsKeystores: Promise<Bn254Keystores> | undefined;

/**
 * Decrypts EIP-2335 BN254 keystores (Aztec's own code: pbkdf2 + aes-128-ctr, synchronous, hence
 * on worker threads) and derives each key's compressed G1 public key, so the caller can check it
 * against the keystore's `pubkey`. A keystore that fails gives `{error}` (never the password).
 */
export async function decryptBlsKeystores(
  items: readonly { keystore: unknown; password: string }[],
): Promise<({ key: Hex; pubkey: Hex } | { error: string })[]> {
  blsKeystores ??= import("@aztec/foundation/crypto/bls/bn254_keystore");
  const { decryptBn254KeystoreFromObject } = await blsKeystores;
  const results: ({ key: Hex; pubkey: Hex } | { error: string })[] = [];
  for (const { keystore, password } of items) {
    let key: Hex;
    try {
      key = decryptBn254KeystoreFromObject(
        keystore as Parameters<typeof decryptBn254KeystoreFromObject>[0],
        password,
      ) as Hex;
    } catch (error) {
      results.push({ error: String((error as Error).message ?? error) });
      continue;
    }
    const [pubkey] = await deriveBlsPublicKeys([key]);
    results.push({ key, pubkey: pubkey! });
  }
  return results;
}

/**
 * EIP-2335 BN254 keystores (Aztec's createBn254Keystore: pbkdf2 c=262144, aes-128-ctr) of the
 * given BLS keys, `pubkey` their compressed G1 public key. (In the test suite's own processes
 * only, the same format with c=1024: see keystore-kdf.ts.)
 */
export async function createBlsKeystores(
  items: readonly { key: Hex; pubkey: Hex; password: string }[],
): Promise<unknown[]> {
  if (testOnlyCheapKdf()) {
    return items.map(({ key, pubkey, password }) =>
      testOnlyCheapBn254Keystore(password, key, pubkey),
    );
  }
  blsKeystores ??= import("@aztec/foundation/crypto/bls/bn254_keystore");
  const { createBn254Keystore } = await blsKeystores;
  return items.map(({ key, pubkey, password }) => createBn254Keystore(password, key, pubkey, ""));
}
