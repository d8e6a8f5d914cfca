// Loaded by deriveBlsPublicKeys on first use (derive-keys.ts). Its imports are static and named,
// so the worker's bundle holds only what it uses of @aztec/bb.js, not every export a dynamic
// import keeps.
import { fileURLToPath } from "node:url";
import { BackendType, BarretenbergSync } from "@aztec/bb.js";
import { computeBn254G1PublicKeyCompressed } from "@aztec/foundation/crypto/bn254";
import type { Hex } from "../../types/primitives.js";
import { distFileUrl } from "../files/worker-entry.js";

/**
 * Starts the Barretenberg instance @aztec/foundation's BN254 code uses (bb.js's BarretenbergSync
 * singleton, which foundation would start on first use with its defaults) from the WebAssembly
 * the build inflated (scripts/build.mjs), rather than inflating bb.js's gzipped copy in
 * JavaScript (which, bundled into the worker, it could not find anyway), and on the WebAssembly
 * backend straight away (the native one it tries first is not shipped for synchronous use).
 */
export async function startBarretenberg(): Promise<void> {
  const wasm = distFileUrl("barretenberg-threads.wasm");
  if (!wasm) throw new Error("dist/barretenberg-threads.wasm is missing; run `npm run build`");
  await BarretenbergSync.initSingleton({
    wasmPath: fileURLToPath(wasm),
    backend: BackendType.Wasm,
  });
}

/** The compressed BN254 G1 public key of a BLS private key (startBarretenberg first). */
export async function blsPublicKeyOf(key: Hex): Promise<Hex> {
  return (await computeBn254G1PublicKeyCompressed(key)) as Hex;
}
