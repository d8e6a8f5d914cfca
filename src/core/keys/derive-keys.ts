// Each half is loaded on first use (a derivation worker's warm-up): a process that only derives
// eth addresses never loads @aztec/foundation (Barretenberg's WebAssembly and its 10 MB of memory).
import type { Hex } from "../../types/primitives.js";
import { testOnlyCheapBn254Keystore, testOnlyCheapKdf } from "./keystore-kdf.js";

let ethDeriver: Promise<(key: Hex) => Hex> | undefined;
let blsDeriver: Promise<(key: Hex) => Promise<Hex>> | undefined;

/** Eth keys derived between two turns of the event loop (about 4 ms). */
const ETH_KEYS_PER_TURN = 32;

/**
 * The checksummed address of each eth private key, in order (ethAddressOf: libsecp256k1, viem).
 * It lets the event loop turn every few milliseconds: a worker derives eth keys while
 * Barretenberg still loads, and bb.js reads its 10 MB of WebAssembly 512 KiB a turn, so a task
 * run in one go held that load up by a task's length per chunk (the worker's first BLS key came
 * some 600 ms late).
 */
export async function deriveEthAddresses(keys: readonly Hex[]): Promise<Hex[]> {
  ethDeriver ??= import("./eth-address.js").then((m) => m.ethAddressOf);
  const derive = await ethDeriver;
  const addresses: Hex[] = [];
  for (let start = 0; start < keys.length; start += ETH_KEYS_PER_TURN) {
    if (start > 0) await new Promise((resolve) => setImmediate(resolve));
    for (const key of keys.slice(start, start + ETH_KEYS_PER_TURN)) addresses.push(derive(key));
  }
  return addresses;
}

/**
 * The compressed BN254 G1 public key of each BLS private key
 * (computeBn254G1PublicKeyCompressed from @aztec/foundation), in order.
 */
export async function deriveBlsPublicKeys(keys: readonly Hex[]): Promise<Hex[]> {
  blsDeriver ??= import("./bls-public-key.js").then(async (m) => {
    await m.startBarretenberg();
    return m.blsPublicKeyOf;
  });
  const derive = await blsDeriver;
  const result: Hex[] = [];
  for (const key of keys) result.push(await derive(key));
  return result;
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
